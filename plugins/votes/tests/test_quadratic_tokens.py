"""Quadratic polls paid in tokens through the tips hooks: charges, refunds, crash recovery."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest

from bot import hookimpl
from bot.commands import UserError
from bot.testing import TestBot
from plugins.votes import closing
from plugins.votes import service as service_module
from plugins.votes.tests.conftest import BUILTINS, current_result, integrity, service

RAW = {"plugins": {"votes": {"tally_edit_interval": 0.0, "quadratic_currency": "tokens"}}}


class FakeTips:
    """The tips plugin's two hooks, idempotent on (reason, ref) like the real ledger."""

    def __init__(self) -> None:
        self.balances: dict[int, int] = defaultdict(int)
        self.entries: dict[tuple[str, str], tuple[int, int]] = {}

    @hookimpl
    def register_hookspecs(self, pm: Any) -> None:
        from plugins.tips import hookspecs

        pm.add_hookspecs(hookspecs)

    @hookimpl
    def charge_tokens(self, community: str, member_id: int, amount: int, reason: str,
                      ref: str) -> tuple[int, int]:
        key = (reason, ref)
        if key in self.entries:
            return self.entries[key]
        if self.balances[member_id] < amount:
            raise UserError("Not enough tokens.")
        self.balances[member_id] -= amount
        self.entries[key] = (member_id, -amount)
        return self.entries[key]

    @hookimpl
    def award_tokens(self, community: str, member_id: int, amount: int, reason: str,
                     ref: str) -> tuple[int, int]:
        key = (reason, ref)
        if key not in self.entries:
            self.balances[member_id] += amount
            self.entries[key] = (member_id, amount)
        return self.entries[key]


@pytest.fixture
async def paid(make_bot: Any) -> tuple[TestBot, FakeTips, int]:
    tips = FakeTips()
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"tips": tips})
    await tb.chat.say("alice", "hi")
    alice = int(await tb.bot.db.fetchval(
        "SELECT member_id FROM core_identities WHERE user_id = 'alice'"))
    tips.balances[alice] = 50
    await tb.chat.say("mod", '!poll new "Budget" "Park" "Library" --method quadratic')
    return tb, tips, alice


async def test_each_revote_pays_or_refunds_the_difference(
        paid: tuple[TestBot, FakeTips, int]) -> None:
    tb, tips, alice = paid
    chat = tb.chat
    assert "paid in tokens" in chat.adapter.message(1).text
    assert "recorded" in await chat.say("alice", "!vote 1 A=3 B=-2")  # 13
    assert tips.balances[alice] == 37
    await chat.say("alice", "!vote 1 A=5")  # 25: pays 12 more
    assert tips.balances[alice] == 25
    await chat.say("alice", "!vote 1 A=1")  # 1: 24 back
    assert tips.balances[alice] == 49
    await chat.say("alice", "!vote 1 A=7 B=1")  # 50: pays 49
    assert tips.balances[alice] == 0
    assert await chat.say("alice", "!vote 1 A=8") == "Not enough tokens."
    assert tips.balances[alice] == 0
    result = await current_result(tb, 1)
    assert result.totals == (7, 1)  # the refused ballot changed nothing
    assert "withdrawn" in await chat.say("alice", "!unvote 1")
    assert tips.balances[alice] == 50
    await chat.say("alice", "!vote 1 B=2")
    assert tips.balances[alice] == 46
    assert "refunded" in await chat.say("mod", "!poll cancel 1")
    assert tips.balances[alice] == 50
    await closing.sweep(service(tb))  # a replayed refund pays nothing twice
    assert tips.balances[alice] == 50
    assert await integrity(tb) == []


async def test_closing_keeps_the_tokens(paid: tuple[TestBot, FakeTips, int]) -> None:
    tb, tips, alice = paid
    await tb.chat.say("alice", "!vote 1 A=4")
    await tb.chat.say("mod", "!poll close 1")
    assert tips.balances[alice] == 34


async def test_without_tips_token_polls_refuse_ballots(make_bot: Any) -> None:
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS)
    await tb.chat.say("mod", '!poll new "Q" "A" "B" --method quadratic')
    assert await tb.chat.say("bob", "!vote 1 A=2") == \
        "This poll is paid in tokens, and the tips plugin is not available."
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM votes_charges") == 0


async def test_a_crash_after_the_charge_is_refunded_by_the_sweep(
        paid: tuple[TestBot, FakeTips, int], monkeypatch: pytest.MonkeyPatch) -> None:
    tb, tips, alice = paid
    svc = service(tb)

    async def killed(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("process killed before the ballot was written")

    monkeypatch.setattr(svc, "write", killed)
    assert "Sorry" in await tb.chat.say("alice", "!vote 1 A=5")
    monkeypatch.undo()
    assert tips.balances[alice] == 25  # charged, but no ballot
    assert "still being recorded" in await tb.chat.say("alice", "!vote 1 A=1")
    await closing.sweep(svc)
    assert tips.balances[alice] == 25  # pending is young: might still be in flight
    tb.bot.clock = lambda: time.time() + closing.LEASE_SECONDS + 5
    await closing.sweep(svc)
    await closing.sweep(svc)
    assert tips.balances[alice] == 50
    assert await tb.bot.db.fetchval("SELECT state FROM votes_charges") == "void"
    assert "recorded" in await tb.chat.say("alice", "!vote 1 A=1")
    assert tips.balances[alice] == 49


def test_the_service_module_has_no_tips_import() -> None:
    assert "plugins.tips" not in service_module.__dict__
