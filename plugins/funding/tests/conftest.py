"""Helpers for the funding tests: a bot with ideas + tips + funding, a movable clock, money reads."""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl, testing
from bot.testing import EventRecorder, MakeBot, ManualClock, TestBot, future_time
from plugins.funding import FundingPlugin
from plugins.funding.models import Backer, FundingRound, PledgeChange
from plugins.funding.service import FundingService

COMMUNITY = testing.COMMUNITY
T0 = future_time(hour=13)
DAY = 86400.0
#: Built-ins of these tests (votes is not needed: moderators accept ideas).
BUILTINS = {"core": "bot.commands.builtin", "ideas": "plugins.ideas", "tips": "plugins.tips",
            "funding": "plugins.funding"}

_refs = itertools.count()


@dataclass
class Clock(ManualClock):
    """The kit's hand-moved clock, starting at T0."""

    now: float = T0


class Recorder(EventRecorder):
    """Every event the funding plugin emits, in order."""

    @hookimpl(optionalhook=True)
    def on_funding_opened(self, round: FundingRound) -> None:
        self.events.append(("opened", round))

    @hookimpl(optionalhook=True)
    def on_pledge(self, pledge: PledgeChange) -> None:
        self.events.append(("pledge", pledge))

    @hookimpl(optionalhook=True)
    def on_funding_succeeded(self, round: FundingRound, backers: tuple[Backer, ...]) -> None:
        self.events.append(("succeeded", (round, backers)))

    @hookimpl(optionalhook=True)
    def on_funding_failed(self, round: FundingRound) -> None:
        self.events.append(("failed", round))


class Kit(testing.Kit):
    """One test bot plus the shortcuts every funding test needs."""

    clock: Clock

    def __init__(self, tb: TestBot, clock: Clock, events: Recorder) -> None:
        super().__init__(tb, clock)
        self.events = events

    @property
    def svc(self) -> FundingService:
        return self.tb.bot.plugin(FundingPlugin).service

    async def give(self, name: str, amount: int) -> None:
        """Pay `name` from the treasury (an idempotent award with a fresh ref)."""
        await self.bot.hooks.first("award_tokens", bot=self.bot, community=COMMUNITY,
                                   member_id=await self.member_id(name), amount=amount,
                                   reason="test_fund", ref=f"test:{next(_refs)}")

    async def balance(self, account: str) -> int:
        """A ledger balance: `alice` (a member's wallet) or a raw account like `escrow:fund:1`."""
        if ":" not in account:
            account = f"member:{await self.member_id(account)}"
        value = await self.bot.hooks.first("get_account_balance", bot=self.bot,
                                           community=COMMUNITY, account=account)
        return int(value)

    async def accepted_idea(self, title: str, author: str = "alice") -> int:
        """Submit an idea as `author` and have a moderator accept it; returns its number."""
        out = await self.say(author, f"!idea submit {title}")
        found = re.search(r"(?:#|n°)(\d+)", out)
        assert found is not None, out
        number = int(found.group(1))
        await self.say("mod", f"!idea accept {number}")
        idea = await self.bot.db.fetchval(
            "SELECT status FROM funding_ideas WHERE number = $1", number)
        assert idea == "accepted", out
        return number

    async def ledger(self) -> tuple[dict[str, int], int]:
        """Every account's balance and the number of entries: "nothing changed" compares these."""
        rows = await self.bot.db.fetch("SELECT account, balance FROM tips_accounts")
        count = await self.bot.db.fetchval("SELECT COUNT(*) FROM tips_entries")
        return {r["account"]: int(r["balance"]) for r in rows}, int(count)

    async def entries(self, reason: str) -> list[Any]:
        return list(await self.bot.db.fetch(
            "SELECT src, dst, amount, ref FROM tips_entries WHERE reason = $1 ORDER BY id",
            reason))

    async def pledge_rows(self) -> list[Any]:
        return list(await self.bot.db.fetch(
            "SELECT round_id, member_id, amount, state FROM funding_pledges ORDER BY id"))

    async def sweep(self) -> None:
        assert await self.bot.scheduler.run_now("funding.sweep")


MakeKit = Callable[..., Awaitable[Kit]]


@pytest.fixture
def make_kit(make_bot: MakeBot) -> MakeKit:
    """`kit = await make_kit(locale="fr", funding={"recovery_grace": "1s"})`."""

    async def factory(*, funding: dict[str, Any] | None = None,
                      tips: dict[str, Any] | None = None, ideas: dict[str, Any] | None = None,
                      locale: str = "en", plugins: dict[str, object] | None = None,
                      builtins: dict[str, str] | None = None) -> Kit:
        clock, recorder = Clock(), Recorder()
        loaded = BUILTINS if builtins is None else builtins
        sections = {
            "tips": {"allowance_amount": 0, "activity_reward": 0, "idea_accepted_reward": 0,
                     **(tips or {})},
            "ideas": {"auto_poll": False, **(ideas or {})},
            "funding": funding or {},
        }
        raw = {"bot": {"locale": locale},
               "plugins": {k: v for k, v in sections.items() if k in loaded}}
        tb = await make_bot(raw=raw, plugins={"recorder": recorder, **(plugins or {})},
                            builtins=loaded)
        tb.bot.clock = clock
        return Kit(tb, clock, recorder)

    return factory


@pytest.fixture
async def kit(make_kit: MakeKit) -> Kit:
    return await make_kit()
