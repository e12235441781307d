"""Deadlines: the sweep closes each poll exactly once — racing, restarting, or crashing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.testing import TestBot
from plugins.votes import VotesPlugin, closing, store
from plugins.votes.tests.conftest import BUILTINS, RAW, Recorder, service, settle

HOUR = 3600.0


def at(tb: TestBot, offset: float) -> None:
    """Move the bot's clock `offset` seconds from now."""
    tb.bot.clock = lambda: time.time() + offset


async def test_the_sweep_closes_a_poll_at_its_deadline(tb: TestBot, recorder: Recorder) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B" --duration 2h')
    message = chat.last()
    await chat.say("bob", "!vote 1 A")
    assert await tb.bot.scheduler.run_now("votes.sweep")
    assert recorder.names().count("closed") == 0
    at(tb, 2 * HOUR + 1)
    chat.clear()
    assert await tb.bot.scheduler.run_now("votes.sweep")
    await settle(tb)
    assert recorder.names().count("closed") == 1
    assert "Winner: A" in message.current and "(closed)" in message.current
    assert "Results of poll #1 (closed)" in chat.texts[0]
    assert await tb.bot.scheduler.run_now("votes.sweep")
    assert recorder.names().count("closed") == 1


async def test_a_ballot_after_the_deadline_is_refused_before_the_sweep(tb: TestBot) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B" --duration 1h')
    at(tb, HOUR + 1)
    assert await tb.chat.say("bob", "!vote 1 A") == "Poll #1 is closed."


async def test_two_racing_sweeps_close_once(tb: TestBot, recorder: Recorder) -> None:
    for i in range(5):
        await tb.chat.say("alice", f'!poll new "Q{i}" "A" "B" --duration 1h')
        await tb.chat.say("bob", f"!vote {i + 1} B")
    at(tb, HOUR + 1)
    svc = service(tb)
    closed = await asyncio.gather(closing.sweep(svc), closing.sweep(svc), closing.sweep(svc))
    assert sum(closed) == 5
    assert recorder.names().count("closed") == 5
    assert sorted(p.number for p, _r in recorder.named("closed")) == [1, 2, 3, 4, 5]


async def test_close_command_racing_the_sweep_closes_once(tb: TestBot,
                                                          recorder: Recorder) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B" --duration 1h')
    at(tb, HOUR + 1)
    outs = await asyncio.gather(closing.sweep(service(tb)), tb.chat.say("alice", "!poll close 1"))
    assert recorder.names().count("closed") == 1, outs


async def test_two_processes_on_one_database_close_once(make_bot: Any,
                                                        recorder: Recorder) -> None:
    first: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"rec": recorder})
    url = first.bot.config.storage.url
    second: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"rec": recorder},
                                     storage_url=url)
    for i in range(4):
        await first.chat.say("alice", f'!poll new "Q{i}" "A" "B" --duration 1h')
        await first.chat.say(f"m{i}", f"!vote {i + 1} A")
    at(first, HOUR + 1)
    at(second, HOUR + 1)
    results = await asyncio.gather(closing.sweep(first.bot.plugin(VotesPlugin).service),
                                   closing.sweep(second.bot.plugin(VotesPlugin).service))
    assert sum(results) == 4
    closed = recorder.named("closed")
    assert len(closed) == 4 and {p.number for p, _ in closed} == {1, 2, 3, 4}
    assert all(r.totals == (1, 0) for _p, r in closed)


async def test_restart_with_an_overdue_poll_closes_it_once_at_startup(
        make_bot: Any, recorder: Recorder) -> None:
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"rec": recorder})
    # the poll opened two days ago for one hour: it fell due while the bot was "down"
    at(tb, -48 * HOUR)
    await tb.chat.say("alice", '!poll new "Overdue?" "Yes" "No" --duration 1h')
    await tb.chat.say("bob", "!vote 1 Yes")
    assert "recorded" in await tb.chat.say("carol", "!vote 1 1")
    assert recorder.names().count("closed") == 0
    tb = await tb.restart()  # a new Bot on the same database; its clock is real time again
    closed = recorder.named("closed")
    assert len(closed) == 1
    poll, result = closed[0]
    assert poll.number == 1 and poll.status == "closed" and result.totals == (2, 0)
    assert "Results of poll #1 (closed) — Overdue?" in "\n".join(tb.chat.texts)
    tb = await tb.restart()
    assert await tb.bot.scheduler.run_now("votes.sweep")
    assert recorder.names().count("closed") == 1
    assert "Poll #1 is closed." in await tb.chat.say("bob", "!vote 1 No")


async def test_a_crash_between_close_and_its_events_is_finished_later(
        tb: TestBot, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    await tb.chat.say("bob", "!vote 1 B")
    real_finish = closing.finish

    async def crash(svc: Any, poll_id: int) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(closing, "finish", crash)
    assert "Sorry, something went wrong" in await tb.chat.say("alice", "!poll close 1")
    monkeypatch.setattr(closing, "finish", real_finish)
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None and poll.status == "closed"
    assert recorder.names().count("closed") == 0
    await closing.sweep(service(tb))  # the closer's claim is fresh: not taken over yet
    assert recorder.names().count("closed") == 0
    at(tb, closing.LEASE_SECONDS + 1)
    await closing.sweep(service(tb))
    await closing.sweep(service(tb))
    assert recorder.names().count("closed") == 1
    _p, result = recorder.named("closed")[0]
    assert result.winner == 1


async def test_ballots_racing_the_close_are_counted_or_refused(tb: TestBot) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    for i in range(30):
        await tb.chat.say(f"m{i}", "hello")
    tb.chat.clear()
    await asyncio.gather(*[tb.chat.say(f"m{i}", "!vote 1 B") for i in range(30)],
                         tb.chat.say("alice", "!poll close 1"))
    accepted = tb.chat.texts.count("Your ballot on poll #1 is recorded.")
    refused = tb.chat.texts.count("Poll #1 is closed.")
    assert accepted + refused == 30
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None
    result = await service(tb).result(poll)
    assert result.ballots == accepted == await store.count_ballots(tb.bot.db, poll.id)
