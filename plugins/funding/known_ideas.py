"""What funding knows about ideas: a mirror fed by the ideas plugin's events, never its tables.

Every ideas event carries the idea as it is after the change, so an upsert per event keeps the
mirror current; `!idea show` (our `describe_idea`) refreshes it too, and an idea accepted
before this plugin was enabled is looked up through the ideas plugin's `latest_ideas` read hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plugins.funding import store
from plugins.funding.store import KnownIdea
from plugins.ideas.models import Idea

if TYPE_CHECKING:
    from bot.api import Bot

#: How many of the newest ideas a lookup of an unknown idea scans.
LOOKUP_LIMIT = 200


def known(idea: Idea) -> KnownIdea:
    return KnownIdea(idea.community, idea.id, idea.number, idea.title, idea.status,
                     idea.author_id, tuple(idea.coauthor_ids), idea.anonymous)


async def remember(bot: Bot, idea: Idea) -> KnownIdea:
    """Record the idea as the event shows it (idempotent: the latest event wins; `!idea show`
    calls this too, so an unchanged idea costs a read, not a write)."""
    mirror = known(idea)
    if await store.idea_by_id(bot.db, idea.community, idea.id) != mirror:
        await store.upsert_idea(bot.db, mirror, float(bot.now()))
    return mirror


async def find(bot: Bot, community: str, number: int,
               statuses: Sequence[str]) -> KnownIdea | None:
    """The idea #number as last reported; one we never heard of (accepted before funding was
    enabled) is looked up among the newest ideas in `statuses` (ideas' `latest_ideas` read
    hook, when available) and remembered."""
    found = await store.idea_by_number(bot.db, community, number)
    if found is not None:
        return found
    latest = await bot.hooks.first_safe("latest_ideas", bot=bot, community=community,
                                        statuses=list(statuses), limit=LOOKUP_LIMIT)
    for idea in latest if isinstance(latest, list) else ():
        if isinstance(idea, Idea) and idea.community == community and idea.number == number:
            return await remember(bot, idea)
    return None
