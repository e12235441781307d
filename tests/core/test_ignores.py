"""The ignore list: an ignored member's commands, clicks and reactions do nothing, silently."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot import hookimpl
from bot.commands import Context, command
from bot.model import Button, MessageRef, OutgoingMessage, ReactionEvent, UserRef
from bot.testing import MakeBot, ManualClock, TestBot, future_time
from plugins.tips import TipsPlugin
from plugins.votes import store as votes_store

RAW: dict[str, Any] = {"plugins": {"tips": {"allowance_amount": 0, "activity_reward": 0},
                                   "votes": {"tally_edit_interval": 0.0}}}


@command("offer")
async def offer(ctx: Context) -> None:
    """Post buttons (reactions on the local chat) that vote and answer when clicked."""
    await ctx.send(OutgoingMessage("Vote here", buttons=(
        Button("Pizza", "cmd:vote 1 A", emoji="🍕"), Button("Ping", "cmd:ping", emoji="🏓"))))


class Dropped:
    """Hears `on_event_ignored`, the hook /metrics counts from; offers buttons."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    @hookimpl
    def register_commands(self) -> list[Any]:
        return [offer]

    @hookimpl
    def on_event_ignored(self, kind: str) -> None:
        self.kinds.append(kind)


@pytest.fixture
async def tb(make_bot: MakeBot) -> TestBot:
    made: TestBot = await make_bot(raw=RAW, plugins={"dropped": Dropped()})
    made.bot.clock = ManualClock(future_time())
    return made


def dropped(tb: TestBot) -> list[str]:
    return [k for _n, p in tb.bot.pm.list_name_plugin() if isinstance(p, Dropped)
            for k in p.kinds]


async def member_id(tb: TestBot, name: str) -> int:
    found = await tb.bot.identity.find(tb.bot.communities.get("console"), "console", name)
    assert found is not None
    return int(found.id)


async def balance(tb: TestBot, name: str) -> int:
    svc = tb.bot.plugin(TipsPlugin).service
    return int((await svc.holdings("console", await member_id(tb, name))).balance)


async def fund(tb: TestBot, name: str, amount: int) -> None:
    svc = tb.bot.plugin(TipsPlugin).service
    await svc.treasury.award("console", await member_id(tb, name), amount, "test_fund",
                             f"fund:{name}:{amount}")


async def ballots(tb: TestBot, number: int = 1) -> int:
    poll = await votes_store.find_poll(tb.bot.db, "console", number)
    assert poll is not None
    return await votes_store.count_ballots(tb.bot.db, poll.id)


def coin(tb: TestBot, who: str, author: str, message_id: str) -> ReactionEvent:
    """`who` reacts with the tip emoji on a message `author` wrote."""
    adapter = tb.chat.adapter
    return ReactionEvent(message=MessageRef("console", "console", message_id),
                         user=adapter.user(who), room=adapter.room(), emoji="🪙",
                         event_id=f"{who}-{message_id}",
                         message_author=UserRef("console", author, author))


async def test_an_ignored_member_changes_nothing_and_gets_no_reply(
        tb: TestBot, caplog: pytest.LogCaptureFixture) -> None:
    chat = tb.chat
    for name in ("alice", "bob"):
        await chat.say(name, "hello")
    await fund(tb, "bob", 10)
    await chat.say("alice", '!poll new "Lunch?" "Pizza" "Soup"')
    poll_message = chat.last().number
    await chat.say("alice", "!offer")
    buttons = chat.last().number
    out = await chat.say("mod", "!ignore @bob spamming the polls")
    assert "I now ignore bob" in out and "!unignore" in out
    caplog.set_level(logging.DEBUG, logger="ruche.ignores")
    assert await chat.say("bob", "!tip @alice 5") == ""
    assert await chat.say("bob", "!vote 1 A") == ""
    assert await chat.say("bob", "!ping") == ""
    assert await chat.react("bob", buttons, "🍕") == ""  # a click that would vote
    assert await chat.react("bob", buttons, "🏓") == ""  # a click that would answer
    assert await chat.react("bob", poll_message, "1️⃣") == ""  # a reaction ballot
    await tb.bot.dispatch_reaction(coin(tb, "bob", "alice", "m1"))  # a reaction tip
    assert await balance(tb, "bob") == 10 and await balance(tb, "alice") == 0
    assert await ballots(tb) == 0
    assert dropped(tb) == ["command", "command", "command", "click", "click", "reaction",
                           "reaction"]
    assert "dropped a command from ignored member" in caplog.text
    # others are not affected
    assert await chat.say("alice", "!vote 1 B") == "Your ballot on poll #1 is recorded."
    # listed, then unignored: everything works again
    listed = await chat.say("mod", "!ignore list")
    assert "bob (console:bob)" in listed and "until unignored" in listed
    assert "by mod (console:mod)" in listed and "spamming the polls" in listed
    assert await chat.say("mod", "!unignore @bob") == "I listen to bob again."
    assert await chat.say("bob", "!tip @alice 5") == "bob tipped alice 5 BZZ."
    assert await chat.react("bob", buttons, "🍕") == "Your ballot on poll #1 is recorded."
    assert await chat.react("bob", buttons, "🏓") == "Pong!"
    await tb.bot.dispatch_reaction(coin(tb, "bob", "alice", "m2"))
    assert await balance(tb, "alice") == 6
    assert await chat.say("mod", "!ignore list") == "Nobody is ignored here."
    assert await chat.say("mod", "!unignore @bob") == "bob is not ignored."
    audit = await chat.say("mod", "!audit 2")
    assert "stopped ignoring a member: bob (console:bob)" in audit
    assert "ignored a member: bob (console:bob): spamming the polls" in audit


async def test_an_ignore_for_a_while_ends_by_itself(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("bob", "hello")
    out = await chat.say("mod", "!ignore @bob 2h flooding")
    assert "I now ignore bob until" in out
    assert await chat.say("bob", "!ping") == ""
    assert "for 2h" in await chat.say("mod", "!audit 1")
    clock = tb.bot.clock
    assert isinstance(clock, ManualClock)
    clock.advance(seconds=7199)
    assert await chat.say("bob", "!ping") == ""
    clock.advance(seconds=2)
    assert await chat.say("bob", "!ping") == "Pong!"  # no job: the end time is compared
    assert await chat.say("mod", "!ignore list") == "Nobody is ignored here."


async def test_who_cannot_be_ignored(tb: TestBot) -> None:
    chat = tb.chat
    for name in ("bob", "mod2"):
        await chat.say(name, "hello")
    chat.adapter.moderators.add("mod2")
    await chat.say("operator", "hello")
    assert "moderator or an admin" in await chat.say("mod", "!ignore @mod2")
    assert "moderator or an admin" in await chat.say("mod", "!ignore @operator")
    assert await chat.say("mod", "!ignore @mod") == "You cannot ignore yourself."
    await tb.bot.identity.member_for(UserRef("console", "otherbot", "otherbot", is_bot=True),
                                     tb.bot.communities.get("console"))
    assert "is a bot" in await chat.say("mod", "!ignore @otherbot")
    assert "Unknown member" in await chat.say("mod", "!ignore @nobody")
    assert "not a duration" in await chat.say("mod", "!ignore @bob 3x why")
    assert "(moderation.ignore)" in await chat.say("bob", "!ignore @mod2")
    assert await chat.say("mod", "!ignore list") == "Nobody is ignored here."
    assert await chat.say("bob", "!ping") == "Pong!"


async def test_a_promoted_member_is_listened_to(tb: TestBot) -> None:
    """The list is kept, but a member who became a moderator is never dropped."""
    chat = tb.chat
    await chat.say("bob", "hello")
    await chat.say("mod", "!ignore @bob")
    assert await chat.say("bob", "!ping") == ""
    chat.adapter.moderators.add("bob")
    assert await chat.say("bob", "!ping") == "Pong!"


async def test_the_list_survives_a_restart_in_french(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={**RAW, "bot": {"locale": "fr"}})
    await tb.chat.say("bob", "bonjour")
    assert "J'ignore désormais bob" in await tb.chat.say("mod", "!ignorer @bob 1d pub")
    tb = await tb.restart()
    assert await tb.chat.say("bob", "!ping") == ""
    listed = await tb.chat.say("mod", "!ignore liste")
    assert "bob (console:bob)" in listed and "jusqu'au" in listed and "pub" in listed
