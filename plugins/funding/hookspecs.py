"""Hooks the funding plugin emits (after the commit) and answers (see docs/hooks.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import hookspec

if TYPE_CHECKING:
    from bot.api import Bot, Maybe
    from plugins.funding.models import Backer, FundingRound, PledgeChange


@hookspec(call="notify")
def on_funding_opened(bot: Bot, round: FundingRound) -> Maybe[None]:
    """A funding round opened for an accepted idea."""


@hookspec(call="notify")
def on_pledge(bot: Bot, pledge: PledgeChange) -> Maybe[None]:
    """A pledge was escrowed, or withdrawn and refunded (`pledge.withdrawn`)."""


@hookspec(call="notify")
def on_funding_succeeded(bot: Bot, round: FundingRound, backers: tuple[Backer, ...]) -> Maybe[None]:
    """A round reached its goal: the escrow went to its wallet; the idea is funded."""


@hookspec(call="notify")
def on_funding_failed(bot: Bot, round: FundingRound) -> Maybe[None]:
    """A round ended without funding (goal missed, or its idea cancelled): all refunded."""


@hookspec(firstresult=True)
def list_funding_rounds(
    bot: Bot, community: str, states: tuple[str, ...]
) -> Maybe[list[FundingRound] | None]:
    """The community's rounds in these states (called with `first`), for dashboards."""


@hookspec(firstresult=True)
def member_pledges(bot: Bot, community: str,
                   member_id: int) -> Maybe[list[tuple[FundingRound, int]] | None]:
    """Rounds in progress the member backs, with their pledged total (called with `first`)."""


@hookspec(firstresult=True)
def fund_round_from_treasury(bot: Bot, community: str, idea_id: int, amount: int, reason: str,
                             ref: str, memo: str) -> Maybe[FundingRound | None]:
    """Pledge treasury tokens to the idea's open round once per ref; None if none is open."""


@hookspec(firstresult=True)
def idea_backers(bot: Bot, community: str, subject: str) -> Maybe[list[int] | None]:
    """Members who back the idea's latest round (`idea:<id>`): its recorded backers once funded,
    else those with a confirmed pledge (called with `first`; feedback requests)."""
