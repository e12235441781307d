"""Departed members, deleted poll messages and withdrawn reaction ballots."""

from __future__ import annotations

from bot.model import MemberLeave, MessageDeleted, MessageRef
from bot.testing import TestBot
from plugins.votes import store
from plugins.votes.tests.conftest import current_result, settle
from plugins.votes.tests.test_reactions import choices, member_id


async def test_the_quorum_counts_present_members_only(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B" --quorum 3')
    for name in ("alice", "bob", "carol"):
        await chat.say(name, "!vote 1 A")
    adapter = chat.adapter
    await tb.bot.dispatch_leave(MemberLeave(adapter.user("carol"), adapter.room(), "left"))
    result = await current_result(tb, 1)
    assert (result.ballots, result.present, result.quorum_met) == (3, 2, False)
    assert result.totals == (3.0, 0.0)  # her ballot stays in the totals
    out = await chat.say("alice", "!poll close 1")
    assert "Quorum not reached (2 of 3 ballots)" in out + "\n".join(chat.texts)
    await chat.say("alice", '!poll new "Again" "A" "B" --quorum 3')
    for name in ("alice", "bob", "carol"):  # carol writes: she is back, and counts again
        await chat.say(name, "!vote 2 B")
    result = await current_result(tb, 2)
    assert (result.present, result.quorum_met, result.winner) == (3, True, 1)


async def test_a_deleted_poll_message_is_posted_again(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.react("bob", 1, "2️⃣")
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None and poll.message is not None
    old = poll.message
    await tb.bot.dispatch_deleted(MessageDeleted(old, chat.adapter.room()))
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None and poll.message is not None and poll.message != old
    number = chat.adapter.number_of(poll.message)
    assert number is not None
    reposted = chat.adapter.message(number)
    assert "Poll #1" in reposted.current and "1 ballot" in reposted.current
    assert reposted.reactions == ["1️⃣", "2️⃣"]  # reaction ballots work on the new message
    await chat.react("carol", number, "1️⃣")
    assert len(await choices(tb)) == 2
    await chat.say("alice", "!vote 1 A")  # and by command, as ever
    await settle(tb)
    assert "3 ballots" in chat.adapter.message(number).current
    # a deleted message that is no open poll's changes nothing
    await chat.say("alice", "!poll close 1")
    sent = len(chat.sent)
    await tb.bot.dispatch_deleted(MessageDeleted(poll.message, chat.adapter.room()))
    await tb.bot.dispatch_deleted(MessageDeleted(MessageRef("console", "console", "x"),
                                                 chat.adapter.room()))
    assert len(chat.sent) == sent


async def test_a_withdrawn_reaction_withdraws_the_ballot(tb: TestBot) -> None:
    """A Matrix redaction of a reaction arrives as a removal (see tests/matrix/test_translate)."""
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.react("bob", 1, "1️⃣")
    bob = await member_id(tb, "bob")
    assert await choices(tb) == {bob: ((0,), "reaction")}
    await chat.unreact("bob", 1, "1️⃣")
    assert await choices(tb) == {}
    assert (await current_result(tb, 1)).ballots == 0
