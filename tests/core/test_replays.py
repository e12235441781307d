"""Replayed platform events: a writing command applies once, its de-dup mark in its own commit.

The chat here de-duplicates like Discord and Matrix (`dedupe_events = True`) and delivers
messages under ids the test chooses, so a test can replay one (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.commands import Context, Rest, command
from bot.model import IncomingMessage, MessageRef
from bot.testing import TestBot

NOTES = "CREATE TABLE replay_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
CHAT = "CREATE TABLE replay_chat (event TEXT NOT NULL, text TEXT NOT NULL)"
MARKS = "SELECT count(*) FROM core_processed_events WHERE platform = $1 AND event_id = $2"
seen_marks: list[tuple[str, int]] = []  # (when, marks of the command's own event)
gate: asyncio.Barrier | None = None  # when set, !note waits there between its reads and writes


async def own_marks(ctx: Context) -> int:
    """How many de-dup marks of the running command's event are committed right now."""
    ref = ctx.message.ref
    return int(await ctx.bot.db.fetchval(MARKS, ref.platform, ref.id))


@command("note")
async def note(ctx: Context, text: Rest) -> None:
    """Write a note (two writes), saying how many marks of its event were committed when."""
    seen_marks.append(("before", await own_marks(ctx)))
    count = await ctx.bot.db.fetchval("SELECT count(*) FROM replay_notes")
    if gate is not None:
        await gate.wait()
    await ctx.bot.db.execute("INSERT INTO replay_notes (id, text) VALUES ($1, $2)",
                             count + 1, text)
    seen_marks.append(("after first write", await own_marks(ctx)))
    await ctx.bot.db.execute("UPDATE replay_notes SET text = text || '!' WHERE id = $1",
                             count + 1)
    await ctx.reply(f"noted {text}")


@command("notes")
async def notes(ctx: Context) -> None:
    """Read-only: count the notes, saying how many marks of its event were committed."""
    seen_marks.append(("read-only", await own_marks(ctx)))
    await ctx.reply(f"{await ctx.bot.db.fetchval('SELECT count(*) FROM replay_notes')} notes")


class NotesPlugin:
    @hookimpl
    def register_commands(self, bot: object) -> list[object]:
        return [note, notes]

    @hookimpl
    async def on_message(self, bot: Any, message: IncomingMessage) -> None:
        """Chat lines are stored too: a listener's write carries the mark like a command's."""
        if gate is not None:
            await gate.wait()
        await bot.db.execute("INSERT INTO replay_chat (event, text) VALUES ($1, $2)",
                             message.ref.id, message.text)


class ReplayChat(LocalAdapter):
    """The in-memory chat, de-duplicating like a real platform, with ids chosen by the test."""

    dedupe_events = True

    async def deliver(self, name: str, text: str, event_id: str) -> list[str]:
        """Deliver `text` from `name` as platform event `event_id`; the replies it caused."""
        before = len(self.sent)
        await self.bot.dispatch_message(IncomingMessage(
            ref=MessageRef(self.platform, self.room_id, event_id),
            author=self.user(name), room=self.room(), text=text, role=self.role_of(name),
        ))
        return [sent.text for sent in self.sent[before:]]


async def notes_bot(make_bot: Any, storage_url: str | None = None) -> tuple[TestBot, ReplayChat]:
    chat = ReplayChat()
    kwargs: dict[str, Any] = {"plugins": {"notes": NotesPlugin()}, "adapter": chat}
    if storage_url is not None:
        kwargs["storage_url"] = storage_url
    tb = await make_bot(**kwargs)
    await tb.bot.db.execute(CHAT.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    return tb, chat


def url_of(tb: TestBot) -> str:
    """The database url of `tb`, for a second bot on the same database (a restart)."""
    return tb._storage_url or f"sqlite:///{tb._path / 'ruche.sqlite3'}"


async def rows(tb: TestBot) -> list[tuple[int, str]]:
    found = await tb.bot.db.fetch("SELECT id, text FROM replay_notes ORDER BY id")
    return [(row["id"], row["text"]) for row in found]


async def marked(tb: TestBot, event_id: str) -> int:
    """Marks of `event_id`, once the batched marks of read-only events had time to commit."""
    for _ in range(200):
        count = int(await tb.bot.db.fetchval(MARKS, "console", event_id))
        if count:
            return count
        await asyncio.sleep(0.01)
    return 0


async def test_a_writing_command_commits_its_mark_with_its_first_write(make_bot: Any) -> None:
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    seen_marks.clear()
    assert await chat.deliver("alice", "!note hello", "m1") == ["noted hello"]
    # no durable write before the command ran; the mark came with its first write
    assert seen_marks == [("before", 0), ("after first write", 1)]
    assert await chat.deliver("alice", "!note hello", "m1") == []  # replayed: nothing
    assert await rows(tb) == [(1, "hello!")]
    assert await marked(tb, "m1") == 1


async def test_concurrent_deliveries_of_one_event_apply_once(make_bot: Any) -> None:
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    answers = await asyncio.gather(*(chat.deliver("bob", "!note twice", "m2") for _ in range(3)))
    assert sorted(answers) == [[], [], ["noted twice"]]
    assert await rows(tb) == [(1, "twice!")]


async def test_a_read_only_command_is_marked_after_its_answer(make_bot: Any) -> None:
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    seen_marks.clear()
    assert await chat.deliver("carol", "!notes", "r1") == ["0 notes"]
    assert seen_marks == [("read-only", 0)]  # answered without waiting for a durable write
    assert await marked(tb, "r1") == 1  # then marked in a batched commit
    assert await chat.deliver("carol", "!notes", "r1") == []


async def test_replays_after_a_restart_are_dropped(make_bot: Any) -> None:
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    assert await chat.deliver("alice", "!note one", "w1") == ["noted one"]
    assert await chat.deliver("alice", "!notes", "r2") == ["1 notes"]
    assert await chat.deliver("alice", "!note refused-before-writing", "w2") == [
        "noted refused-before-writing"]
    url = url_of(tb)
    await tb.stop()  # closing writes the marks still queued
    again, chat2 = await notes_bot(make_bot, storage_url=url)
    for event_id, text in (("w1", "!note one"), ("r2", "!notes"),
                           ("w2", "!note refused-before-writing")):
        assert await chat2.deliver("alice", text, event_id) == []
    assert await rows(again) == [(1, "one!"), (2, "refused-before-writing!")]
    assert await chat2.deliver("alice", "!notes", "r3") == ["2 notes"]


async def test_a_duplicate_found_by_the_database_rolls_its_write_back(make_bot: Any) -> None:
    """Two bots on one database (two processes) both pass the replay check: one applies."""
    global gate
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    _other, other_chat = await notes_bot(make_bot, storage_url=url_of(tb))
    gate = asyncio.Barrier(2)  # both commands have read before either writes
    try:
        answers = await asyncio.gather(chat.deliver("dan", "!note first", "d1"),
                                       other_chat.deliver("dan", "!note second", "d1"))
    finally:
        gate = None
    assert sorted(map(len, answers)) == [0, 1]  # one answer: the other delivery was dropped
    notes_now = await rows(tb)
    assert len(notes_now) == 1 and notes_now[0][1] in ("first!", "second!")
    assert f"noted {notes_now[0][1][:-1]}" in answers[0] + answers[1]
    # the losing delivery changed nothing, and a later event on either bot still works
    assert await other_chat.deliver("dan", "!notes", "d2") == ["1 notes"]


async def test_a_replay_older_than_memory_still_never_applies_twice(make_bot: Any) -> None:
    """Marks older than the restart's look-back are not in memory: the mark's key decides."""
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    assert await chat.deliver("erin", "!note old", "o1") == ["noted old"]
    assert await chat.deliver("erin", "!notes", "o2") == ["1 notes"]
    url = url_of(tb)
    await tb.stop()
    again, chat2 = await notes_bot(make_bot, storage_url=url)
    await again.bot.db.execute("UPDATE core_processed_events SET seen_at = seen_at - 3600")
    assert await chat2.deliver("erin", "!note old", "o1") == []  # its write met the mark
    assert await rows(again) == [(1, "old!")]
    # a read-only command this late is answered again (docs/reliability.md): nothing changes
    assert await chat2.deliver("erin", "!notes", "o2") == ["1 notes"]


async def test_a_listener_meeting_the_mark_is_dropped_quietly(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """on_message on two bots at once: one line stored, and no "hook failed" in the logs."""
    global gate
    tb, chat = await notes_bot(make_bot)
    _other, other_chat = await notes_bot(make_bot, storage_url=url_of(tb))
    gate = asyncio.Barrier(2)
    try:
        await asyncio.gather(chat.deliver("fay", "hello there", "c1"),
                             other_chat.deliver("fay", "hello there", "c1"))
    finally:
        gate = None
    found = await tb.bot.db.fetch("SELECT event, text FROM replay_chat")
    assert [(r["event"], r["text"]) for r in found] == [("c1", "hello there")]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


async def test_a_command_deleted_before_it_ran_stays_unrun_after_a_restart(make_bot: Any) -> None:
    """A deletion marks the command's id as handled: its late delivery, even after a restart
    (the in-memory list of deleted ids is gone), runs nothing."""
    from bot.model import MessageDeleted

    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    await tb.bot.dispatch_deleted(MessageDeleted(MessageRef("console", chat.room_id, "x1"),
                                                 chat.room()))
    assert await marked(tb, "x1") == 1
    url = url_of(tb)
    await tb.stop()
    again, chat2 = await notes_bot(make_bot, storage_url=url)
    assert await chat2.deliver("alice", "!note deleted", "x1") == []
    assert await rows(again) == []
    assert await chat2.deliver("alice", "!note kept", "x2") == ["noted kept"]


async def test_a_backlog_after_downtime_starts_after_the_last_handled_event(
        make_bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Catch-up: what a room got while the bot was away, read back, is handled once, in order."""
    tb, chat = await notes_bot(make_bot)
    await tb.bot.db.execute(NOTES)
    assert await chat.deliver("alice", "!note handled", "h1") == ["noted handled"]
    url = url_of(tb)
    await tb.stop()
    again, chat2 = await notes_bot(make_bot, storage_url=url)
    now = again.bot.now()

    def missed(event_id: str, text: str, age: float) -> tuple[IncomingMessage, float]:
        return IncomingMessage(ref=MessageRef(chat2.platform, chat2.room_id, event_id),
                               author=chat2.user("bob"), room=chat2.room(), text=text), now - age

    caplog.set_level(logging.INFO, logger="ruche.dispatch")
    backlog = [missed("o1", "!note before the last handled", 9000),
               missed("h1", "!note handled", 8000),
               missed("s1", "!note stale", 5000),
               missed("n1", "!note fresh", 60),
               missed("n2", "just chatting", 30),
               missed("n3", "!notes", 10)]
    chosen = await again.bot.dispatch_backlog(backlog, 3600)
    assert [m.ref.id for m in chosen] == ["n1", "n2", "n3"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "command s1" in logged and "not answered" in logged
    assert "o1" not in logged and "n2" not in logged  # before the last handled; not a command
    answers = []
    for msg in chosen:
        answers += await chat2.deliver("bob", msg.text, msg.ref.id)
    assert answers == ["noted fresh", "2 notes"]
    # Read back again (a second restart): all of it was handled, nothing is chosen twice.
    assert await again.bot.dispatch_backlog(backlog, 3600) == []
