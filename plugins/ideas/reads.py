"""Read hooks: other plugins (pulse's dashboard and digests) see ideas without our tables.

A mixin of `IdeasPlugin`, so the read API lives apart from the write paths and the thin
`__init__` only lists it as a base. Payloads are the public `Idea` of `models.py`: an
anonymous idea keeps its real `author_id` (as in every event) and its `anonymous` flag, and
whoever shows it prints "anonymous".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.api import hookimpl
from plugins.ideas import store
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import STATUSES, Idea, IdeaFeedback, MemberIdea
from plugins.ideas.shares import Group, split_reward

if TYPE_CHECKING:
    from bot.api import Bot

#: The most ideas one `latest_ideas` call returns, so a caller cannot page the whole table.
MAX_LATEST = 200
#: What an empty `statuses` means: every status but `pending`, which is not public yet.
PUBLIC = tuple(s for s in STATUSES if s != "pending")
#: Statuses in which an idea still waits for something (`member_ideas`).
IN_PROGRESS = ("pending", "open", "review", "voting", "accepted")
#: The most ideas one `member_ideas` call returns.
MAX_MEMBER = 50


class IdeasReads:
    """`count_ideas`, `latest_ideas`, `idea_ratings`…: answered from the ideas tables."""

    @hookimpl
    async def count_ideas(self, bot: Bot, community: str) -> dict[str, int]:
        """Ideas per status; every status appears, 0 when none."""
        # The (community, status, number) index answers this without reading idea rows.
        rows = await bot.db.fetch(
            "SELECT status, COUNT(*) AS n FROM ideas_ideas WHERE community = $1"
            " GROUP BY status", community)
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({str(r["status"]): int(r["n"]) for r in rows})
        return counts

    @hookimpl
    async def latest_ideas(self, bot: Bot, community: str, statuses: Sequence[str],
                           limit: int) -> list[Idea]:
        """The newest ideas in these statuses (all public ones when empty), newest first."""
        wanted = [s for s in (statuses or PUBLIC) if s in STATUSES]
        size = max(0, min(int(limit), MAX_LATEST))
        if not wanted or size == 0:
            return []
        rows = await store.list_ideas(bot.db, community, wanted, member_id=None,
                                      campaign_id=None, limit=size, offset=0)
        return [row.public() for row in rows]

    @hookimpl
    async def idea_ratings(self, bot: Bot, community: str,
                             limit: int) -> list[IdeaFeedback]:
        """Rated implemented ideas, latest rated first (the dashboard's feedback card)."""
        size = max(0, min(int(limit), MAX_LATEST))
        found = await store.rated_ideas(bot.db, community, size) if size else []
        return [IdeaFeedback(await store.public_idea(bot.db, idea_id), n, avg)
                for idea_id, n, avg in found]

    @hookimpl
    async def split_idea_reward(self, bot: Bot, idea: Idea,
                                total: int) -> list[tuple[int, int]] | None:
        """The reward shared by contribution (`shares.py`); None for an idea we do not hold."""
        author = await bot.db.fetchval("SELECT author_id FROM ideas_ideas WHERE id = $1"
                                       " AND community = $2", idea.id, idea.community)
        if author is None:
            return None
        cfg = bot.plugin_config(IdeasConfig, idea.community)
        authors = list(dict.fromkeys((int(author), *await store.coauthor_ids(bot.db, idea.id))))
        supporters = await store.first_supporters(bot.db, idea.id, authors,
                                                  cfg.reward_first_supporters)
        return split_reward(int(total), (
            Group(cfg.reward_share_authors, tuple((m, 1) for m in authors)),
            Group(cfg.reward_share_credited, tuple(await store.credits(bot.db, idea.id))),
            Group(cfg.reward_share_supporters, tuple((m, 1) for m in supporters)),
        ))

    @hookimpl
    async def member_ideas(self, bot: Bot, community: str, member_id: int,
                           limit: int) -> list[MemberIdea]:
        """The member's ideas in progress, newest first, with the supports each still lacks."""
        size = max(0, min(int(limit), MAX_MEMBER))
        if size == 0:
            return []
        threshold = bot.plugin_config(IdeasConfig, community).support_threshold
        rows = await store.list_ideas(bot.db, community, IN_PROGRESS, member_id=member_id,
                                      campaign_id=None, limit=size, offset=0)
        return [MemberIdea(row.public(), max(0, threshold - row.supporters)
                           if row.status == "open" else 0, threshold) for row in rows]
