"""Restarts of the bot and of the homeserver: nothing replayed, nothing lost, always back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.storage import open_database

from .conftest import MakeMatrixBot, MakeMember, MatrixBot
from .member import Member
from .synapse import Homeserver
from .test_integration import room_with_bot


def replies(member: Member, room: str, bot: str, event_id: str) -> int:
    """How many bot messages reply to `event_id`."""
    return sum(1 for r, e in member.events if r == room and e.sender == bot
               and e.source.get("content", {}).get("m.relates_to", {})
               .get("m.in_reply_to", {}).get("event_id") == event_id)


async def answered(member: Member, room: str, mb: MatrixBot, text: str = "!ping") -> str:
    event_id = await member.say(room, text)
    await member.reply_to(room, event_id, mb.user_id, within=30)
    return event_id


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_restart_replays_nothing_and_loses_nothing(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb, encrypted=encrypted)
    before = await answered(alice, room, mb)
    await mb.stop()
    while_down = await alice.say(room, "!ping")  # sent while the bot is not running
    await mb.start()
    await alice.reply_to(room, while_down, mb.user_id, within=30)
    after = await answered(alice, room, mb)
    store = mb.adapter.store
    assert store is not None and await store.next_batch()
    await mb.restart()
    last = await answered(alice, room, mb)
    await asyncio.sleep(0.5)
    for event_id in (before, while_down, after, last):
        assert replies(alice, room, mb.user_id, event_id) == 1


async def test_a_lost_sync_token_is_deduplicated_by_event_id(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb)
    store = mb.adapter.store
    assert store is not None
    early = await store.next_batch()
    assert early is not None
    first = await answered(alice, room, mb)
    await mb.stop()
    # As if the process died before the token of the last batches was written.
    db = await open_database(f"sqlite:///{mb.path / 'ruche.sqlite3'}")
    await db.execute("UPDATE matrix_sync SET next_batch = $1", early)
    await db.close()
    await mb.start()
    second = await answered(alice, room, mb)
    await asyncio.sleep(0.5)
    assert replies(alice, room, mb.user_id, first) == 1
    assert replies(alice, room, mb.user_id, second) == 1


async def test_homeserver_restart_while_the_bot_runs(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, synapse: Homeserver) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb, encrypted=True)
    await answered(alice, room, mb)
    synapse.stop()
    await asyncio.sleep(1.5)  # the bot's sync fails, is logged and retried with backoff
    assert not mb.adapter.connected
    assert "pong" in (await mb.tb.chat.say("alice", "!ping")).lower()  # other platforms live on
    synapse.start()
    event_id = await alice.say(room, "!ping")
    reply = await alice.reply_to(room, event_id, mb.user_id, within=30)
    assert reply.source["content"]["body"].lower().startswith("pong")
    assert mb.adapter.connected


async def test_catch_up_answers_what_was_missed_within_the_bound(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember,
        caplog: pytest.LogCaptureFixture) -> None:
    mb = await make_matrix_bot(catch_up_age="4s")
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb)
    live = await answered(alice, room, mb)
    await mb.stop()
    too_old = await alice.say(room, "!ping")  # sent while down, older than the bound at start
    await asyncio.sleep(5)
    first = await alice.say(room, "!ping")
    await alice.say(room, "just chatting")
    second = await alice.say(room, "!ping")
    caplog.set_level(logging.INFO, logger="ruche.matrix")
    await mb.start()
    await alice.reply_to(room, second, mb.user_id, within=30)
    await alice.reply_to(room, first, mb.user_id, within=30)
    await asyncio.sleep(1)
    assert replies(alice, room, mb.user_id, too_old) == 0
    assert any("not answered" in r.getMessage() and too_old in r.getMessage()
               for r in caplog.records)
    for event_id in (live, first, second):
        assert replies(alice, room, mb.user_id, event_id) == 1
    # In order: the reply to `first` came before the reply to `second`.
    order = [e.source["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]
             for r, e in alice.events if r == room and e.sender == mb.user_id
             and "m.relates_to" in e.source.get("content", {})]
    assert order.index(first) < order.index(second)


async def test_catch_up_reads_back_only_the_newest_messages(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember) -> None:
    mb = await make_matrix_bot(catch_up_messages=2)
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb)
    await mb.stop()
    missed = [await alice.say(room, "!ping") for _ in range(3)]
    await mb.start()
    await alice.reply_to(room, missed[2], mb.user_id, within=30)
    await alice.reply_to(room, missed[1], mb.user_id, within=30)
    await asyncio.sleep(1)
    assert [replies(alice, room, mb.user_id, e) for e in missed] == [0, 1, 1]
