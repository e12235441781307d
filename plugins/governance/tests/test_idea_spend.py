"""`!propose spend AMOUNT idea N`: a passed vote pledges the treasury to the idea's open funding
round, once; without an open round it is refused when proposed, and at close if the round
ended meanwhile."""

from __future__ import annotations

from plugins.governance import store
from plugins.governance.tests.conftest import BUILTINS, COMMUNITY, Kit, MakeKit

WITH_FUNDING = {**BUILTINS, "ideas": "plugins.ideas", "funding": "plugins.funding"}


async def idea_with_round(kit: Kit, title: str, goal: int) -> int:
    """An accepted idea of alice's with a 7-day funding round; returns its number."""
    out = await kit.say("alice", f"!idea submit {title}")
    number = int(out.split("#", 1)[1].split()[0].rstrip(".:,"))
    await kit.say("mod", f"!idea accept {number}")
    assert "Funding round open" in await kit.say("alice", f"!fund open {number} {goal} "
                                                           "--until 7d")
    return number


async def escrow(kit: Kit, round_id: int) -> int:
    value = await kit.bot.hooks.first("get_account_balance", bot=kit.bot, community=COMMUNITY,
                                      account=f"escrow:fund:{round_id}")
    return int(value)


async def test_a_spend_to_an_idea_pays_its_round_once(make_kit: MakeKit) -> None:
    kit = await make_kit(builtins=WITH_FUNDING, more={"ideas": {"auto_poll": False}},
                         tips={"idea_accepted_reward": 0})
    assert await kit.say("alice", "!propose spend 50 idea 1") == (
        "Idea #1 has no open funding round: a spend to an idea is paid into its round, so one "
        "must be open first.")
    assert "Name the idea by its number" in await kit.say("alice", "!propose spend 50 idea")
    assert "Name the idea by its number" in await kit.say("alice", "!propose spend 50 idea x")
    assert await kit.statuses() == []

    assert await idea_with_round(kit, "Oven", 200) == 1
    out = await kit.say("alice", "!propose spend 80 idea #1 for the bricks")
    assert "Proposal #1 is open" in out, out
    assert "Proposal #1: Pay 80 BZZ from the treasury into the funding round of idea #1? " \
           "(for the bricks)" in "\n".join(kit.room_texts())
    assert "pay 80 into the funding round of idea #1" in await kit.say("bob", "!proposals")
    assert "still open" in await kit.say("carol", "!propose spend 10 idea 1")
    await kit.vote(1, alice="Yes", bob="Yes", dave="Yes")
    await kit.close_by_deadline()
    assert await kit.statuses() == [(1, "applied")]
    assert await kit.treasury() == 920
    assert await escrow(kit, 1) == 80
    assert await kit.balance("alice") == 0
    assert "Proposal #1 passed (vote #1): the treasury paid 80 BZZ into the funding round of " \
           "idea #1." in kit.room_texts()
    assert await kit.audit("governance.spend") == [
        "80 BZZ into the funding round of idea #1 (by vote #1, proposal #1)"]
    assert "80" in await kit.say("bob", "!fund show 1")

    # Replays after a crash: the close again, the payment again, a restart: nothing moves.
    p = await store.by_number(kit.bot.db, COMMUNITY, 1)
    assert p is not None
    await kit.svc.pay(p)
    await kit.restart()
    assert await kit.bot.scheduler.run_now("governance.sweep")
    assert await kit.treasury() == 920 and await escrow(kit, 1) == 80
    rows = await kit.bot.db.fetch("SELECT src, dst, amount FROM tips_entries "
                                  "WHERE reason = 'governance_spend'")
    assert [(r["src"], r["dst"], int(r["amount"])) for r in rows] == [
        ("treasury", "escrow:fund:1", 80)]
    assert await kit.problems() == []


async def test_a_round_that_ended_before_the_vote_refuses_the_spend(make_kit: MakeKit) -> None:
    kit = await make_kit(builtins=WITH_FUNDING, more={"ideas": {"auto_poll": False}},
                         tips={"idea_accepted_reward": 0})
    await idea_with_round(kit, "Oven", 200)
    assert "Proposal #1 is open" in await kit.say("alice", "!propose spend 80 idea 1")
    await kit.say("mod", "!fund close 1")
    await kit.vote(1, alice="Yes", bob="Yes", dave="Yes")
    await kit.close_by_deadline()
    assert await kit.statuses() == [(1, "refused")]
    assert await kit.treasury() == 1000
    assert "Proposal #1 passed but cannot be applied: idea #1 has no open funding round any " \
           "more." in kit.room_texts()
    assert await kit.problems() == []
