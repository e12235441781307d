"""The treasury's pledges (`fund_round_from_treasury`): a merge carries them to the target
round, and a cancelled round gives them back to the treasury, never to a member."""

from __future__ import annotations

from typing import Any

from plugins.funding.tests.conftest import COMMUNITY, Kit, MakeKit

EARLY = {"fundable_statuses": ["open", "review", "accepted"]}


async def treasury(kit: Kit) -> int:
    value = await kit.bot.hooks.first("get_account_balance", bot=kit.bot, community=COMMUNITY,
                                      account="treasury")
    return int(value)


async def credit(kit: Kit, number: int, amount: int, ref: str) -> Any:
    idea_id = int(await kit.bot.db.fetchval(
        "SELECT idea_id FROM funding_ideas WHERE number = $1", number))
    return await kit.bot.hooks.first("fund_round_from_treasury", bot=kit.bot,
                                     community=COMMUNITY, idea_id=idea_id, amount=amount,
                                     reason="test_treasury", ref=ref, memo="")


async def test_a_merge_moves_the_treasury_pledge_and_a_rejection_returns_it(
        make_kit: MakeKit) -> None:
    kit = await make_kit(funding=EARLY, tips={"treasury_initial": 500})
    await kit.give("bob", 100)  # the treasury: 400
    await kit.say("alice", "!idea submit Night market")
    await kit.say("dave", "!idea submit Evening market")
    await kit.say("alice", "!fund open 1 1000")
    await kit.say("dave", "!fund open 2 1000")
    await kit.say("bob", "!pledge 2 20")
    found = await credit(kit, 2, 150, "t:1")
    assert (found.id, found.raised, found.backers) == (2, 170, 1)
    assert await credit(kit, 2, 150, "t:1") == found  # a replay moves nothing
    assert await treasury(kit) == 250
    assert [p.member_id for p in kit.events.named("pledge")] == [await kit.member_id("bob")]

    await kit.say("mod", "!idea merge 2 1")
    assert await kit.balance("escrow:fund:2") == 0
    assert await kit.balance("escrow:fund:1") == 170
    assert await credit(kit, 2, 150, "t:1") is not None  # still the same pledge, not a new one
    assert await treasury(kit) == 250

    await kit.say("mod", "!idea reject 1 too far")
    assert await kit.balance("escrow:fund:1") == 0
    assert await kit.balance("bob") == 100
    assert await treasury(kit) == 400
    refunds = sorted((e["src"], e["dst"], int(e["amount"])) for e in await kit.entries("refund"))
    assert refunds == sorted([("escrow:fund:1", f"member:{await kit.member_id('bob')}", 20),
                              ("escrow:fund:1", "treasury", 150)])
    assert await credit(kit, 1, 10, "t:2") is None  # no open round: nothing moves
    assert await treasury(kit) == 400
    assert await kit.problems() == []
