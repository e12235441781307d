"""Hooks the ideas plugin emits, all after the transaction committed (see docs/hooks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot import hookspec

if TYPE_CHECKING:
    from bot.app import Bot
    from plugins.ideas.models import CampaignClosed, Idea, IdeaMerged, IdeaStatusChange


@hookspec
def on_idea_submitted(bot: Bot, idea: Idea) -> Any:
    """A new idea was created (status open, or pending under pre-moderation)."""


@hookspec
def on_idea_status_changed(bot: Bot, change: IdeaStatusChange) -> Any:
    """Any status change, including those that also emit a specific event below."""


@hookspec
def on_idea_accepted(bot: Bot, idea: Idea) -> Any:
    """An idea was accepted (by a poll or a moderator): tips pays its authors."""


@hookspec
def on_idea_rejected(bot: Bot, idea: Idea, reason: str) -> Any:
    """An idea was rejected, with the reason given to its authors."""


@hookspec
def on_idea_implemented(bot: Bot, idea: Idea) -> Any:
    """An accepted idea was implemented: feedback opens, tips pays the implemented reward."""


@hookspec
def on_idea_merged(bot: Bot, merge: IdeaMerged) -> Any:
    """A duplicate was merged into another idea: move pledges and other per-idea data."""


@hookspec
def on_campaign_closed(bot: Bot, campaign: CampaignClosed) -> Any:
    """A campaign closed: tips shares its bounty among the accepted ideas' authors."""


@hookspec
def describe_idea(bot: Bot, idea: Idea) -> Any:
    """Return extra lines (`str` or translatable `Text`) for `!idea show`, e.g. funding progress."""


@hookspec
def count_ideas(bot: Bot, community: str) -> Any:
    """Return the community's ideas per status, `{status: count}` (called with `first`)."""


@hookspec
def latest_ideas(bot: Bot, community: str, statuses: Sequence[str], limit: int) -> Any:
    """Return the newest `Idea`s in these statuses, newest first (called with `first`)."""
