"""Hooks of the votes plugin: `open_poll` lets other plugins ask for a vote without importing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.api import hookspec

if TYPE_CHECKING:
    from bot.api import Bot, Maybe
    from plugins.votes.models import BallotCast, Poll, PollRequest, PollResult


@hookspec(firstresult=True)
def open_poll(bot: Bot, request: PollRequest) -> Maybe[Poll | None]:
    """Open a poll and return the `Poll` (called with `first`; None = voting unavailable)."""


@hookspec(firstresult=True)
def ballot_weight(bot: Bot, poll: Poll, member_id: int) -> Maybe[int | None]:
    """Return an int weight for a member's ballot (called with `first`; default 1)."""


@hookspec(call="notify")
def on_poll_opened(bot: Bot, poll: Poll) -> Maybe[None]:
    """A poll was stored and announced."""


@hookspec(call="notify")
def on_ballot_cast(bot: Bot, ballot: BallotCast) -> Maybe[None]:
    """A ballot was cast, replaced or withdrawn (committed)."""


@hookspec(call="notify")
def on_poll_closed(bot: Bot, poll: Poll, result: PollResult) -> Maybe[None]:
    """A poll closed exactly once (deadline sweep or `!poll close`), with its result."""


@hookspec(call="notify")
def on_poll_cancelled(bot: Bot, poll: Poll) -> Maybe[None]:
    """A poll was cancelled (no result; quadratic token costs refunded); emitted once."""


@hookspec(firstresult=True)
def list_polls(
    bot: Bot, community: str, statuses: Sequence[str], limit: int
) -> Maybe[list[Poll] | None]:
    """Return the community's `Poll`s in these statuses (called with `first`)."""


@hookspec(firstresult=True)
def poll_tally(bot: Bot, poll: Poll) -> Maybe[PollResult | None]:
    """Return the `PollResult` members may see now, or None (hidden or cancelled poll)."""


@hookspec(firstresult=True)
def polls_voted(bot: Bot, community: str, member_id: int,
                poll_ids: Sequence[int]) -> Maybe[list[int] | None]:
    """Which of these open polls the member has a ballot in (their own ballots only)."""
