"""Helpers for the tips tests: a bot with a funded treasury, a movable clock, ledger snapshots."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import testing
from bot.model import MessageRef, ReactionEvent, UserRef
from bot.testing import ManualClock, TestBot, future_time
from plugins.tips import TipsPlugin, integrity
from plugins.tips.service import TipsService

COMMUNITY = testing.COMMUNITY
T0 = future_time(hour=13)

MakeBot = testing.MakeBot


@dataclass
class Clock(ManualClock):
    """The kit's hand-moved clock, starting at T0."""

    now: float = T0


_refs = itertools.count()


class Kit(testing.Kit):
    """One test bot plus the shortcuts every tips test needs."""

    clock: Clock

    def __init__(self, tb: TestBot, clock: Clock, community: str = COMMUNITY) -> None:
        super().__init__(tb, clock, community)

    @property
    def plugin(self) -> TipsPlugin:
        """This bot's tips plugin instance (a restart makes a new one)."""
        return self.tb.bot.plugin(TipsPlugin)

    @property
    def svc(self) -> TipsService:
        return self.plugin.service

    async def fund(self, name: str, amount: int) -> None:
        """Give `name` tokens from the treasury (an idempotent award with a fresh ref)."""
        member = await self.member(name)
        await self.svc.treasury.award(self.community, member.id, amount, "test_fund",
                             f"fund:{next(_refs)}")

    async def balance(self, name: str) -> int:
        member = await self.member(name)
        return (await self.svc.holdings(self.community, member.id)).balance

    async def snapshot(self) -> tuple[dict[str, int], int]:
        """Every account's balance and the number of entries: "nothing changed" compares these."""
        rows = await self.bot.db.fetch("SELECT community, account, balance FROM tips_accounts")
        count = await self.bot.db.fetchval("SELECT COUNT(*) FROM tips_entries")
        return {f"{r['community']}/{r['account']}": int(r["balance"]) for r in rows}, int(count)

    async def entries(self, reason: str | None = None) -> list[Any]:
        sql = "SELECT * FROM tips_entries" + (" WHERE reason = $1" if reason else "")
        return list(await self.bot.db.fetch(sql + " ORDER BY id", *([reason] if reason else [])))

    async def check(self) -> None:
        """The invariants `ruche db check` verifies."""
        assert await integrity.check(self.svc) == []

    def reaction(self, who: str, author: str | None, message_id: str = "m1",
                 emoji: str = "🪙", added: bool = True, author_is_bot: bool = False) -> ReactionEvent:
        adapter = self.chat.adapter
        writer = None
        if author is not None:
            writer = UserRef("console", author, author, is_bot=author_is_bot)
        return ReactionEvent(
            message=MessageRef("console", "console", message_id), user=adapter.user(who),
            room=adapter.room(), emoji=emoji, added=added, event_id=f"ev{next(_refs)}",
            message_author=writer, role=adapter.role_of(who),
        )

    async def react(self, *args: Any, **kwargs: Any) -> None:
        await self.bot.dispatch_reaction(self.reaction(*args, **kwargs))


MakeKit = Callable[..., Awaitable[Kit]]


@pytest.fixture
def make_kit(make_bot: MakeBot) -> MakeKit:
    """`kit = await make_kit(max_tip=50)`: a bot whose [plugins.tips] has these keys."""

    async def factory(plugins: dict[str, object] | None = None, clock: Clock | None = None,
                      limits: dict[str, object] | None = None, **tips: Any) -> Kit:
        settings = {"allowance_amount": 0, "activity_reward": 0, **tips}
        raw: dict[str, object] = {"plugins": {"tips": settings}}
        if limits:
            raw["limits"] = {"plugins": {"tips": limits}}
        tb = await make_bot(raw=raw, plugins=plugins or {})
        clock = clock or Clock()
        tb.bot.clock = clock
        return Kit(tb, clock)

    return factory


@pytest.fixture
async def kit(make_kit: MakeKit) -> Kit:
    """A bot without allowance or activity reward (tests turn those on when they need them)."""
    return await make_kit()
