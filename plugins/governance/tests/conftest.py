"""Helpers for the governance tests: a bot with votes + tips + governance and a movable clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl, testing
from bot.testing import EventRecorder, MakeBot, ManualClock, TestBot, future_time
from plugins.governance import GovernancePlugin
from plugins.governance.models import Proposal
from plugins.governance.service import GovernanceService

COMMUNITY = testing.COMMUNITY
BUILTINS = {"core": "bot.commands.builtin", "votes": "plugins.votes", "tips": "plugins.tips",
            "governance": "plugins.governance"}
#: A constitution most tests share: two settings, a quorum of 3, spending up to 100.
CONSTITUTION: dict[str, Any] = {
    "allowed": ["plugins.tips.max_tip", "plugins.votes.list_page_size"],
    "quorum": 3, "duration": "1h", "cooldown": "1s", "spend_max": 100,
}


@dataclass
class Clock(ManualClock):
    now: float = future_time(hour=13)


class Recorder(EventRecorder):
    """Every governance event, in order."""

    @hookimpl(optionalhook=True)
    def on_proposal_opened(self, proposal: Proposal) -> None:
        self.events.append(("opened", proposal))

    @hookimpl(optionalhook=True)
    def on_proposal_closed(self, proposal: Proposal) -> None:
        self.events.append(("closed", proposal))

    @hookimpl(optionalhook=True)
    def on_proposal_applied(self, proposal: Proposal) -> None:
        self.events.append(("applied", proposal))


class Kit(testing.Kit):
    """One test bot plus the shortcuts governance tests share."""

    clock: Clock

    def __init__(self, tb: TestBot, clock: Clock, events: Recorder) -> None:
        super().__init__(tb, clock)
        self.events = events

    @property
    def svc(self) -> GovernanceService:
        return self.bot.plugin(GovernancePlugin).service  # type: ignore[no-any-return]

    async def vote(self, poll: int, **choices: str) -> None:
        for name, choice in choices.items():
            before = await self.bot.db.fetchval("SELECT COUNT(*) FROM votes_ballots")
            out = await self.say(name, f"!vote {poll} {choice}")
            after = await self.bot.db.fetchval("SELECT COUNT(*) FROM votes_ballots")
            assert after == before + 1, out

    async def close_by_deadline(self) -> None:
        """Time passes beyond the poll's deadline and the votes sweep closes it."""
        self.clock.advance(seconds=3601)
        assert await self.bot.scheduler.run_now("votes.sweep")
        self.clock.advance(seconds=2)  # past the tests' cooldown of 1s

    async def setting(self, key: str) -> str:
        return str(self.bot.settings.shown(COMMUNITY, key))

    async def audit(self, action: str) -> list[str]:
        rows = await self.bot.db.fetch(
            "SELECT detail FROM core_audit WHERE action = $1 ORDER BY id", action)
        return [str(r["detail"]) for r in rows]

    async def statuses(self) -> list[tuple[int, str]]:
        rows = await self.bot.db.fetch(
            "SELECT number, status FROM governance_proposals ORDER BY number")
        return [(int(r["number"]), str(r["status"])) for r in rows]

    async def balance(self, name: str) -> int:
        value = await self.bot.hooks.first("get_balance", bot=self.bot, community=COMMUNITY,
                                           member_id=await self.member_id(name))
        return int(value)

    async def treasury(self) -> int:
        value = await self.bot.hooks.first("get_account_balance", bot=self.bot,
                                           community=COMMUNITY, account="treasury")
        return int(value)


MakeKit = Callable[..., Awaitable[Kit]]


@pytest.fixture
def make_kit(make_bot: MakeBot) -> MakeKit:
    """`kit = await make_kit(governance={...}, tips={...}, locale="fr", limits={...})`; `more`
    adds other plugins' tables (`{"ideas": {...}}`)."""

    async def factory(*, governance: dict[str, Any] | None = None,
                      tips: dict[str, Any] | None = None, locale: str = "en",
                      limits: dict[str, Any] | None = None,
                      plugins: dict[str, object] | None = None,
                      builtins: dict[str, str] | None = None,
                      more: dict[str, Any] | None = None) -> Kit:
        clock, recorder = Clock(), Recorder()
        raw: dict[str, Any] = {
            "bot": {"locale": locale},
            "plugins": {
                "governance": {**CONSTITUTION, **(governance or {})},
                "tips": {"allowance_amount": 0, "activity_reward": 0,
                         "treasury_initial": 1000, "treasury_auto_mint": False,
                         **(tips or {})},
                "votes": {"reactions": False},
                **(more or {}),
            },
        }
        if limits:
            raw["limits"] = limits
        tb = await make_bot(raw=raw, plugins={"recorder": recorder, **(plugins or {})},
                            builtins=BUILTINS if builtins is None else builtins)
        tb.bot.clock = clock
        kit = Kit(tb, clock, recorder)
        await kit.say("mod", "!treasury")  # mints the initial treasury
        return kit

    return factory


@pytest.fixture
async def kit(make_kit: MakeKit) -> Kit:
    return await make_kit()
