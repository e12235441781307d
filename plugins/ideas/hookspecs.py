"""Hooks the ideas plugin emits, all after the transaction committed (see docs/hooks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.api import hookspec

if TYPE_CHECKING:
    from bot.api import Bot, Maybe, Text
    from plugins.ideas.models import (
        CampaignClosed,
        Idea,
        IdeaFeedback,
        IdeaMerged,
        IdeaStatusChange,
        MemberIdea,
    )


@hookspec(call="notify")
def on_idea_submitted(bot: Bot, idea: Idea) -> Maybe[None]:
    """A new idea was created (status open, or pending under pre-moderation)."""


@hookspec(call="notify")
def on_idea_status_changed(bot: Bot, change: IdeaStatusChange) -> Maybe[None]:
    """Any status change, including those that also emit a specific event below."""


@hookspec(call="notify")
def on_idea_accepted(bot: Bot, idea: Idea) -> Maybe[None]:
    """An idea was accepted (by a poll or a moderator): tips pays its authors."""


@hookspec(call="notify")
def on_idea_rejected(bot: Bot, idea: Idea, reason: str) -> Maybe[None]:
    """An idea was rejected, with the reason given to its authors."""


@hookspec(call="notify")
def on_idea_implemented(bot: Bot, idea: Idea) -> Maybe[None]:
    """An accepted idea was implemented: feedback opens, tips pays the implemented reward."""


@hookspec(call="notify")
def on_idea_merged(bot: Bot, merge: IdeaMerged) -> Maybe[None]:
    """A duplicate was merged into another idea: move pledges and other per-idea data."""


@hookspec(call="notify")
def on_campaign_closed(bot: Bot, campaign: CampaignClosed) -> Maybe[None]:
    """A campaign closed: tips shares its bounty among the accepted ideas' authors."""


@hookspec(call="collect")
def describe_idea(bot: Bot, idea: Idea) -> Maybe[Text | str | None]:
    """Return extra lines (`str` or translatable `Text`) for `!idea show`, e.g. funding progress."""


@hookspec(firstresult=True)
def count_ideas(bot: Bot, community: str) -> Maybe[dict[str, int] | None]:
    """Return the community's ideas per status, `{status: count}` (called with `first`)."""


@hookspec(firstresult=True)
def latest_ideas(
    bot: Bot, community: str, statuses: Sequence[str], limit: int
) -> Maybe[list[Idea] | None]:
    """Return the newest `Idea`s in these statuses, newest first (called with `first`)."""


@hookspec(firstresult=True)
def idea_ratings(bot: Bot, community: str, limit: int) -> Maybe[list[IdeaFeedback] | None]:
    """Implemented ideas with feedback, most recently rated first (called with `first`)."""


@hookspec(firstresult=True)
def split_idea_reward(bot: Bot, idea: Idea, total: int) -> Maybe[list[tuple[int, int]] | None]:
    """`total` of an idea's reward shared by contribution: `[(member id, amount > 0)]`."""


@hookspec(firstresult=True)
def member_ideas(bot: Bot, community: str, member_id: int,
                 limit: int) -> Maybe[list[MemberIdea] | None]:
    """The member's ideas still in progress (author or co-author), newest first."""
