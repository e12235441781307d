"""The allowance sweep over many communities at once: set-based statements grouped by each
community's allowance rule, every member paid exactly once per period, replays paying nothing."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.model import Member
from bot.testing import make_test_bot
from plugins.tips import TipsPlugin, integrity, store, sweeps
from plugins.tips.periods import label, period_start
from plugins.tips.tests.conftest import T0, Kit, MakeKit

DAY = 86400.0


async def seen(kit: Kit, community: str, member_id: int) -> None:
    """A member of `community` shows up (what any message or command of theirs does)."""
    pending = kit.svc.seen(community, member_id)
    assert pending is not None
    await pending


async def paid(kit: Kit) -> dict[tuple[str, str], list[str]]:
    """Every allowance ref, by (community, account)."""
    out: dict[tuple[str, str], list[str]] = {}
    for e in await kit.entries("allowance"):
        out.setdefault((e["community"], e["dst"]), []).append(e["ref"])
    return out


async def test_a_sweep_over_communities_with_different_configs_pays_each_member_once(
        make_kit: MakeKit) -> None:
    kit = await make_kit(allowance_amount=10)
    settings_ = kit.bot.settings
    await settings_.set("b", "plugins.tips.allowance_amount", "3", None)
    await settings_.set("c", "plugins.tips.allowance_amount", "0", None)  # off there
    await settings_.set("d", "plugins.tips.mutual_credit", "yes", None)  # issued by treasury
    await kit.bot.switches.set("e", "tips", False, Member(1, "e", "admin"))  # plugin off
    amounts = {"a": 10, "b": 3, "c": 0, "d": 10, "e": 0}
    for community in amounts:
        for member_id in (1, 2, 3):
            await seen(kit, community, member_id)
    await kit.bot.scheduler.run_now("tips.allowance")
    today = label(period_start(kit.clock.now, DAY), DAY)
    expected = {(c, f"member:{m}"): [f"{today}:member:{m}"]
                for c, amount in amounts.items() if amount for m in (1, 2, 3)}
    assert await paid(kit) == expected
    for community, amount in amounts.items():
        for member_id in (1, 2, 3):
            assert await store.balance(kit.bot.db, community, f"member:{member_id}") == (
                amount or None)
    assert await store.balance(kit.bot.db, "d", "treasury") == -30
    before = await kit.snapshot()
    await kit.bot.scheduler.run_now("tips.allowance")
    # a replay after lost progress markers (a crash between two steps) pays nothing either
    await kit.bot.db.execute("UPDATE tips_members SET allowance_at = NULL")
    await kit.bot.scheduler.run_now("tips.allowance")
    assert await kit.snapshot() == before
    await kit.check()

    kit.clock.advance(days=1)
    await kit.bot.scheduler.run_now("tips.allowance")
    for community, amount in amounts.items():
        if amount:
            assert await store.balance(kit.bot.db, community, "member:2") == 2 * amount
    assert all(len(refs) == 2 for refs in (await paid(kit)).values())
    await kit.check()


# -- property: whatever the configs and the sweep times, each period once -------------------

community_rule = st.tuples(st.integers(0, 5), st.integers(1, 4), st.integers(0, 3))
"""(allowance_amount, active_window in days, members)"""


class World:
    """One bot; each example sweeps its own fresh communities from T0."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.svc = bot.plugin(TipsPlugin).service
        self.counter = itertools.count()
        self.now = T0
        bot.clock = lambda: self.now

    async def run(self, rules: list[tuple[int, int, int]], hours: list[int]) -> None:
        self.now = T0
        names = [f"s{next(self.counter)}" for _ in rules]
        for name, (amount, window, members) in zip(names, rules, strict=True):
            await self.bot.settings.set(name, "plugins.tips.allowance_amount", str(amount), None)
            await self.bot.settings.set(name, "plugins.tips.active_window", f"{window}d", None)
            for member_id in range(members):
                pending = self.svc.seen(name, member_id)
                if pending is not None:
                    await pending
        await sweeps.allowance_many(self.svc, names, self.now)
        for step in hours:
            self.now += step * 3600
            await sweeps.allowance_many(self.svc, names, self.now)
        await sweeps.allowance_many(self.svc, names, self.now)  # a replay changes nothing
        first, last = period_start(T0, DAY), period_start(self.now, DAY)
        for name, (amount, window, members) in zip(names, rules, strict=True):
            # a member seen once at T0 is owed each day from T0's until `window` after T0
            days = int((min(last, T0 + window * DAY) - first) // DAY) + 1
            for member_id in range(members):
                held = await store.balance(self.bot.db, name, f"member:{member_id}")
                assert (held or 0) == amount * days, (name, rules, hours)
        assert [p for p in await integrity.check(self.svc)
                if any(f"community {n}" in p for n in names)] == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_any_sweep_schedule_pays_each_active_period_exactly_once(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    with asyncio.Runner() as runner:
        url = None
        if os.environ.get("RUCHE_TEST_BACKEND") == "postgresql":
            from bot.testing.pytest_plugin import fresh_pg_database

            url = runner.run(fresh_pg_database(request.getfixturevalue("ruche_pg_url")))
        raw = {"plugins": {"tips": {"activity_reward": 0}}}
        tb = runner.run(make_test_bot(tmp_path, raw=raw, storage_url=url))
        world = World(tb.bot)

        @settings(max_examples=30, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(rules=st.lists(community_rule, min_size=1, max_size=4),
               hours=st.lists(st.integers(1, 150), max_size=6))
        def schedule(rules: list[tuple[int, int, int]], hours: list[int]) -> None:
            runner.run(world.run(rules, hours))

        try:
            schedule()
        finally:
            runner.run(tb.stop())
