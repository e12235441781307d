"""Members who leave keep their balance but leave the leaderboard; coming back restores both."""

from __future__ import annotations

from bot.model import MemberJoin, MemberLeave
from plugins.tips.tests.conftest import Kit


async def test_a_departed_member_is_off_the_leaderboard_and_comes_back_the_same(kit: Kit) -> None:
    await kit.fund("alice", 100)
    await kit.member("bob")
    await kit.member("carol")
    await kit.say("alice", "!tip @bob 10")
    await kit.say("alice", "!tip @carol 20")
    bob_id = (await kit.member("bob")).id
    adapter = kit.chat.adapter
    await kit.bot.dispatch_leave(MemberLeave(adapter.user("carol"), adapter.room(), "banned"))
    assert await kit.say("bob", "!leaderboard") == (
        "Top balances:\n1. alice — 70 BZZ\n2. bob — 10 BZZ")
    assert await kit.say("bob", "!leaderboard --period week") == (
        "Most thanked this week:\n1. bob — 10 BZZ")
    assert await kit.balance("carol") == 20  # the balance stays while she is away
    await kit.bot.dispatch_leave(MemberLeave(adapter.user("bob"), adapter.room(), "left"))
    assert await kit.say("alice", "!leaderboard") == "Top balances:\n1. alice — 70 BZZ"
    await kit.bot.dispatch_join(MemberJoin(adapter.user("carol"), adapter.room()))
    assert await kit.say("bob", "!balance") != ""  # bob speaks: present again
    assert (await kit.member("bob")).id == bob_id
    assert await kit.say("alice", "!leaderboard") == (
        "Top balances:\n1. alice — 70 BZZ\n2. carol — 20 BZZ\n3. bob — 10 BZZ")
    assert await kit.balance("bob") == 10
    await kit.check()


async def test_departures_survive_a_restart(kit: Kit) -> None:
    await kit.fund("alice", 50)
    await kit.fund("carol", 30)
    adapter = kit.chat.adapter
    await kit.bot.dispatch_leave(MemberLeave(adapter.user("carol"), adapter.room(), "kicked"))
    await kit.restart()
    assert await kit.say("alice", "!leaderboard") == "Top balances:\n1. alice — 50 BZZ"
    assert "30 BZZ" in await kit.say("carol", "!balance")  # she came back by writing
    assert await kit.say("alice", "!leaderboard") == (
        "Top balances:\n1. alice — 50 BZZ\n2. carol — 30 BZZ")
