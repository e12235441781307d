"""Reaction ballots: adding casts, removing withdraws, bots never count, reconciling."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.model import MessageRef, ReactionEvent, UserRef
from bot.testing import TestBot
from plugins.votes import store
from plugins.votes.codec import decode_ballot
from plugins.votes.tests.conftest import BUILTINS, RAW, settle


async def choices(tb: TestBot, community: str = "console", number: int = 1
                  ) -> dict[int, tuple[tuple[int, ...], str]]:
    """member id → (options, source) of every named ballot of a poll."""
    poll = await store.find_poll(tb.bot.db, community, number)
    assert poll is not None
    rows = await store.reaction_ballots(tb.bot.db, poll.id)
    return {int(r["member_id"]): (decode_ballot(poll.method, r["choice"]).ranks, r["source"])
            for r in rows}


async def member_id(tb: TestBot, name: str, platform: str = "console") -> int:
    value = await tb.bot.db.fetchval(
        "SELECT member_id FROM core_identities WHERE platform = $1 AND user_id = $2",
        platform, name)
    return int(value)


async def test_single_choice_reactions(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B" "C"')
    await chat.react("bob", 1, "2️⃣")
    bob = await member_id(tb, "bob")
    assert await choices(tb) == {bob: ((1,), "reaction")}
    await chat.react("bob", 1, "1️⃣")  # a second keycap replaces the single choice
    assert await choices(tb) == {bob: ((0,), "reaction")}
    await chat.unreact("bob", 1, "2️⃣")  # not the current choice: nothing to withdraw
    assert await choices(tb) == {bob: ((0,), "reaction")}
    await chat.unreact("bob", 1, "1️⃣")
    assert await choices(tb) == {}
    await chat.react("bob", 1, "3\u20e3")  # keycap without the variation selector
    assert await choices(tb) == {bob: ((2,), "reaction")}
    await settle(tb)
    assert "1 ballot" in chat.adapter.message(1).current


async def test_approval_reactions_add_and_remove(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B" "C" --method approval --max-choices 2')
    await chat.react("bob", 1, "1️⃣")
    await chat.react("bob", 1, "3️⃣")
    await chat.react("bob", 1, "2️⃣")  # a third approval exceeds --max-choices: ignored
    bob = await member_id(tb, "bob")
    assert await choices(tb) == {bob: ((0, 2), "reaction")}
    await chat.unreact("bob", 1, "1️⃣")
    assert await choices(tb) == {bob: ((2,), "reaction")}
    await chat.unreact("bob", 1, "3️⃣")
    assert await choices(tb) == {}


async def test_reactions_that_are_not_ballots(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.say("alice", '!poll new "Secret" "A" "B" --anonymous')
    await chat.say("alice", '!poll new "Ranked" "A" "B" --method ranked')
    await chat.react("bob", 1, "🎉")
    await chat.react("bob", 1, "5️⃣")  # no fifth option
    await chat.react("bob", 2, "1️⃣")  # secret: reacting would show everyone the vote
    await chat.react("bob", 3, "1️⃣")
    for number in (1, 2, 3):
        poll = await store.find_poll(tb.bot.db, "console", number)
        assert poll is not None and await store.count_ballots(tb.bot.db, poll.id) == 0
    # a bot's reaction (Ruche's own included) never counts: the core drops it
    event = ReactionEvent(MessageRef("console", "console", chat.adapter.ref_id(1)),
                          UserRef("console", "robot", "robot", is_bot=True),
                          chat.adapter.room(), "1️⃣", event_id="bot-1")
    await tb.bot.dispatch_reaction(event)
    await chat.say("alice", "!poll close 1")
    await chat.react("bob", 1, "1️⃣")  # closed: ignored
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None and await store.count_ballots(tb.bot.db, poll.id) == 0


class ListingAdapter(LocalAdapter):
    """A platform that can list a message's reactions (the optional capability)."""

    capabilities = dataclasses.replace(LocalAdapter.capabilities, list_reactions=True)

    def __init__(self) -> None:
        super().__init__("fake", "room")
        self.listing: dict[str, list[UserRef]] = {}
        self.listed: list[MessageRef] = []

    async def list_reactions(self, ref: MessageRef) -> Mapping[str, Sequence[UserRef]]:
        self.listed.append(ref)
        return self.listing


class FakePlatform:
    def __init__(self) -> None:
        self.adapter = ListingAdapter()

    @hookimpl
    def register_adapters(self, bot: Any) -> list[LocalAdapter]:
        return [self.adapter]


async def test_startup_reconciles_reaction_ballots_with_the_message(make_bot: Any) -> None:
    platform = FakePlatform()
    fake = platform.adapter
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"fake": platform})
    await fake.say("alice", '!poll new "Q" "A" "B"')
    for name in ("m1", "m2", "m3", "m4"):
        await fake.say(name, "hello")
    await fake.user_react("m1", 1, "1️⃣")
    await fake.say("m2", "!vote 1 B")
    await fake.user_react("m3", 1, "2️⃣")
    assert fake.listed == []  # a poll opened in this process needs no reconciling
    ids = {n: await member_id(tb, n, "fake") for n in ("m1", "m2", "m3", "m4")}
    # while the bot is down: m3 removes their reaction, m4 adds one, m2 reacts (but voted
    # by command, which stands), and the bot's own keycaps are there too.
    user = fake.user
    fake.listing = {"1️⃣": [user("m1"), user("m4"), fake.bot_user],
                    "2️⃣": [user("m2"), fake.bot_user]}
    fake.listing["1️⃣"].append(user("m2"))
    tb = await tb.restart()
    assert len(fake.listed) == 1
    assert await choices(tb, "fake:room") == {
        ids["m1"]: ((0,), "reaction"), ids["m2"]: ((1,), "command"),
        ids["m4"]: ((0,), "reaction")}
    await tb.bot.scheduler.run_now("votes.sweep")
    assert len(fake.listed) == 1  # once per poll per process
