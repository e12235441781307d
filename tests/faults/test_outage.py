"""PostgreSQL stopped and restarted under a running bot: clear replies, no lost write, quiet logs."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from bot.commands.router import unavailable_text
from bot.logs import TextFormatter, install_quiet_errors
from bot.storage import DatabaseUnavailable, Tx, open_database
from bot.testing import TestBot, make_test_bot
from plugins.pulse import PulsePlugin
from plugins.tips import TipsPlugin
from tests.faults.pgcluster import PgCluster

UNREACHABLE = "The database is unreachable: nothing was changed. Try again in a moment."


class Lines(logging.Handler):
    """The log as an operator reads it: formatted lines, after Ruche's own filters."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(TextFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    with PgCluster() as pg:
        pg.start()
        yield pg


@pytest_asyncio.fixture
async def running(tmp_path: Path, cluster: PgCluster) -> AsyncIterator[TestBot]:
    conn = await asyncpg.connect(cluster.url())
    try:
        await conn.execute("CREATE DATABASE ruche")
    finally:
        await conn.close()
    tb = await make_test_bot(tmp_path, storage_url=cluster.url("ruche"),
                             raw={"web": {"enabled": True, "bind": "127.0.0.1", "port": 0}})
    try:
        yield tb
    finally:
        if not cluster.running:
            cluster.start()
        await tb.stop()


async def health(tb: TestBot) -> tuple[int, str]:
    server = tb.bot.plugin(PulsePlugin).service.server
    assert server is not None
    async with aiohttp.ClientSession() as session, \
            session.get(server.url + "/healthz") as response:
        return response.status, await response.text()


async def bob_received(tb: TestBot) -> tuple[int, int]:
    """Tips bob received per the ledger: (entries, total)."""
    community = tb.bot.communities.get("console")
    bob = await tb.bot.identity.find(community, "console", "bob")
    assert bob is not None
    row = await tb.bot.db.fetchrow(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM tips_entries "
        "WHERE reason = 'tip' AND dst = $1", f"member:{bob.id}")
    assert row is not None
    return int(row[0]), int(row[1])


async def test_postgresql_stopped_and_restarted(running: TestBot, cluster: PgCluster) -> None:
    tb, chat = running, running.chat
    await chat.say("alice", "hello")
    await chat.say("bob", "hello")
    community = tb.bot.communities.get("console")
    alice = await tb.bot.identity.find(community, "console", "alice")
    assert alice is not None
    await tb.bot.plugin(TipsPlugin).service.treasury.award("console", alice.id, 1000, "test_fund",
                                                     "fund:1")
    acknowledged = 0
    for _ in range(3):
        assert await chat.say("alice", "!tip @bob 5") == "alice tipped bob 5 BZZ."
        acknowledged += 1
    status, body = await health(tb)
    assert status == 200 and '"database": "up"' in body and '"status": "ok"' in body

    lines = Lines()
    quiet = install_quiet_errors(lines, window=3600)
    root = logging.getLogger()
    root.addHandler(lines)
    try:
        cluster.stop()
        for _ in range(20):
            assert await chat.say("alice", "!tip @bob 5") == UNREACHABLE
            assert await chat.say("carol", "!balance") == UNREACHABLE  # a new member too
        assert await chat.say("alice", "just chatting") == ""  # no reply to plain messages
        status, body = await health(tb)
        assert status == 503 and '"database": "down"' in body
        assert '"status": "unavailable"' in body and '"adapters"' in body
        during = list(lines.lines)
        quiet.flush()
    finally:
        root.removeHandler(lines)

    # One line per kind of error, no traceback, the reason on it, then the count.
    assert during, "the outage was not logged at all"
    assert not any("Traceback" in line for line in during), "\n".join(during)
    kinds = [re.sub(r"^\S+ ", "", line) for line in during]  # without the time
    assert len(kinds) == len(set(kinds)), during
    assert all(re.search(r"(connection refused|closed in the middle|database down)", line)
               for line in during), "\n".join(during)
    summaries = [line for line in lines.lines if "repeated" in line]
    assert summaries and all(re.search(r"… repeated (once|\d+ times) in the last \d+ s", s)
                             for s in summaries)

    cluster.start()
    assert await chat.say("alice", "!tip @bob 5") == "alice tipped bob 5 BZZ."
    acknowledged += 1
    status, body = await health(tb)
    assert status == 200 and '"database": "up"' in body
    # Every acknowledged tip is in the ledger, and none of those answered "nothing changed".
    assert await bob_received(tb) == (acknowledged, 5 * acknowledged)


def test_the_reply_is_localized() -> None:
    from bot.i18n import I18n

    i18n = I18n("en")
    text = unavailable_text(DatabaseUnavailable("down"))
    assert i18n.translate(text, "en") == UNREACHABLE
    assert i18n.translate(text, "fr") == (
        "La base de données est injoignable : rien n’a été modifié. Réessayez dans un instant.")
    unknown = unavailable_text(DatabaseUnavailable("lost", outcome_unknown=True))
    assert "may or may not have been recorded" in i18n.translate(unknown, "en")
    assert "a peut-être été enregistrée" in i18n.translate(unknown, "fr")


async def test_a_transaction_cut_by_the_outage_leaves_nothing(cluster: PgCluster) -> None:
    db = await open_database(cluster.url())
    try:
        await db.execute("CREATE TABLE cut (x INT)")

        async def op(tx: Tx) -> None:
            await tx.execute("INSERT INTO cut VALUES (1)")
            cluster.stop()  # the server goes away between two statements of the transaction
            await tx.execute("INSERT INTO cut VALUES (2)")

        with pytest.raises(DatabaseUnavailable) as caught:
            await db.atomic(op)
        assert not caught.value.outcome_unknown  # never reached COMMIT: "nothing was changed"
        with pytest.raises(DatabaseUnavailable):
            await db.fetchval("SELECT 1")
        cluster.start()
        assert await db.fetchval("SELECT COUNT(*) FROM cut") == 0  # the pool reconnects alone
        await db.execute("INSERT INTO cut VALUES (3)")
        assert await db.fetchval("SELECT COUNT(*) FROM cut") == 1
    finally:
        await db.close()
