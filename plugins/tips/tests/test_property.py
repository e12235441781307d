"""Property: any sequence of tips, grants, rewards (replayed too), charges, allowance and
demurrage sweeps and account links keeps every invariant `ruche db check` verifies."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import UserError
from bot.model import Member
from bot.testing import make_test_bot
from plugins.ideas.models import Idea
from plugins.tips import TipsPlugin, integrity, rewards, sweeps
from plugins.tips.tests.conftest import T0

MEMBERS = 4
member = st.integers(0, MEMBERS - 1)
amount = st.integers(1, 40)
ref = st.integers(0, 3)  # few refs, so replays are frequent
operation = st.one_of(
    st.tuples(st.just("tip"), member, member, amount),
    st.tuples(st.just("grant"), member, amount),
    st.tuples(st.just("award"), member, amount, ref),
    st.tuples(st.just("charge"), member, amount, ref),
    st.tuples(st.just("idea"), member, member, ref),
    st.tuples(st.just("allowance"), st.integers(0, 3)),
    st.tuples(st.just("demurrage"), st.integers(0, 3)),
    st.tuples(st.just("link"), member, member),
    st.tuples(st.just("seen"), member),
)
CONFIG = {"plugins": {"tips": {
    "allowance_amount": 3, "demurrage_rate": 0.1, "demurrage_period": "1d",
    "active_window": "2d", "activity_reward": 0, "credit_limit": 10, "max_tip": 30,
    "treasury_initial": 50, "treasury_auto_mint": True,
}}}


class World:
    """One community per example, all in one bot, each with its own clock position."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.svc = bot.plugin(TipsPlugin).service
        self.counter = itertools.count()
        self.now = T0
        bot.clock = lambda: self.now

    async def run(self, ops: list[tuple[Any, ...]], mutual: bool) -> None:
        community = f"prop{next(self.counter)}"
        base = 1000 * next(self.counter)
        ids = [base + i for i in range(MEMBERS)]
        people = [Member(i, community, f"p{i}") for i in ids]
        if mutual:
            await self.bot.settings.set(community, "plugins.tips.mutual_credit", "yes", None)
        for op in ops:
            try:
                await self.step(community, people, ids, op)
            except UserError:
                pass  # refused: nothing changed, which the invariants below verify too
        problems = [p for p in await integrity.check(self.svc)
                    if p.startswith((f"tips: community {community}:",
                                     f"tips: community {community} "))]
        assert problems == [], (ops, problems)
        rows = await self.bot.db.fetch(
            "SELECT account, balance FROM tips_accounts WHERE community = $1", community)
        balances = {r["account"]: int(r["balance"]) for r in rows}
        if mutual:
            assert sum(balances.values()) == 0
        else:
            assert min(balances.values(), default=0) >= 0
        dupes = await self.bot.db.fetchval(
            "SELECT COUNT(*) FROM (SELECT reason, ref FROM tips_entries WHERE community = $1 "
            "AND ref IS NOT NULL GROUP BY reason, ref HAVING COUNT(*) > 1) AS d", community)
        assert dupes == 0

    async def step(self, community: str, people: list[Member], ids: list[int],
                   op: tuple[Any, ...]) -> None:
        svc, kind = self.svc, op[0]
        if kind == "tip":
            await svc.tip(community, people[op[1]], people[op[2]], op[3])
        elif kind == "grant":
            await svc.treasury.grant(community, people[0], people[op[1]], op[2], "prop")
        elif kind == "award":
            await svc.treasury.award(community, ids[op[1]], op[2], "prop_award", f"r{op[3]}")
        elif kind == "charge":
            await svc.treasury.charge(community, ids[op[1]], op[2], "prop_charge", f"r{op[3]}")
        elif kind == "idea":
            idea = Idea(op[3], community, op[3], "t", "", "accepted", ids[op[1]],
                        (ids[op[2]],))
            await rewards.reward_idea(svc, idea, "idea_accepted", 50)
        elif kind == "allowance":
            self.now += op[1] * 86400
            await sweeps.allowance(svc, community, self.now)
        elif kind == "demurrage":
            self.now += op[1] * 86400
            await sweeps.demurrage(svc, community, self.now)
        elif kind == "link":
            await svc.link(community, ids[op[1]], ids[op[2]])
        elif kind == "seen":
            pending = svc.seen(community, ids[op[1]])
            if pending is not None:
                await pending


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_random_ledger_histories_keep_the_invariants(tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    with asyncio.Runner() as runner:
        url = None
        if os.environ.get("RUCHE_TEST_BACKEND") == "postgresql":
            from bot.testing.pytest_plugin import fresh_pg_database

            url = runner.run(fresh_pg_database(request.getfixturevalue("ruche_pg_url")))
        tb = runner.run(make_test_bot(tmp_path, raw=CONFIG, storage_url=url))
        world = World(tb.bot)

        @settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(ops=st.lists(operation, max_size=30), mutual=st.booleans())
        def history(ops: list[tuple[Any, ...]], mutual: bool) -> None:
            runner.run(world.run(ops, mutual))

        try:
            history()
        finally:
            runner.run(tb.stop())
