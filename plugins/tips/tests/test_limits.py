"""Per-member daily cap and cooldown, counted inside the tip's own transaction."""

from __future__ import annotations

from plugins.tips.tests.conftest import MakeKit


async def test_daily_cap(make_kit: MakeKit) -> None:
    kit = await make_kit(daily_cap=10)
    await kit.fund("alice", 100)
    await kit.member("bob")
    await kit.member("carol")
    assert "tipped" in await kit.say("alice", "!tip @bob 6")
    before = await kit.snapshot()
    assert await kit.say("alice", "!tip @carol 5") == (
        "Daily cap reached: you gave 6 of 10 BZZ today, so at most 4 more.")
    assert await kit.snapshot() == before
    assert await kit.say("alice", "!tip @bob 11") == "You may give at most 10 BZZ per day."
    assert "tipped" in await kit.say("alice", "!tip @carol 4")
    assert "Daily cap reached" in await kit.say("alice", "!tip @carol 1")
    assert "tipped" in await kit.say("bob", "!tip @carol 1")  # the cap is per member
    kit.clock.advance(days=1)
    assert "tipped" in await kit.say("alice", "!tip @carol 10")
    await kit.check()


async def test_cooldown(make_kit: MakeKit) -> None:
    kit = await make_kit(cooldown="1m")
    await kit.fund("alice", 100)
    await kit.member("bob")
    assert "tipped" in await kit.say("alice", "!tip @bob 1")
    kit.clock.advance(seconds=20)
    before = await kit.snapshot()
    assert await kit.say("alice", "!tip @bob 1") == (
        "You tipped a moment ago: wait 40 s before the next tip.")
    assert await kit.snapshot() == before
    kit.clock.advance(seconds=40)
    assert "tipped" in await kit.say("alice", "!tip @bob 1")


async def test_limits_apply_to_reaction_tips(make_kit: MakeKit) -> None:
    kit = await make_kit(daily_cap=2, reaction_tip_amount=1)
    await kit.fund("alice", 100)
    await kit.member("bob")
    for message in ("m1", "m2", "m3"):
        await kit.react("alice", "bob", message)
    assert await kit.balance("bob") == 2
    assert kit.chat.last().to == "alice" and "Daily cap reached" in kit.chat.last().text


async def test_limits_survive_a_restart(make_kit: MakeKit) -> None:
    kit = await make_kit(daily_cap=5)
    await kit.fund("alice", 100)
    await kit.member("bob")
    assert "tipped" in await kit.say("alice", "!tip @bob 5")
    await kit.restart()
    assert "Daily cap reached" in await kit.say("alice", "!tip @bob 1")
