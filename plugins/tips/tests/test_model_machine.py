"""Model-based: random chat histories of the real tips plugin match a plain Python ledger.

A hypothesis state machine drives a real bot (every built-in plugin, the in-memory chat on two
platforms joined into one community) and a small model side by side. Through the chat: tips,
grants, balance and treasury reads, plain messages (presence), and account links (`!link` on
one platform, the code redeemed on the other). Through the scheduler, as its loop would: the
allowance (+ giving budget) and demurrage sweeps, with a hand-moved clock. After every step
each account's balance equals the model's, money is conserved (minted − burned, or zero in
mutual credit), no balance is below its floor, `check_integrity` is clean, and a refused
command changed no tips table.

`RUCHE_FUZZ_EXAMPLES` raises the example count for long runs (default: a few seconds each).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.testing import ManualClock, TestBot, make_test_bot
from plugins.tips import TipsPlugin, integrity
from plugins.tips.periods import label, period_start
from plugins.tips.tests.conftest import T0

COMMUNITY = "main"
DAY = 86400.0
HOUR = 3600.0
CONSOLE = ("alice", "bob", "carol", "mod")  # "mod" is a moderator on the console
OTHER = ("dave", "erin")  # members of the second platform, linkable into console members
PEOPLE = [("console", n) for n in CONSOLE] + [("other", n) for n in OTHER]
EXAMPLES = int(os.environ.get("RUCHE_FUZZ_EXAMPLES", "0"))
ON_PG = os.environ.get("RUCHE_TEST_BACKEND") == "postgresql"
# Tables a refused command must leave alone (the tips plugin's whole state).
_BOTS = itertools.count()
TIPS_TABLES = ("tips_accounts", "tips_entries", "tips_members", "tips_activity", "tips_sweeps")

BASE = {
    "allowance_amount": 5, "allowance_period": "1d", "active_window": "2d",
    "demurrage_rate": 0.1, "demurrage_period": "1d", "activity_reward": 0,
    "max_tip": 30, "max_grant": 50, "daily_cap": 40,
}


@dataclass
class OtherSection:
    """`[platforms.other]`: the second in-process platform of the test community."""

    enabled: bool = True


class OtherPlatform:
    """Declares the second platform's config section so the community may list its room."""

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}


@dataclass
class Row:
    """The model of one `tips_members` row: presence and sweep progress."""

    last_seen: float
    allowance_at: float | None
    budget_at: float | None = None


@dataclass
class Model:
    """What the ledger should hold, computed without SQL from the documented rules."""

    cfg: dict[str, Any]
    now: float = T0
    balances: dict[str, int] = field(default_factory=dict)
    exists: set[str] = field(default_factory=set)
    demurrage_at: dict[str, float | None] = field(default_factory=dict)
    members: dict[int, Row] = field(default_factory=dict)
    refs: set[tuple[str, str]] = field(default_factory=set)
    given: dict[tuple[int, str], int] = field(default_factory=dict)
    minted: int = 0
    burned: int = 0
    initial_done: bool = False
    overdrawn: set[str] = field(default_factory=set)  # may pass the floor (a merged debt)

    # -- configuration ------------------------------------------------------------------------

    @property
    def mutual(self) -> bool:
        return bool(self.cfg.get("mutual_credit"))

    def floor(self) -> int:
        return -int(self.cfg.get("credit_limit", 100)) if self.mutual else 0

    def issuer(self) -> str:
        return "treasury" if self.mutual else "mint"

    def sink(self, destination: str = "burn") -> str:
        return "treasury" if self.mutual or destination == "treasury" else "burn"

    # -- movements -----------------------------------------------------------------------------

    def open(self, account: str) -> None:
        if account not in ("mint", "burn") and account not in self.exists:
            self.exists.add(account)
            self.balances.setdefault(account, 0)
            if account.startswith("member:"):
                self.demurrage_at[account] = None

    def move(self, src: str, dst: str, amount: int, reason: str = "",
             ref: str | None = None) -> bool:
        """Record a committed movement; False (nothing) if its (reason, ref) was used."""
        if ref is not None:
            if (reason, ref) in self.refs:
                return False
            self.refs.add((reason, ref))
        for account in (src, dst):
            self.open(account)
        if src == "mint":
            self.minted += amount
        else:
            self.balances[src] -= amount
        if dst == "burn":
            self.burned += amount
        else:
            self.balances[dst] += amount
        return True

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    # -- presence ------------------------------------------------------------------------------

    def seen(self, member: int) -> None:
        """A message or a successful command: active now; back from absence → owed from now."""
        span = self.span("allowance_period")
        owed_from = period_start(self.now, span) - span
        row = self.members.get(member)
        if row is None:
            self.members[member] = Row(self.now, owed_from)
            return
        if row.last_seen >= self.now:
            return
        if row.last_seen < self.now - self.span("active_window") and (
                row.allowance_at is None or row.allowance_at < owed_from):
            row.allowance_at = owed_from
        row.last_seen = self.now

    def span(self, key: str) -> float:
        value = self.cfg[key]
        return {"1d": DAY, "2d": 2 * DAY}[value]

    # -- sweeps ----------------------------------------------------------------------------------

    @staticmethod
    def periods_after(marker: float | None, now: float, span: float) -> list[float]:
        """Period starts after the one holding `marker`, up to the current one included."""
        current = period_start(now, span)
        if marker is None:
            return [current]
        start = period_start(marker, span) + span
        out = []
        while start <= current:
            out.append(start)
            start += span
        return out

    def allowance(self) -> None:
        amount = int(self.cfg["allowance_amount"])
        if amount <= 0:
            return
        span, window = self.span("allowance_period"), self.span("active_window")
        current = period_start(self.now, span)
        previous = current - span
        for member in sorted(self.members):
            row = self.members[member]
            due = row.allowance_at is None or row.allowance_at < previous or (
                row.allowance_at < current and row.last_seen >= current - window)
            if not due:
                continue
            owed = [s for s in self.periods_after(row.allowance_at, self.now, span)
                    if s - window <= row.last_seen]
            for start in owed:
                self.move(self.issuer(), f"member:{member}", amount, "allowance",
                          f"{label(start, span)}:member:{member}")
            row.allowance_at = current if current in owed else previous

    def budgets(self) -> None:
        span, window = self.span("allowance_period"), self.span("active_window")
        current = period_start(self.now, span)
        key = label(current, span)
        refill = int(self.cfg.get("giving_budget", 0))
        active_since = current - window
        for member in sorted(self.members):
            row = self.members[member]
            account = f"budget:{member}"
            left = self.balance(account)
            if refill > 0:
                if not ((row.budget_at is None or row.budget_at < current)
                        and (row.last_seen >= active_since or left > 0)):
                    continue
            elif left <= 0:
                continue
            ref = f"{key}:member:{member}"
            if left > 0:
                self.move(account, self.sink(), left, "budget_expired", ref)
            if refill > 0:
                if row.last_seen >= active_since:
                    self.move(self.issuer(), account, refill, "budget", ref)
                row.budget_at = current

    def demurrage(self) -> None:
        span = self.span("demurrage_period")
        current = period_start(self.now, span)
        rate = float(self.cfg["demurrage_rate"])
        to = self.sink(self.cfg.get("demurrage_destination", "burn"))
        for account in sorted(a for a in self.exists if a.startswith("member:")):
            marker = self.demurrage_at[account]
            if marker is not None and marker >= current:
                continue
            if rate > 0 and self.balance(account) > 0 and marker is not None:
                held = self.balance(account)
                for start in self.periods_after(marker, self.now, span):
                    fee = min(held, int((Decimal(held) * Decimal(str(rate))).to_integral_value(
                        rounding=ROUND_FLOOR)))
                    if fee <= 0:
                        break
                    if self.move(account, to, fee, "demurrage", f"{label(start, span)}:{account}"):
                        held -= fee
            self.demurrage_at[account] = current

    # -- treasury --------------------------------------------------------------------------------

    def ensure_treasury(self) -> None:
        initial = int(self.cfg.get("treasury_initial", 0))
        if self.initial_done or self.mutual or initial <= 0:
            return
        self.initial_done = True
        self.move("mint", "treasury", initial, "mint", "treasury:initial")

    def grant(self, member: int, amount: int) -> bool:
        """A grant from the treasury (with the lazy initial mint and auto-mint); False if short."""
        if self.mutual:
            self.move("treasury", f"member:{member}", amount, "grant")
            self.overdrawn.add("treasury")
            return True
        initial = int(self.cfg.get("treasury_initial", 0))
        have = self.balance("treasury") + (0 if self.initial_done else initial)
        auto = bool(self.cfg.get("treasury_auto_mint", True))
        if have < amount and not auto:
            return False
        self.ensure_treasury()
        if auto and self.balance("treasury") < amount:
            self.move("mint", "treasury", amount - self.balance("treasury"), "mint")
        self.move("treasury", f"member:{member}", amount, "grant")
        return True

    # -- tips and links ----------------------------------------------------------------------

    def tip(self, sender: int, receiver: int, amount: int) -> bool:
        """A tip's outcome: False when refused (then nothing changed)."""
        if sender == receiver or amount <= 0 or amount > int(self.cfg["max_tip"]):
            return False
        cap = int(self.cfg.get("daily_cap", 0))
        day = label(period_start(self.now, DAY), DAY)
        given = self.given.get((sender, day), 0)
        if cap and given + amount > cap:
            return False
        src, budget = f"member:{sender}", f"budget:{sender}"
        use_budget = int(self.cfg.get("giving_budget", 0)) > 0 and self.balance(budget) >= amount
        if not use_budget and self.balance(src) - amount < self.floor():
            return False
        self.open(src)
        self.move(budget if use_budget else src, f"member:{receiver}", amount, "tip")
        self.given[(sender, day)] = given + amount
        if not use_budget and self.balance(src) < 0:
            self.overdrawn.add(src)
        return True

    def link(self, old: int, new: int) -> None:
        """Merge `old` into `new`: balance and budget move (a debt too), old's row goes."""
        for kind in ("member", "budget"):
            src, dst = f"{kind}:{old}", f"{kind}:{new}"
            held = self.balance(src)
            if held > 0:
                self.move(src, dst, held, "member_linked")
            elif held < 0:
                self.move(dst, src, -held, "member_linked")
                if self.balance(dst) < 0:
                    self.overdrawn.add(dst)
        self.members.pop(old, None)


class TipsMachine(RuleBasedStateMachine):
    """The real bot and the model, step by step; subclasses choose the [plugins.tips] keys."""

    config: ClassVar[dict[str, Any]] = {}
    tmp: ClassVar[Path]
    pg_url: ClassVar[str | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        cfg = {**BASE, **self.config}
        self.model = Model(cfg)
        self.clock = ManualClock(T0)
        self.tb: TestBot = self.runner.run(self._start(cfg))
        self.other = LocalAdapter("other", "room", moderators=["mod2"])
        self.runner.run(self._join_other())
        self.ids: dict[tuple[str, str], int] = {}
        self.codes = 0

    async def _start(self, cfg: dict[str, Any]) -> TestBot:
        url = None
        if self.pg_url is not None:
            from bot.testing.pytest_plugin import fresh_pg_database

            url = await fresh_pg_database(self.pg_url)
        path = self.tmp / f"m{next(_BOTS)}"
        path.mkdir()
        raw = {"plugins": {"tips": cfg},
               "communities": {COMMUNITY: {"rooms": ["console:console", "other:room"]}}}
        tb = await make_test_bot(path, raw=raw, plugins={"other": OtherPlatform()},
                                 storage_url=url)
        # The sweeps run when a rule says so, never from the scheduler's wall-clock loop.
        await tb.bot.scheduler.stop()
        tb.bot.clock = self.clock
        return tb

    async def _join_other(self) -> None:
        self.tb.bot.adapters["other"] = self.other
        await self.other.start(self.tb.bot)

    def teardown(self) -> None:
        try:
            self.runner.run(self.tb.stop())
        finally:
            self.runner.close()

    # -- plumbing ------------------------------------------------------------------------------

    def say(self, who: tuple[str, str], text: str) -> list[str]:
        """One chat line from `who`; the bot's messages it caused (direct messages included)."""
        adapter = self.tb.chat.adapter if who[0] == "console" else self.other
        sent = self.runner.run(adapter.say(who[1], text))
        for m in sent:
            assert "Sorry, something went wrong" not in m.text, (who, text, m.text)
        return [m.text for m in sent]

    def member_id(self, who: tuple[str, str]) -> int:
        return self.ids[who]

    async def _snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        db = self.tb.bot.db
        out = {}
        for table in TIPS_TABLES:
            rows = await db.fetch(f"SELECT * FROM {table}")  # fixed table names
            out[table] = sorted(tuple(str(r[i]) for i in range(len(r))) for r in rows)
        return out

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return self.runner.run(self._snapshot())

    def refused(self, who: tuple[str, str], text: str) -> str:
        """Send a line the model refuses: one reply, and no tips table changed."""
        before = self.snapshot()
        replies = self.say(who, text)
        assert len(replies) == 1, (text, replies)
        assert self.snapshot() == before, (who, text, replies)
        return replies[0]

    # -- rules -----------------------------------------------------------------------------------

    @initialize()
    def everyone_speaks(self) -> None:
        """Everyone writes once, so mentions resolve (and they are active)."""
        for who in PEOPLE:
            assert self.say(who, "hello") == []
            adapter = self.tb.chat.adapter if who[0] == "console" else self.other
            community = self.tb.bot.communities.get(COMMUNITY)
            found = self.runner.run(self.tb.bot.identity.find(community, adapter.platform,
                                                              who[1]))
            assert found is not None
            self.ids[who] = found.id
            self.model.seen(found.id)

    @rule(who=st.sampled_from(PEOPLE))
    def chat_line(self, who: tuple[str, str]) -> None:
        """A plain message marks presence only."""
        assert self.say(who, "just chatting") == []
        self.model.seen(self.member_id(who))

    @rule(sender=st.sampled_from(PEOPLE), receiver=st.sampled_from(range(len(CONSOLE))),
          amount=st.integers(-2, 45), memo=st.sampled_from(["", " thanks", " “merci” 🎉"]))
    def tip(self, sender: tuple[str, str], receiver: int, amount: int, memo: str) -> None:
        """`!tip @name N`: on the console any console name; on the other platform, its own."""
        names = CONSOLE if sender[0] == "console" else OTHER
        target = (sender[0], names[receiver % len(names)])
        line = f"!tip @{target[1]} {amount}{memo}"
        src, dst = self.member_id(sender), self.member_id(target)
        if src == dst or amount <= 0 or not self.model.tip(src, dst, amount):
            reply = self.refused(sender, line)
            assert "tipped" not in reply, (line, reply)
            return
        replies = self.say(sender, line)
        assert len(replies) == 1 and "tipped" in replies[0], (line, replies)
        self.model.seen(src)

    @rule(receiver=st.sampled_from(CONSOLE), amount=st.integers(1, 60))
    def grant(self, receiver: str, amount: int) -> None:
        """`!grant @name N reason` by the console moderator."""
        mod, dst = ("console", "mod"), self.member_id(("console", receiver))
        line = f"!grant @{receiver} {amount} for the wiki"
        if amount > int(self.model.cfg["max_grant"]) or not self.model.grant(dst, amount):
            reply = self.refused(mod, line)
            assert "granted" not in reply, (line, reply)
            return
        replies = self.say(mod, line)
        assert len(replies) == 1 and "granted" in replies[0], (line, replies)
        self.model.seen(self.member_id(mod))

    @rule(who=st.sampled_from(CONSOLE[:3]))
    def member_grant_refused(self, who: str) -> None:
        """A member cannot grant: refused, nothing moved."""
        reply = self.refused(("console", who), "!grant @alice 5 me")
        assert "granted" not in reply

    @rule(who=st.sampled_from(PEOPLE), whose=st.sampled_from(["", "@alice", "@bob"]))
    def balance(self, who: tuple[str, str], whose: str) -> None:
        """`!balance` shows exactly the model's balance."""
        target = who if not whose or who[0] != "console" else ("console", whose[1:])
        line = f"!balance {whose}".strip() if who[0] == "console" else "!balance"
        replies = self.say(who, line)
        assert len(replies) == 1, replies
        match = re.search(r" has (-?\d+) BZZ\.", replies[0])
        assert match, replies
        assert int(match.group(1)) == self.model.balance(f"member:{self.member_id(target)}")
        self.model.seen(self.member_id(who))

    @rule()
    def treasury(self) -> None:
        """`!treasury` (moderator) shows the model's treasury; it also mints the initial one."""
        replies = self.say(("console", "mod"), "!treasury")
        assert len(replies) == 1, replies
        self.model.ensure_treasury()
        match = re.search(r"Treasury: (-?\d+) BZZ\.", replies[0])
        assert match and int(match.group(1)) == self.model.balance("treasury"), replies
        self.model.seen(self.member_id(("console", "mod")))

    @rule(hours=st.sampled_from([1, 5, 11, 24, 24, 30, 49]))
    def advance(self, hours: int) -> None:
        """Time passes (no sweep yet: the next sweep catches up)."""
        self.clock.advance(seconds=hours * HOUR)
        self.model.now = self.clock.now

    @rule()
    def allowance_sweep(self) -> None:
        """The allowance job: universal dividend, then giving budgets."""
        assert self.runner.run(self.tb.bot.scheduler.run_now("tips.allowance"))
        self.model.allowance()
        self.model.budgets()

    @rule()
    def demurrage_sweep(self) -> None:
        assert self.runner.run(self.tb.bot.scheduler.run_now("tips.demurrage"))
        self.model.demurrage()

    @precondition(lambda self: self.codes < 3)
    @rule(creator=st.sampled_from(PEOPLE), redeemer=st.sampled_from(PEOPLE))
    def link(self, creator: tuple[str, str], redeemer: tuple[str, str]) -> None:
        """`!link` on one platform, the code typed on the other: the redeemer's member (old)
        merges into the creator's (new) — wallet, budget and presence row."""
        self.codes += 1
        replies = self.say(creator, "!link")
        code = re.search(r"code is ([A-Z0-9]{8})", "\n".join(replies))
        assert code, replies
        self.model.seen(self.member_id(creator))
        old, new = self.member_id(redeemer), self.member_id(creator)
        line = f"!link {code.group(1)}"
        if old == new or creator[0] == redeemer[0]:
            before = self.snapshot()
            out = self.say(redeemer, line)
            assert len(out) == 1 and "Linked" not in out[0], out
            assert self.snapshot() == before
            return
        out = self.say(redeemer, line)
        assert len(out) == 1 and "Linked" in out[0], out
        self.model.link(old, new)
        self.model.seen(new)  # the account that just spoke is the merged member now
        for who, member in self.ids.items():
            if member == old:
                self.ids[who] = new

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self) -> None:
        if not self.ids:
            return
        rows = self.runner.run(self.tb.bot.db.fetch(
            "SELECT account, balance FROM tips_accounts WHERE community = $1", COMMUNITY))
        real = {r["account"]: int(r["balance"]) for r in rows}
        expected = {a: b for a, b in self.model.balances.items() if a in self.model.exists}
        assert {a: b for a, b in real.items() if b} == {a: b for a, b in expected.items() if b}
        assert set(real) == set(expected), (set(real) ^ set(expected))
        floor = self.model.floor()
        for account, held in real.items():
            if account.startswith(("member:", "budget:")) and account not in self.model.overdrawn:
                assert held >= floor, (account, held)
            if not self.model.mutual:
                assert held >= 0, (account, held)
        totals = self.runner.run(self.tb.bot.db.fetchrow(
            "SELECT (SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE src = 'mint')"
            " AS minted, (SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE dst = 'burn')"
            " AS burned"))
        assert totals is not None
        assert (int(totals["minted"]), int(totals["burned"])) == (self.model.minted,
                                                                  self.model.burned)
        assert sum(real.values()) == self.model.minted - self.model.burned
        if self.model.mutual:
            assert sum(real.values()) == 0
        assert self.runner.run(integrity.check(self.tb.bot.plugin(TipsPlugin).service)) == []


def _settings() -> settings:
    examples = EXAMPLES or (5 if ON_PG else 20)
    return settings(max_examples=examples, stateful_step_count=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


class PlainMachine(TipsMachine):
    """Minted money: an initial treasury, auto-mint, burning demurrage, a daily cap."""

    config: ClassVar[dict[str, Any]] = {"treasury_initial": 40}


class StrictTreasuryMachine(TipsMachine):
    """No auto-mint: grants past the treasury are refused; demurrage refills the treasury."""

    config: ClassVar[dict[str, Any]] = {
        "treasury_initial": 60, "treasury_auto_mint": False,
        "demurrage_destination": "treasury", "demurrage_period": "2d"}


class BudgetMachine(TipsMachine):
    """A giving budget each period, which tips spend first and which expires (burned)."""

    config: ClassVar[dict[str, Any]] = {"giving_budget": 8, "daily_cap": 0}


class MutualCreditMachine(TipsMachine):
    """Mutual credit: balances go down to -credit_limit, the sum stays zero."""

    config: ClassVar[dict[str, Any]] = {"mutual_credit": True, "credit_limit": 20, "giving_budget": 4}


MACHINES = [PlainMachine, StrictTreasuryMachine, BudgetMachine, MutualCreditMachine]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_chat_histories_match_the_model(machine: type[TipsMachine], tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    machine.tmp = tmp_path
    machine.pg_url = request.getfixturevalue("ruche_pg_url") if ON_PG else None
    machine.TestCase.settings = _settings()
    machine.TestCase().runTest()
