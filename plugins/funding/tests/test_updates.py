"""`!fund update`: the wallet's owner reaches the round's backers, each once, and nobody else."""

from __future__ import annotations

from plugins.funding.tests.conftest import Kit, MakeKit


async def _round(kit: Kit) -> int:
    """alice's idea with a round of 100; bob pledges 30 and carol 20; dave only watches."""
    for name, amount in (("bob", 50), ("carol", 50)):
        await kit.give(name, amount)
    await kit.known("dave")
    number = await kit.accepted_idea("Tool library")
    await kit.say("alice", f"!fund open {number} 100 --until 5d")
    await kit.say("bob", f"!pledge {number} 30")
    await kit.say("carol", f"!pledge {number} 20")
    return number


async def test_backers_receive_an_update_privately_once(kit: Kit) -> None:
    number = await _round(kit)
    kit.tb.chat.clear()
    out = await kit.say("alice", f"!fund update {number} The shelves are built!")
    message = f"📣 Update on idea #{number} “Tool library”: The shelves are built!"
    assert message in kit.room_texts()
    assert f"Your update on idea #{number} went to its 2 backers privately." in out
    assert kit.dms("bob") == [message] and kit.dms("carol") == [message]
    assert kit.dms("dave") == [] and kit.dms("alice") == []
    assert await kit.bot.outbox.pending("funding") == []
    await kit.restart()
    kit.tb.chat.clear()
    await kit.bot.outbox.drain("funding")
    assert kit.tb.chat.sent == []  # nothing is sent again


async def test_only_the_wallet_owner_and_a_real_text(kit: Kit) -> None:
    number = await _round(kit)
    kit.tb.chat.clear()
    refused = await kit.say("bob", f"!fund update {number} hello backers")
    assert "Only the owner of the round's wallet" in refused
    assert kit.dms("carol") == []
    too_long = await kit.say("alice", f"!fund update {number} " + "x" * 1001)
    assert "at most 1000 characters" in too_long
    assert "has no funding round" in await kit.say("alice", "!fund update 99 hi")
    count = await kit.bot.db.fetchval("SELECT COUNT(*) FROM funding_updates")
    assert count == 0


async def test_after_success_the_recorded_backers_get_it_in_french(make_kit: MakeKit) -> None:
    kit = await make_kit(locale="fr")
    number = await _round(kit)
    await kit.give("bob", 50)
    await kit.say("bob", f"!pledge {number} 50")  # 100 reached
    kit.clock.advance(days=6)
    await kit.sweep()
    kit.tb.chat.clear()
    out = await kit.say("alice", f"!financer nouvelles {number} Les étagères sont là")
    assert "2 contributeurs" in out
    [dm] = kit.dms("carol")
    assert dm.startswith(f"📣 Nouvelles de l’idée n°{number}")


async def test_implementing_asks_supporters_and_backers_for_feedback_once(kit: Kit) -> None:
    for name in ("bob", "carol"):
        await kit.give(name, 100)
    await kit.known("dave", "erin")
    await kit.say("alice", "!idea submit Tool library")
    await kit.say("dave", "!idea support 1")
    await kit.say("bob", "!idea support 1")  # a supporter and a backer: asked once
    await kit.say("mod", "!idea accept 1")
    await kit.say("alice", "!fund open 1 100 --until 5d")
    await kit.say("bob", "!pledge 1 60")
    await kit.say("carol", "!pledge 1 40")
    kit.clock.advance(days=6)
    await kit.sweep()
    kit.tb.chat.clear()
    await kit.say("mod", "!idea implement 1")
    ask = ("🛠️ Idea #1 “Tool library”, which you helped along, is implemented. How does it "
           "work for you? Answer with !idea feedback 1 RATING (1 to 5) and a comment if you "
           "like.")
    for member in ("bob", "carol", "dave"):
        assert kit.dms(member) == [ask], member
    assert ask not in kit.dms("alice") and kit.dms("erin") == []
    await kit.restart()
    kit.tb.chat.clear()
    await kit.bot.outbox.drain("ideas")
    assert kit.tb.chat.sent == []
    assert "rated 4.0/5" in await kit.say("dave", "!idea feedback 1 4 handy")
    assert "Feedback: 4.0/5" in await kit.say("bob", "!idea show 1")
