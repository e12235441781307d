"""Reading ideas: lists, search and the details of one idea, with who may see what."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.api import Community, Member, Text, UserError, translatable
from plugins.ideas import lifecycle, store
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import STATUSES
from plugins.ideas.service import fold, visible_idea
from plugins.ideas.store import IdeaRow

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("ideas")

MAX_SEARCH_WORDS = 10


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ideas with their authors' names."""

    rows: list[IdeaRow]
    has_more: bool
    names: dict[int, str] = field(default_factory=dict)


def _visible_statuses(moderator: bool, mine: bool) -> list[str]:
    return [s for s in STATUSES if s != "pending" or moderator or mine]


async def list_page(bot: Bot, community: Community, member: Member, *, status: str | None,
                    mine: bool, campaign: str | None, page: int, moderator: bool) -> Page:
    """Newest first; by default the ideas still alive or done (open … implemented)."""
    cfg = bot.plugin_config(IdeasConfig, community.id)
    if status is None:
        statuses = list(STATUSES) if mine else list(lifecycle.ACTIVE)
    elif status == "all":
        statuses = _visible_statuses(moderator, mine)
    elif status == "pending" and not (moderator or mine):
        raise UserError(_("Only moderators can list pending ideas; add --mine for yours."))
    else:
        statuses = [status]
    campaign_id = None
    if campaign is not None:
        found = await store.campaign_by_name(bot.db, community.id, campaign)
        if found is None:
            raise UserError(_("There is no campaign named {name}.", name=campaign))
        campaign_id = found.id
    rows = await store.list_ideas(
        bot.db, community.id, statuses, member_id=member.id if mine else None,
        campaign_id=campaign_id, limit=cfg.page_size + 1, offset=(page - 1) * cfg.page_size)
    return await _page(bot, rows, cfg.page_size)


async def _page(bot: Bot, rows: list[IdeaRow], size: int) -> Page:
    rows, has_more = rows[:size], len(rows) > size
    names = await bot.identity.names([r.author_id for r in rows])
    return Page(rows, has_more, names)


def search_terms(words: str) -> list[str]:
    """The words of a query (letters and digits only, so no query syntax leaks through)."""
    return re.findall(r"\w+", words)[:MAX_SEARCH_WORDS]


async def search(bot: Bot, community: Community, words: str, *, page: int,
                 moderator: bool) -> Page:
    """Full-text (FTS5) where SQLite has it, else every folded word as a LIKE pattern."""
    cfg = bot.plugin_config(IdeasConfig, community.id)
    terms = search_terms(words)
    if not terms:
        raise UserError(_("Search for at least one word."))
    statuses = _visible_statuses(moderator, False)
    limit, offset = cfg.page_size + 1, (page - 1) * cfg.page_size
    if await store.has_fts(bot.db):
        match = " ".join(f'"{t}"' for t in terms)  # \w+ words: nothing to escape
        rows = await store.search_fts(bot.db, community.id, match, statuses, limit=limit,
                                      offset=offset)
    else:
        patterns = ["%" + re.sub(r"([\\%_])", r"\\\1", fold(t)) + "%" for t in terms]
        rows = await store.search_like(bot.db, community.id, patterns, statuses, limit=limit,
                                       offset=offset)
    return await _page(bot, rows, cfg.page_size)


@dataclass(frozen=True, slots=True)
class Details:
    """Everything `!idea show` displays."""

    row: IdeaRow
    coauthors: tuple[int, ...]
    names: dict[int, str]
    comments: list[tuple[int, str, float]]
    feedback: tuple[int, float]
    merged_into: int | None
    extra: Sequence[Text | str] = ()
    credits: Sequence[tuple[int, int]] = ()  # (member id, share), earliest credit first


async def details(bot: Bot, community: Community, member: Member, number: int, *,
                  moderator: bool) -> Details:
    """The idea, its people, last comments, feedback and what other plugins add (funding)."""
    row = await visible_idea(bot, community, member, number, moderator=moderator)
    coauthors = await store.coauthor_ids(bot.db, row.id)
    comments = await store.recent_comments(bot.db, row.id, 3)
    credits = await store.credits(bot.db, row.id)
    names = await bot.identity.names([row.author_id, *coauthors, *(c[0] for c in comments),
                                      *(m for m, _s in credits)])
    merged_into = None
    if row.merged_into is not None:
        target = await store.idea_by_id(bot.db, row.merged_into)
        merged_into = target.number if target else None
    extra = [x for x in await bot.hooks.collect("describe_idea", bot=bot,
                                                  idea=row.public(coauthors))
             if isinstance(x, str | Text)]
    return Details(row, coauthors, names, comments, await store.feedback_summary(bot.db, row.id),
                   merged_into, extra, credits)
