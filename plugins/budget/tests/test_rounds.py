"""Budgets paying an idea's open funding round: the treasury's money counts toward the goal,
reaches the round's wallet once if it succeeds, and goes back to the treasury once if it fails;
a replayed close or a restart never pays twice, nor both to the round and to the author."""

from __future__ import annotations

from typing import Any

import pytest

from bot.api import UserError
from plugins.budget import closing, money, store
from plugins.budget.tests.conftest import COMMUNITY, Kit, MakeKit


async def give(kit: Kit, name: str, amount: int) -> None:
    """Pay `name` from the treasury, so they can pledge (the treasury shrinks by `amount`)."""
    await kit.bot.hooks.first("award_tokens", bot=kit.bot, community=COMMUNITY,
                              member_id=await kit.member_id(name), amount=amount,
                              reason="test_give", ref=f"test:{name}:{amount}")


async def entries(kit: Kit, where: str) -> list[tuple[str, str, int, str]]:
    rows = await kit.bot.db.fetch(
        f"SELECT src, dst, amount, reason FROM tips_entries WHERE {where} ORDER BY id")
    return [(r["src"], r["dst"], int(r["amount"]), r["reason"]) for r in rows]


async def round_state(kit: Kit, round_id: int = 1) -> str:
    return str(await kit.bot.db.fetchval("SELECT state FROM funding_rounds WHERE id = $1",
                                         round_id))


async def funding_sweep(kit: Kit) -> None:
    assert await kit.bot.scheduler.run_now("funding.sweep")


async def budget_for_idea_1(kit: Kit, goal: int) -> None:
    """Idea #1 (alice) has a 7-day round of `goal` with bob's pledge of 50; a budget of 300
    funds it at cost 150 and closes now."""
    assert await kit.accepted_idea("Garden") == 1
    await give(kit, "bob", 50)
    assert "Funding round open" in await kit.say("alice", f"!fund open 1 {goal} --until 7d")
    assert "50" in await kit.say("bob", "!pledge 1 50")
    assert "Budget open" in await kit.say("mod", "!budget open 300 --until 2d --costs 1:150")
    await kit.say("carol", "!budget support 1")
    out = await kit.say("mod", "!budget close")
    assert "Budget closed: 1 idea funded, 150 BZZ of 300 BZZ spent." in out, out
    assert "Paid into their funding round (it goes back to the treasury if the round " \
           "fails): #1." in out, out


async def test_a_budget_fills_a_round_that_then_succeeds(make_kit: MakeKit) -> None:
    """Treasury 1000 − 50 (bob) − 150 (the budget) = 800; the round of goal 200 holds bob's 50
    and the treasury's 150, so it succeeds and alice's wallet gets 200, once."""
    kit = await make_kit()
    await budget_for_idea_1(kit, goal=200)
    assert await kit.balance("treasury") == 800
    assert await kit.balance("escrow:fund:1") == 200
    assert await kit.balance("alice") == 0  # the author is not paid directly
    assert await entries(kit, "reason = 'participatory_budget'") == [
        ("treasury", "escrow:fund:1", 150, "participatory_budget")]
    shown = await kit.say("dave", "!fund show 1")
    assert "200" in shown and "1 backer" in shown, shown
    assert await kit.problems() == []

    # A replayed close, a crash after the pledge but before the budget marked it paid, and a
    # restart: nothing moves again, neither to the round nor to alice.
    ledger = await kit.ledger()
    assert await closing.close(kit.svc, 1, "close") is False
    await kit.bot.db.execute("UPDATE budget_ideas SET paid = 0, paid_round = NULL")
    await kit.bot.db.execute("UPDATE budget_rounds SET state = 'closing' WHERE id = 1")
    await kit.restart()
    await kit.sweep()
    assert await kit.ledger() == ledger
    row = await store.round_row(kit.bot.db, 1)
    assert row is not None and row["state"] == "closed"
    assert [int(r["paid_round"]) for r in await store.ideas(kit.bot.db, 1)] == [1]

    kit.clock.advance(days=8)
    await funding_sweep(kit)
    await funding_sweep(kit)
    assert await round_state(kit) == "succeeded"
    alice = await kit.member_id("alice")
    assert await entries(kit, "reason = 'funding'") == [
        ("escrow:fund:1", f"member:{alice}", 200, "funding")]
    assert await kit.balance("alice") == 200
    assert await kit.balance("escrow:fund:1") == 0
    assert await kit.balance("treasury") == 800
    backers = await kit.bot.db.fetch("SELECT member_id FROM funding_backers")
    assert [int(r["member_id"]) for r in backers] == [await kit.member_id("bob")]
    assert await kit.problems() == []


async def test_a_round_that_fails_gives_the_budget_back_to_the_treasury(
        make_kit: MakeKit) -> None:
    """Goal 500: 200 raised is not enough. Bob gets his 50 back, the treasury its 150, once."""
    kit = await make_kit()
    await budget_for_idea_1(kit, goal=500)
    assert await kit.balance("treasury") == 800
    kit.clock.advance(days=8)
    await funding_sweep(kit)
    await kit.restart()
    await funding_sweep(kit)
    assert await round_state(kit) == "failed"
    bob = await kit.member_id("bob")
    assert sorted(await entries(kit, "reason = 'refund'")) == sorted([
        ("escrow:fund:1", f"member:{bob}", 50, "refund"),
        ("escrow:fund:1", "treasury", 150, "refund")])
    assert await kit.balance("treasury") == 950
    assert await kit.balance("bob") == 50
    assert await kit.balance("alice") == 0
    assert await kit.balance("escrow:fund:1") == 0
    assert await kit.problems() == []


async def test_an_author_paid_before_a_crash_is_not_paid_again_into_a_new_round(
        make_kit: MakeKit) -> None:
    """The budget paid alice, then died before marking it; a round opened meanwhile. The
    replay finds the ledger's (reason, ref) already used: nothing is pledged, nothing paid."""
    kit = await make_kit()
    assert await kit.accepted_idea("Garden") == 1
    await kit.say("mod", "!budget open 300 --until 2d --costs 1:150")
    await kit.say("carol", "!budget support 1")
    assert "1 idea funded" in await kit.say("mod", "!budget close")
    assert await kit.balance("alice") == 150
    await kit.bot.db.execute("UPDATE budget_ideas SET paid = 0")
    await kit.bot.db.execute("UPDATE budget_rounds SET state = 'closing' WHERE id = 1")
    assert "Funding round open" in await kit.say("alice", "!fund open 1 400 --until 7d")
    ledger = await kit.ledger()
    await kit.restart()
    await kit.sweep()
    assert await kit.ledger() == ledger
    assert await kit.balance("escrow:fund:1") == 0
    assert list(await kit.bot.db.fetch("SELECT id FROM funding_pledges")) == []
    assert [r["paid_round"] for r in await store.ideas(kit.bot.db, 1)] == [None]
    assert await kit.problems() == []


async def test_the_hooks_refuse_what_would_break_the_ledger(make_kit: MakeKit) -> None:
    """The treasury goes only into an escrow, never below zero, and a round that is not open
    takes nothing."""
    kit = await make_kit(treasury=100)
    bot = kit.bot
    alice = await kit.member_id("alice")

    async def transfer(src: str, dst: str, amount: int, ref: str) -> Any:
        return await bot.hooks.first("transfer_tokens", bot=bot, community=COMMUNITY, src=src,
                                     dst=dst, amount=amount, reason="test", ref=ref, memo="")

    for src, dst in (("treasury", f"member:{alice}"), ("treasury", "project:x"),
                     (f"member:{alice}", "treasury"), ("treasury", "treasury")):
        with pytest.raises(ValueError):
            await transfer(src, dst, 10, f"{src}>{dst}")
    with pytest.raises(UserError, match="The treasury holds 100 BZZ"):
        await transfer("treasury", "escrow:x", 101, "too-much")
    entry = await transfer("treasury", "escrow:x", 60, "held")
    assert (entry.src, entry.dst, entry.amount) == ("treasury", "escrow:x", 60)
    assert await transfer("treasury", "escrow:x", 60, "held") == entry  # a replay
    assert await kit.balance("treasury") == 40
    await transfer("escrow:x", "treasury", 60, "back")
    assert await kit.balance("treasury") == 100

    # No open round for the idea: nothing is pledged, nothing moves.
    assert await kit.accepted_idea("Garden") == 1
    assert await money.credit_round(bot, COMMUNITY, 1, 10, "r1", "memo") is None
    await kit.say("alice", "!fund open 1 400 --until 7d")
    idea_id = int(await bot.db.fetchval("SELECT idea_id FROM funding_rounds WHERE id = 1"))
    with pytest.raises(UserError, match="The treasury holds 100 BZZ"):
        await money.credit_round(bot, COMMUNITY, idea_id, 500, "r2", "memo")
    assert list(await bot.db.fetch("SELECT id FROM funding_pledges")) == []
    assert await money.credit_round(bot, COMMUNITY, idea_id, 30, "r3", "memo") == 1
    assert await kit.balance("escrow:fund:1") == 30
    assert await kit.problems() == []
