"""Hooks of the votes plugin: `open_poll` lets other plugins ask for a vote without importing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot import hookspec

if TYPE_CHECKING:
    from bot.app import Bot
    from plugins.votes.models import BallotCast, Poll, PollRequest, PollResult


@hookspec
def open_poll(bot: Bot, request: PollRequest) -> Any:
    """Open a poll and return the `Poll` (called with `first`; None = voting unavailable)."""


@hookspec
def ballot_weight(bot: Bot, poll: Poll, member_id: int) -> Any:
    """Return an int weight for a member's ballot (called with `first`; default 1)."""


@hookspec
def on_poll_opened(bot: Bot, poll: Poll) -> Any:
    """A poll was stored and announced."""


@hookspec
def on_ballot_cast(bot: Bot, ballot: BallotCast) -> Any:
    """A ballot was cast, replaced or withdrawn (committed)."""


@hookspec
def on_poll_closed(bot: Bot, poll: Poll, result: PollResult) -> Any:
    """A poll closed exactly once (deadline sweep or `!poll close`), with its result."""


@hookspec
def on_poll_cancelled(bot: Bot, poll: Poll) -> Any:
    """A poll was cancelled (no result; quadratic token costs refunded); emitted once."""


@hookspec
def list_polls(bot: Bot, community: str, statuses: Sequence[str], limit: int) -> Any:
    """Return the community's `Poll`s in these statuses (called with `first`)."""


@hookspec
def poll_tally(bot: Bot, poll: Poll) -> Any:
    """Return the `PollResult` members may see now, or None (hidden or cancelled poll)."""
