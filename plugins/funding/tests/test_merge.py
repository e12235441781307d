"""Merging ideas moves the duplicate's pledges to the target's open round, or refunds them;
a rejected or withdrawn idea's round is refunded. Driven by the real ideas plugin's events."""

from __future__ import annotations

from plugins.funding.tests.conftest import Kit, MakeKit
from plugins.ideas.models import Idea, IdeaMerged

#: Merges take duplicates that are still open or in review, so let those be funded here.
EARLY = {"fundable_statuses": ["open", "review", "accepted"]}


async def _two_rounds(kit: Kit, target_round: bool) -> None:
    for name in ("bob", "carol"):
        await kit.give(name, 100)
    await kit.say("alice", "!idea submit Night market")
    await kit.say("dave", "!idea submit Evening market")
    if target_round:
        await kit.say("alice", "!fund open 1 100 --cap 45")
        await kit.say("carol", "!pledge 1 10")
    await kit.say("dave", "!fund open 2 80")
    await kit.say("bob", "!pledge 2 20")
    await kit.say("carol", "!pledge 2 30")


async def test_merge_moves_pledges_to_the_target_round(make_kit: MakeKit) -> None:
    kit = await make_kit(funding=EARLY)
    await _two_rounds(kit, target_round=True)
    out = await kit.say("mod", "!idea merge 2 1")
    assert "Idea #2 is merged into idea #1" in out
    assert ("Idea #2 was merged into idea #1: its 2 backers now back idea #1's round (50 BZZ)."
            in kit.tb.chat.texts)
    assert await kit.balance("escrow:fund:2") == 0 and await kit.balance("escrow:fund:1") == 60
    moves = [(e["src"], e["dst"], e["amount"]) for e in await kit.entries("pledge_move")]
    assert sorted(moves) == [("escrow:fund:2", "escrow:fund:1", 20),
                             ("escrow:fund:2", "escrow:fund:1", 30)]
    assert kit.events.named("failed") == [] and kit.events.named("succeeded") == []
    show = await kit.say("x", "!fund show 1")
    assert "60% · 60 of 100 BZZ" in show and "carol 40 BZZ, bob 20 BZZ" in show  # added up
    assert "Funding of idea #2 “Evening market” — merged" in await kit.say("x", "!fund show 2")
    assert await kit.problems() == []

    # A redelivered event changes nothing.
    await kit.bot.hooks.notify("on_idea_merged", bot=kit.bot, merge=await _merge_payload(kit))
    assert len(await kit.entries("pledge_move")) == 2

    await kit.give("erin", 100)
    await kit.say("erin", "!pledge 1 40")
    out = await kit.say("mod", "!fund close 1")
    assert "is funded: 100 BZZ of 100 BZZ from 3 backers, released to alice" in out
    assert await kit.balance("alice") == 100
    [(_round, backers)] = kit.events.named("succeeded")
    assert sorted((b.amount) for b in backers) == [20, 40, 40]
    assert await kit.problems() == []


async def _merge_payload(kit: Kit) -> object:
    """`on_idea_merged` for #2 → #1 again, as a replay after a crash would deliver it."""
    def idea(number: int, status: str) -> Idea:
        return Idea(id=number, community="console", number=number, title="x", description="",
                    status=status, author_id=1)

    return IdeaMerged(source=idea(2, "merged"), target=idea(1, "open"))


async def test_merge_into_an_idea_without_a_round_refunds(make_kit: MakeKit) -> None:
    kit = await make_kit(funding=EARLY)
    await _two_rounds(kit, target_round=False)
    await kit.say("mod", "!idea merge 2 1")
    assert (await kit.balance("bob"), await kit.balance("carol")) == (100, 100)
    assert await kit.balance("escrow:fund:2") == 0
    [failed] = kit.events.named("failed")
    assert (failed.state, failed.raised, failed.idea_number) == ("cancelled", 50, 2)
    assert ("The funding round of idea #2 “Evening market” was cancelled: every pledge (50 BZZ "
            "from 2 backers) was refunded." in kit.tb.chat.texts)
    assert await kit.say("bob", "!pledge 2 5") == "Idea #2 has no funding round in progress."
    assert await kit.problems() == []


async def test_a_rejected_idea_refunds_its_round(make_kit: MakeKit) -> None:
    kit = await make_kit(funding=EARLY)
    await kit.give("bob", 100)
    await kit.say("alice", "!idea submit Moon base")
    await kit.say("alice", "!fund open 1 1000")
    await kit.say("bob", "!pledge 1 70")
    await kit.say("mod", "!idea reject 1 too far")
    assert await kit.balance("bob") == 100 and await kit.balance("escrow:fund:1") == 0
    assert kit.events.named("failed")[0].state == "cancelled"
    assert await kit.problems() == []
