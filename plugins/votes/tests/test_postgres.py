"""The same guarantees on PostgreSQL, where transactions really run concurrently."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.testing import TestBot
from bot.testing.pytest_plugin import fresh_pg_database
from plugins.votes import VotesPlugin, closing, store
from plugins.votes.tests.conftest import BUILTINS, RAW, Recorder, integrity


@pytest.fixture
async def pg_url(ruche_pg_url: str) -> str:
    """An empty database on the test kit's session PostgreSQL server."""
    return await fresh_pg_database(ruche_pg_url)


async def test_two_processes_race_to_close_on_postgres(make_bot: Any, pg_url: str) -> None:
    recorder = Recorder()
    first: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"rec": recorder},
                                    storage_url=pg_url)
    second: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"rec": recorder},
                                     storage_url=pg_url)
    for i in range(6):
        await first.chat.say("alice", f'!poll new "Q{i}" "A" "B" --duration 1h')
        await second.chat.say("bob", f"!vote {i + 1} B")
    for tb in (first, second):
        tb.bot.clock = lambda: time.time() + 3601
    svcs = [first.bot.plugin(VotesPlugin).service, second.bot.plugin(VotesPlugin).service]
    closed = await asyncio.gather(*(closing.sweep(s) for s in svcs for _ in range(3)))
    assert sum(closed) == 6
    assert sorted(p.number for p, _r in recorder.named("closed")) == [1, 2, 3, 4, 5, 6]
    assert all(r.totals == (0, 1) for _p, r in recorder.named("closed"))


async def test_no_ballot_lands_after_the_result_on_postgres(make_bot: Any, pg_url: str) -> None:
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, storage_url=pg_url)
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    for i in range(40):
        await tb.chat.say(f"m{i}", "hello")
    tb.chat.clear()
    await asyncio.gather(*[tb.chat.say(f"m{i}", "!vote 1 A") for i in range(40)],
                         tb.chat.say("alice", "!poll close 1"))
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None and poll.status == "closed"
    # concurrent say() calls see each other's replies: count the replies themselves
    accepted = tb.chat.texts.count("Your ballot on poll #1 is recorded.")
    refused = tb.chat.texts.count("Poll #1 is closed.")
    assert accepted + refused == 40
    result = await tb.bot.plugin(VotesPlugin).service.result(poll)
    assert result.ballots == accepted == await store.count_ballots(tb.bot.db, poll.id)


async def test_every_method_and_secret_ballots_on_postgres(make_bot: Any, pg_url: str) -> None:
    tb: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, storage_url=pg_url)
    chat = tb.chat
    for method, ballot in (("single", "B"), ("approval", "B"), ("ranked", "B>A"),
                           ("score", "A=1 B=4"), ("quadratic", "B=3")):
        await chat.say("alice", f'!poll new "{method}" "A" "B" --method {method} --anonymous')
        number = int(chat.last().text.split("#")[1].split(" ")[0])
        assert "recorded" in await chat.say("bob", f"!vote {number} {ballot}")
        assert "replaces" in await chat.say("bob", f"!vote {number} {ballot}")
        assert "Winner: B" in await chat.say("alice", f"!poll close {number}")
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM votes_polls WHERE secret IS NULL") == 5
    assert await integrity(tb) == []
