"""Hooks the funding plugin emits (after the commit) and answers (see docs/hooks.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import hookspec

if TYPE_CHECKING:
    from bot.app import Bot
    from plugins.funding.models import Backer, FundingRound, PledgeChange


@hookspec
def on_funding_opened(bot: Bot, round: FundingRound) -> Any:
    """A funding round opened for an accepted idea."""


@hookspec
def on_pledge(bot: Bot, pledge: PledgeChange) -> Any:
    """A pledge was escrowed, or withdrawn and refunded (`pledge.withdrawn`)."""


@hookspec
def on_funding_succeeded(bot: Bot, round: FundingRound, backers: tuple[Backer, ...]) -> Any:
    """A round reached its goal: the escrow went to its wallet; the idea is funded."""


@hookspec
def on_funding_failed(bot: Bot, round: FundingRound) -> Any:
    """A round ended without funding (goal missed, or its idea cancelled): all refunded."""


@hookspec
def list_funding_rounds(bot: Bot, community: str, states: tuple[str, ...]) -> Any:
    """The community's rounds in these states (called with `first`), for dashboards."""
