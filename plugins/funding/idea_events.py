"""Reacting to the ideas plugin's events: keep the mirror current, move or refund pledges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugins.funding import known_ideas, settlement, store
from plugins.ideas.models import Idea, IdeaMerged, IdeaStatusChange

if TYPE_CHECKING:
    from plugins.funding.service import FundingService

#: An idea that ends up here can no longer be funded: its round in progress is cancelled.
CANCELLING = ("rejected", "withdrawn")


async def seen(svc: FundingService, idea: Idea) -> None:
    await known_ideas.remember(svc.bot, idea)


async def status_changed(svc: FundingService, change: IdeaStatusChange) -> None:
    """Mirror the new status; a rejected or withdrawn idea's open round is refunded."""
    idea = change.idea
    await known_ideas.remember(svc.bot, idea)
    if change.new not in CANCELLING:
        return
    round_id = await store.active_round_id(svc.bot.db, idea.community, idea.id)
    if round_id is not None:
        await settlement.close(svc, round_id, "cancel")


async def merged(svc: FundingService, merge: IdeaMerged) -> None:
    """The duplicate's open round moves its pledges to the target's open round, or refunds
    them when the target has none; a redelivered event finds nothing open and does nothing."""
    await known_ideas.remember(svc.bot, merge.source)
    await known_ideas.remember(svc.bot, merge.target)
    round_id = await store.active_round_id(svc.bot.db, merge.source.community, merge.source.id)
    if round_id is not None:
        await settlement.close(svc, round_id, "merge", merge_idea=merge.target.id)
