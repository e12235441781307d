"""Hooks of the governance plugin: other plugins watch proposals and may veto them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import hookspec

if TYPE_CHECKING:
    from bot.api import Bot, Maybe, Text
    from plugins.governance.models import Proposal


@hookspec(call="verdicts")
def validate_proposal(bot: Bot, proposal: Proposal) -> Maybe[Text | str | None]:
    """Return a reason (str or Text) to veto a proposal (when made, and again before applying)."""


@hookspec(call="notify")
def on_proposal_opened(bot: Bot, proposal: Proposal) -> Maybe[None]:
    """A proposal's poll is open (committed)."""


@hookspec(call="notify")
def on_proposal_closed(bot: Bot, proposal: Proposal) -> Maybe[None]:
    """A proposal reached its final status (applied, rejected, no_quorum, superseded, refused)."""


@hookspec(call="notify")
def on_proposal_applied(bot: Bot, proposal: Proposal) -> Maybe[None]:
    """A passed proposal took effect: the setting changed, or the treasury paid (once)."""
