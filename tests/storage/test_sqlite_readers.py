"""SQLite reader threads: each owns a connection and a queue; reads go to the least busy one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import StorageError
from bot.storage.sqlite import SqliteDatabase

# About a quarter of a second of CPU inside SQLite, whatever the data.
SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)"
        " SELECT count(*) AS n FROM c")


@pytest.fixture
async def rdb(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    db = await SqliteDatabase.open(f"sqlite:///{tmp_path}/r.sqlite3")
    await db.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    await db.executemany("INSERT INTO kv VALUES ($1, $2)", [(i, f"v{i}") for i in range(500)])
    yield db
    await db.close()


async def test_concurrent_reads_get_their_own_rows(rdb: SqliteDatabase) -> None:
    rows = await asyncio.gather(*(rdb.fetchrow("SELECT v FROM kv WHERE k = $1", i)
                                  for i in range(500)))
    assert [r["v"] if r else None for r in rows] == [f"v{i}" for i in range(500)]


async def test_a_slow_read_does_not_hold_up_quick_ones(rdb: SqliteDatabase) -> None:
    slow = asyncio.ensure_future(rdb.fetchval(SLOW))
    await asyncio.sleep(0)  # queued on one reader
    started = time.perf_counter()
    quick = await asyncio.gather(*(rdb.fetchval("SELECT v FROM kv WHERE k = $1", i)
                                   for i in range(20)))
    quick_done = time.perf_counter() - started
    assert quick == [f"v{i}" for i in range(20)]
    assert not slow.done(), "the slow query finished first: make SLOW slower"
    assert await slow == 3_000_000
    assert quick_done < time.perf_counter() - started


async def test_errors_travel_back_and_the_reader_keeps_serving(rdb: SqliteDatabase) -> None:
    with pytest.raises(StorageError):
        await rdb.fetch("SELECT nope FROM kv")
    with pytest.raises(StorageError):  # readers are query_only
        await rdb.fetch("WITH x AS (SELECT 1) SELECT * FROM missing_table")
    assert await rdb.fetchval("SELECT count(*) FROM kv") == 500


async def test_close_answers_reads_in_flight_then_refuses(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(f"sqlite:///{tmp_path}/c.sqlite3")
    await db.execute("CREATE TABLE t (x INTEGER)")
    await db.execute("INSERT INTO t VALUES (1)")
    reads = [asyncio.ensure_future(db.fetchval("SELECT x FROM t")) for _ in range(50)]
    await asyncio.sleep(0)  # all queued on the reader threads
    await db.close()
    assert [await r for r in reads] == [1] * 50
    with pytest.raises(StorageError, match="closed"):
        await db.fetch("SELECT x FROM t")
