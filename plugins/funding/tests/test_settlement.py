"""Exactly once: racing sweeps, two processes on one database, restarts, and a crash after every
ledger movement (simulated in-process here; test_crash.py kills a real process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.testing import TestBot
from plugins.funding import FundingPlugin, money, settlement
from plugins.funding.tests.conftest import COMMUNITY, Kit, MakeKit


class Crash(BaseException):
    """The process dies here: nothing after this line of the flow runs (not an Exception, so
    no handler on the way catches it)."""


def crash_after(monkeypatch: pytest.MonkeyPatch, reason: str, nth: int = 1) -> None:
    """Make the `nth` ledger movement with `reason` commit, then "kill" the flow."""
    real = money.transfer
    seen = {"n": 0}

    async def transfer(bot: Any, community: str, src: str, dst: str, amount: int, why: str,
                       ref: str, memo: str = "") -> bool:
        done = await real(bot, community, src, dst, amount, why, ref, memo)
        if why == reason:
            seen["n"] += 1
            if seen["n"] == nth:
                monkeypatch.setattr(money, "transfer", real)  # the restarted process is sane
                raise Crash(ref)
        return done

    monkeypatch.setattr(money, "transfer", transfer)


async def _round_with_pledges(kit: Kit, goal: int = 100) -> None:
    for name in ("bob", "carol", "dave"):
        await kit.give(name, 100)
    await kit.accepted_idea("Bike shed")
    await kit.say("alice", f"!fund open 1 {goal} --until 2d")
    await kit.say("bob", "!pledge 1 40")
    await kit.say("carol", "!pledge 1 35")
    await kit.say("dave", "!pledge 1 30")


async def _counts(kit: Kit) -> dict[str, int]:
    rows = await kit.bot.db.fetch(
        "SELECT reason, COUNT(*) AS n FROM tips_entries GROUP BY reason")
    return {r["reason"]: int(r["n"]) for r in rows}


async def test_racing_sweeps_and_close_settle_once(kit: Kit) -> None:
    await _round_with_pledges(kit)
    kit.clock.advance(days=2)
    svc = kit.svc
    await asyncio.gather(settlement.sweep(svc), settlement.sweep(svc),
                         settlement.close(svc, 1, "close"), kit.say("mod", "!fund close 1"),
                         settlement.drive(svc, 1))
    assert await kit.balance("alice") == 105
    assert (await _counts(kit))["funding"] == 1
    assert len(kit.events.named("succeeded")) == 1
    assert await kit.problems() == []


async def test_two_processes_on_one_database_settle_once(kit: Kit,
                                                         make_bot: Callable[..., Awaitable[
                                                             TestBot]]) -> None:
    await _round_with_pledges(kit, goal=200)  # will fail: three refunds
    other = await make_bot(storage_url=kit.bot.config.storage.url,
                           raw={"plugins": {"tips": {"allowance_amount": 0}}},
                           builtins={"core": "bot.commands.builtin", "tips": "plugins.tips",
                                     "funding": "plugins.funding"})
    other.bot.clock = kit.clock
    kit.clock.advance(days=3)
    theirs = other.bot.plugin(FundingPlugin).service
    await asyncio.gather(settlement.sweep(kit.svc), settlement.sweep(theirs),
                         settlement.sweep(kit.svc), settlement.sweep(theirs))
    assert (await _counts(kit))["refund"] == 3
    for name in ("bob", "carol", "dave"):
        assert await kit.balance(name) == 100
    state = await kit.bot.db.fetchval("SELECT state FROM funding_rounds WHERE id = 1")
    assert state == "failed"
    assert await kit.problems() == []


async def test_a_restart_between_claim_and_settlement_settles_once(kit: Kit) -> None:
    await _round_with_pledges(kit)
    # A claim that never got further (the process died right after it).
    await kit.bot.db.execute(
        "UPDATE funding_rounds SET state = 'settling', settle_kind = 'deadline' WHERE id = 1")
    assert await kit.problems() == []
    await kit.restart()
    await kit.sweep()
    await kit.restart()
    await kit.sweep()
    assert await kit.balance("alice") == 105 and (await _counts(kit))["funding"] == 1
    assert await kit.problems() == []


@pytest.mark.parametrize("goal", [100, 500], ids=["goal-met", "goal-missed"])
async def test_a_crash_after_any_movement_converges(kit: Kit, monkeypatch: pytest.MonkeyPatch,
                                                    goal: int) -> None:
    """Crash after each kind of movement in turn; after a restart the sweep finishes the job
    and every movement exists exactly once."""
    for name in ("bob", "carol"):
        await kit.give(name, 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", f"!fund open 1 {goal} --until 2d")
    svc = kit.svc
    community = kit.bot.communities.get(COMMUNITY)
    bob = await kit.bot.identity.find(community, "console", "bob")
    carol = await kit.bot.identity.find(community, "console", "carol")

    await svc.pledge(community, bob, 1, 70)
    crash_after(monkeypatch, money.PLEDGE)
    with pytest.raises(Crash):
        await svc.pledge(community, carol, 1, 50)  # escrowed, never confirmed
    assert await kit.balance("escrow:fund:1") == 120
    assert await kit.problems() == []  # in flight, within bounds
    await kit.restart()
    svc, community = kit.svc, kit.bot.communities.get(COMMUNITY)
    await kit.sweep()  # too fresh: a live command may still be deciding it
    assert [r["state"] for r in await kit.pledge_rows()] == ["confirmed", "pending"]
    kit.clock.advance(seconds=121)
    await kit.sweep()
    assert [r["state"] for r in await kit.pledge_rows()] == ["confirmed", "confirmed"]
    assert len(await kit.entries("pledge")) == 2 and await kit.balance("carol") == 50

    crash_after(monkeypatch, money.REFUND)
    with pytest.raises(Crash):
        await svc.unpledge(community, carol, 1)  # refunded, never marked
    assert await kit.problems() == []
    await kit.restart()
    svc = kit.svc
    await kit.sweep()
    assert await kit.balance("carol") == 100 and len(await kit.entries("refund")) == 1
    await svc.pledge(kit.bot.communities.get(COMMUNITY), carol, 1, 40)

    kit.clock.advance(days=2)
    crash_after(monkeypatch, money.RELEASE if goal == 100 else money.REFUND)
    with pytest.raises(Crash):
        await settlement.sweep(kit.svc)
    assert await kit.problems() == []
    await kit.restart()
    await kit.sweep()
    await kit.sweep()
    counts = await _counts(kit)
    if goal == 100:
        assert counts["funding"] == 1 and await kit.balance("alice") == 110
        assert (await kit.balance("bob"), await kit.balance("carol")) == (30, 60)
        assert len(kit.events.named("succeeded")) == 1
    else:
        assert counts["refund"] == 3 and "funding" not in counts
        assert (await kit.balance("bob"), await kit.balance("carol")) == (100, 100)
        assert len(kit.events.named("failed")) == 1
    assert await kit.balance("escrow:fund:1") == 0
    assert counts["pledge"] == 3
    assert await kit.problems() == []


async def test_a_crash_before_the_ledger_moved_completes_or_drops_the_pledge(
        make_kit: MakeKit, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = await make_kit(funding={"recovery_grace": "1s"})
    await kit.give("bob", 100)
    await kit.give("carol", 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", "!fund open 1 100")

    async def die(*args: Any, **kwargs: Any) -> bool:
        raise Crash("before the ledger")

    svc, community = kit.svc, kit.bot.communities.get(COMMUNITY)
    bob = await kit.bot.identity.find(community, "console", "bob")
    carol = await kit.bot.identity.find(community, "console", "carol")
    monkeypatch.setattr(money, "transfer", die)
    with pytest.raises(Crash):
        await svc.pledge(community, bob, 1, 30)
    with pytest.raises(Crash):
        await svc.pledge(community, carol, 1, 30)
    monkeypatch.undo()
    await kit.say("carol", "!tip @bob 100")  # carol spends her tokens meanwhile: bob can pay
    kit.clock.advance(seconds=2)
    await kit.sweep()
    rows = await kit.pledge_rows()
    assert [(r["amount"], r["state"]) for r in rows] == [(30, "confirmed")]
    assert await kit.balance("escrow:fund:1") == 30
    [completed] = kit.events.named("pledge")  # notified once the sweep completed it
    assert (completed.amount, completed.total, completed.round.raised) == (30, 30, 30)
    assert await kit.problems() == []


async def test_escrow_drift_is_reported(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", "!fund open 1 100")
    await kit.say("bob", "!pledge 1 10")
    # Someone moves escrowed tokens behind funding's back.
    await kit.bot.hooks.first("transfer_tokens", bot=kit.bot, community=COMMUNITY,
                              src="escrow:fund:1", dst="project:x", amount=4, reason="test",
                              ref="drift", memo="")
    problems = await kit.problems()
    assert problems == ["funding: community console: escrow of round 1 holds 6, expected 10 "
                        "(its pledges)"]


async def test_rounds_due_while_down_settle_at_startup(make_kit: MakeKit) -> None:
    """The sweep runs at startup: a round whose deadline passed while the bot was down."""
    kit = await make_kit()
    kit.clock.now = time.time()  # the restarted bot's startup sweep runs on the real clock
    await kit.give("bob", 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", "!fund open 1 10 --until 1m")
    await kit.say("bob", "!pledge 1 10")
    await kit.bot.db.execute("UPDATE funding_rounds SET deadline = deadline - 120")
    kit.tb = await kit.tb.restart()  # real clock: the startup sweep settles it
    assert await kit.balance("alice") == 10
