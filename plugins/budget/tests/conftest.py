"""Helpers for the budget tests: a bot with ideas + tips + funding + budget and a movable clock."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import testing
from bot.testing import MakeBot, ManualClock, TestBot, future_time
from plugins.budget import BudgetPlugin
from plugins.budget.service import BudgetService

COMMUNITY = testing.COMMUNITY
T0 = future_time(hour=13)
BUILTINS = {"core": "bot.commands.builtin", "ideas": "plugins.ideas", "tips": "plugins.tips",
            "funding": "plugins.funding", "budget": "plugins.budget"}


@dataclass
class Clock(ManualClock):
    """The kit's hand-moved clock, starting at T0."""

    now: float = T0


class Kit(testing.Kit):
    """One test bot plus the shortcuts every budget test needs."""

    clock: Clock

    @property
    def svc(self) -> BudgetService:
        return self.tb.bot.plugin(BudgetPlugin).service

    async def accepted_idea(self, title: str, author: str = "alice") -> int:
        """Submit an idea as `author` and have a moderator accept it; returns its number."""
        out = await self.say(author, f"!idea submit {title}")
        found = re.search(r"(?:#|n°)(\d+)", out)
        assert found is not None, out
        number = int(found.group(1))
        await self.say("mod", f"!idea accept {number}")
        accepted = await self.bot.hooks.first("latest_ideas", bot=self.bot, community=COMMUNITY,
                                               statuses=["accepted"], limit=50)
        assert number in [idea.number for idea in accepted], out
        return number

    async def balance(self, account: str) -> int:
        """A ledger balance: `alice` (a member's wallet) or a raw account like `treasury`."""
        if ":" not in account and account != "treasury":
            account = f"member:{await self.member_id(account)}"
        value = await self.bot.hooks.first("get_account_balance", bot=self.bot,
                                           community=COMMUNITY, account=account)
        return int(value)

    async def ledger(self) -> tuple[dict[str, int], int]:
        """Every account's balance and the number of entries: "nothing changed" compares these."""
        rows = await self.bot.db.fetch("SELECT account, balance FROM tips_accounts")
        count = await self.bot.db.fetchval("SELECT COUNT(*) FROM tips_entries")
        return {r["account"]: int(r["balance"]) for r in rows}, int(count)

    async def budget_entries(self) -> list[Any]:
        return list(await self.bot.db.fetch(
            "SELECT dst, amount, ref FROM tips_entries WHERE reason = 'participatory_budget' ORDER BY id"))

    async def support_rows(self) -> list[tuple[int, int, int]]:
        rows = await self.bot.db.fetch(
            "SELECT member_id, idea_id, points FROM budget_support ORDER BY member_id, idea_id")
        return [(int(r["member_id"]), int(r["idea_id"]), int(r["points"])) for r in rows]

    async def sweep(self) -> None:
        assert await self.bot.scheduler.run_now("budget.sweep")


MakeKit = Callable[..., Awaitable[Kit]]


@pytest.fixture
def make_kit(make_bot: MakeBot) -> MakeKit:
    """`kit = await make_kit(locale="fr", treasury=500)`: the treasury is minted at start."""

    async def factory(*, treasury: int = 1000, locale: str = "en",
                      budget: dict[str, Any] | None = None) -> Kit:
        clock = Clock()
        raw = {"bot": {"locale": locale}, "plugins": {
            "tips": {"allowance_amount": 0, "activity_reward": 0, "idea_accepted_reward": 0,
                     "treasury_initial": treasury, "treasury_auto_mint": False},
            "ideas": {"auto_poll": False},
            "budget": budget or {}}}
        tb: TestBot = await make_bot(raw=raw, builtins=BUILTINS)
        tb.bot.clock = clock
        return Kit(tb, clock)

    return factory
