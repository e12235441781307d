"""The Database API, on SQLite and on a real PostgreSQL (the `db` fixture runs both)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.errors import DuplicateEvent
from bot.storage import Database, IntegrityError, StorageError, Tx, open_database

ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))"


class Boom(Exception):
    """A business error raised inside an op."""


async def test_fetch_shapes(db: Database) -> None:
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    await db.executemany("INSERT INTO t (id, name) VALUES ($1, $2)", [(1, "a"), (2, "b")])
    rows = await db.fetch("SELECT id, name FROM t ORDER BY id")
    assert [(r["id"], r["name"]) for r in rows] == [(1, "a"), (2, "b")]
    assert rows[1][0] == 2 and rows[1][1] == "b" and len(rows[1]) == 2
    row = await db.fetchrow("SELECT name FROM t WHERE id = $1", 2)
    assert row is not None and row["name"] == "b"
    assert await db.fetchrow("SELECT name FROM t WHERE id = $1", 99) is None
    assert await db.fetchval("SELECT count(*) FROM t") == 2
    assert await db.fetchval("SELECT name FROM t WHERE id = $1", 99) is None
    assert db.dialect in ("sqlite", "postgresql")
    assert "://" in db.url_for_display


async def test_execute_rowcounts_upsert_and_returning(db: Database) -> None:
    await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    assert await db.execute("INSERT INTO t (k, n) VALUES ($1, $2)", "a", 1) == 1
    assert (
        await db.execute("INSERT INTO t (k, n) VALUES ($1, $2) ON CONFLICT DO NOTHING", "a", 5) == 0
    )
    assert await db.execute("INSERT INTO t (k, n) VALUES ($1, 2), ($2, 3)", "b", "c") == 2
    assert await db.execute("UPDATE t SET n = n + 1 WHERE n >= $1", 2) == 2
    assert await db.execute("DELETE FROM t WHERE k = $1", "zz") == 0
    # RETURNING through fetch* is a write on both backends (SQLite routes it to the writer)
    assert await db.fetchval("INSERT INTO t (k, n) VALUES ($1, $2) RETURNING n * 10", "d", 4) == 40
    assert await db.fetchval("SELECT n FROM t WHERE k = $1", "d") == 4
    assert (
        await db.execute(
            "INSERT INTO t (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n",
            "a",
            9,
        )
        == 1
    )
    assert await db.fetchval("SELECT n FROM t WHERE k = 'a'") == 9


async def test_atomic_commits_and_returns(db: Database) -> None:
    await db.execute(ITEMS)

    async def op(tx: Tx) -> int:
        assert tx.dialect == db.dialect
        await tx.execute("INSERT INTO items (id, v) VALUES ($1, $2)", 1, 10)
        await tx.executemany("INSERT INTO items (id, v) VALUES ($1, $2)", [(2, 20), (3, 30)])
        row = await tx.fetchrow("SELECT v FROM items WHERE id = $1", 2)
        assert row is not None and row["v"] == 20
        return int(await tx.fetchval("SELECT sum(v) FROM items"))

    assert await db.atomic(op) == 60
    assert await db.fetchval("SELECT count(*) FROM items") == 3


async def test_atomic_rollback_keeps_the_exception(db: Database) -> None:
    await db.execute(ITEMS)

    async def op(tx: Tx) -> None:
        await tx.execute("INSERT INTO items (id, v) VALUES ($1, $2)", 1, 10)
        raise Boom("no")

    with pytest.raises(Boom):
        await db.atomic(op)
    assert await db.fetchval("SELECT count(*) FROM items") == 0


async def test_batch_of_200_ops_every_7th_fails_alone(db: Database) -> None:
    """A failing op changes nothing and does not take the rest of its group commit with it."""
    await db.execute(ITEMS)

    def make(i: int):  # type: ignore[no-untyped-def]
        async def op(tx: Tx) -> int:
            await tx.execute("INSERT INTO items (id, v) VALUES ($1, 0)", i)
            await tx.execute("UPDATE items SET v = $2 WHERE id = $1", i, -1 if i % 7 == 0 else i)
            return i

        return op

    results = await asyncio.gather(
        *(db.atomic(make(i)) for i in range(200)), return_exceptions=True
    )
    for i, result in enumerate(results):
        if i % 7 == 0:
            assert isinstance(result, IntegrityError), (i, result)
        else:
            assert result == i
    ids = {r["id"] for r in await db.fetch("SELECT id FROM items")}
    assert ids == {i for i in range(200) if i % 7}
    assert await db.fetchval("SELECT min(v) FROM items") == 1


async def test_integrity_errors_unique_check_notnull_fk(db: Database) -> None:
    await db.execute(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INTEGER CHECK (n >= 0))"
    )
    await db.execute(
        "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES p (id))"
    )
    await db.execute("INSERT INTO p (id, code, n) VALUES (1, 'a', 0)")
    bad = [
        ("INSERT INTO p (id, code, n) VALUES (2, $1, 0)", "a"),  # UNIQUE
        ("INSERT INTO p (id, code, n) VALUES (3, 'b', $1)", -1),  # CHECK
        ("INSERT INTO c (id, p_id) VALUES (1, $1)", None),  # NOT NULL
        ("INSERT INTO c (id, p_id) VALUES (1, $1)", 42),  # FOREIGN KEY
    ]
    for sql, arg in bad:
        with pytest.raises(IntegrityError) as info:
            await db.execute(sql, arg)
        assert info.value.__cause__ is not None
        assert type(info.value.__cause__).__module__.split(".")[0] in ("sqlite3", "asyncpg")

        async def op(tx: Tx, sql: str = sql, arg: object = arg) -> None:
            await tx.execute(sql, arg)

        with pytest.raises(IntegrityError):
            await db.atomic(op)
    assert await db.fetchval("SELECT count(*) FROM p") == 1
    assert await db.fetchval("SELECT count(*) FROM c") == 0


async def test_other_errors_are_storage_errors(db: Database) -> None:
    with pytest.raises(StorageError) as info:
        await db.execute("CREATE TABLE")
    assert not isinstance(info.value, IntegrityError)
    with pytest.raises(StorageError):
        await db.fetch("SELECT * FROM no_such_table")


async def test_read_your_writes(db: Database) -> None:
    await db.execute(ITEMS)
    for i in range(30):
        await db.atomic(lambda tx, i=i: tx.execute("INSERT INTO items (id, v) VALUES ($1, $1)", i))
        assert await db.fetchval("SELECT count(*) FROM items") == i + 1
        await db.execute("UPDATE items SET v = v + 1 WHERE id = $1", i)
        assert await db.fetchval("SELECT v FROM items WHERE id = $1", i) == i + 1


async def test_transaction_is_exclusive(db: Database) -> None:
    """Read-modify-write across awaits is safe in transaction(), even against atomic()."""
    await db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await db.execute("INSERT INTO counter (id, n) VALUES (1, 0)")

    async def read_modify_write() -> None:
        for _ in range(10):
            async with db.transaction() as tx:
                n = await tx.fetchval("SELECT n FROM counter WHERE id = 1")
                await asyncio.sleep(0)
                await asyncio.sleep(0.001)
                await tx.execute("UPDATE counter SET n = $1 WHERE id = 1", n + 1)

    async def increments() -> None:
        for _ in range(10):
            await db.atomic(lambda tx: tx.execute("UPDATE counter SET n = n + 1 WHERE id = 1"))
            await asyncio.sleep(0)

    await asyncio.wait_for(
        asyncio.gather(read_modify_write(), read_modify_write(), increments()), 30
    )
    assert await db.fetchval("SELECT n FROM counter WHERE id = 1") == 30


async def test_transaction_rolls_back_on_exception(db: Database) -> None:
    await db.execute(ITEMS)
    with pytest.raises(Boom):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (id, v) VALUES (1, 1)")
            assert await tx.fetchval("SELECT count(*) FROM items") == 1
            raise Boom
    assert await db.fetchval("SELECT count(*) FROM items") == 0
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO items (id, v) VALUES (2, 2)")
    assert await db.fetchval("SELECT count(*) FROM items") == 1


async def test_db_calls_inside_own_transaction_fail_instead_of_deadlocking(db: Database) -> None:
    await db.execute(ITEMS)

    async def body() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (id, v) VALUES (1, 1)")
            with pytest.raises(StorageError, match="transaction"):
                await db.execute("INSERT INTO items (id, v) VALUES (2, 2)")
            with pytest.raises(StorageError, match="transaction"):
                await db.atomic(lambda t: t.execute("INSERT INTO items (id, v) VALUES (3, 3)"))
            with pytest.raises(StorageError, match="transaction"):
                await db.fetch("SELECT * FROM items")

    await asyncio.wait_for(body(), 10)
    assert await db.fetchval("SELECT count(*) FROM items") == 1


async def test_mark_event_dedups_and_prunes(db: Database) -> None:
    assert await db.mark_event("discord", "m1") is True
    assert await db.mark_event("discord", "m1") is False
    assert await db.mark_event("matrix", "m1") is True
    results = await asyncio.gather(*(db.mark_event("matrix", "burst") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]
    old = int(time.time()) - 8 * 24 * 3600
    await db.execute(
        "INSERT INTO core_processed_events (platform, event_id, seen_at) VALUES ($1, $2, $3)",
        "discord",
        "ancient",
        old,
    )
    db._next_prune = 0  # the next call prunes (normally at most once an hour)
    assert await db.mark_event("discord", "m2") is True
    assert (
        await db.fetchval("SELECT count(*) FROM core_processed_events WHERE event_id = 'ancient'")
        == 0
    )
    assert await db.fetchval("SELECT count(*) FROM core_processed_events") == 4


async def test_an_event_mark_rides_on_the_first_write_only(db: Database) -> None:
    """begin_event → first write carries the mark (any write API) → end_event adds nothing."""
    await db.execute(ITEMS)
    marks = "SELECT count(*) FROM core_processed_events WHERE event_id = $1"

    async def event(event_id: str, write: Callable[[], Awaitable[object]]) -> int:
        mark = await db.begin_event("discord", event_id)
        assert mark is not None
        try:
            with db.unmarked():  # upkeep: does not carry it
                await db.execute("UPDATE items SET v = v WHERE id = 0")
            assert await db.fetchval(marks, event_id) == 0
            await write()
            return int(await db.fetchval(marks, event_id))
        finally:
            db.end_event(mark, handled=True)

    async def in_transaction() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (id, v) VALUES (5, 1)")

    writes: dict[str, Callable[[], Awaitable[object]]] = {
        "atomic": lambda: db.atomic(lambda tx: tx.execute("INSERT INTO items VALUES (1, 1)")),
        "execute": lambda: db.execute("INSERT INTO items (id, v) VALUES (2, 1)"),
        "executemany": lambda: db.executemany("INSERT INTO items (id, v) VALUES ($1, 1)", [(3,)]),
        "fetch": lambda: db.fetch("INSERT INTO items (id, v) VALUES (4, 1) RETURNING id"),
        "transaction": in_transaction,
    }
    for name, write in writes.items():
        assert await event(name, write) == 1, name
        assert await db.begin_event("discord", name) is None  # a replay is refused at once
    assert await db.fetchval("SELECT count(*) FROM core_processed_events") == len(writes)


async def test_read_only_events_are_marked_in_one_batch_and_failures_forgotten(
    db: Database,
) -> None:
    marks = "SELECT count(*) FROM core_processed_events WHERE platform = 'matrix'"
    for event_id in ("r1", "r2", "r3"):
        mark = await db.begin_event("matrix", event_id)
        assert mark is not None
        db.end_event(mark, handled=True)
    assert await db.fetchval(marks) == 0  # queued, not yet written
    failed = await db.begin_event("matrix", "down")
    assert failed is not None
    db.end_event(failed, handled=False)  # e.g. the database was unreachable: redelivery runs
    for _ in range(200):
        if await db.fetchval(marks) == 3:
            break
        await asyncio.sleep(0.01)
    assert await db.fetchval(marks) == 3
    again = await db.begin_event("matrix", "down")
    assert again is not None
    db.end_event(again, handled=True)
    await db.close()  # writes the queued mark before closing


async def test_events_that_write_still_prune_old_marks(db: Database) -> None:
    await db.execute(ITEMS)
    await db.execute("INSERT INTO core_processed_events (platform, event_id, seen_at)"
                     " VALUES ('discord', 'ancient', $1)", int(time.time()) - 8 * 24 * 3600)
    db._next_prune = 0  # due (normally at most once an hour)
    mark = await db.begin_event("discord", "w")
    assert mark is not None
    await db.execute("INSERT INTO items (id, v) VALUES (1, 1)")
    db.end_event(mark, handled=True)
    for _ in range(200):
        if await db.fetchval("SELECT count(*) FROM core_processed_events") == 1:
            break
        await asyncio.sleep(0.01)
    assert [r[0] for r in await db.fetch("SELECT event_id FROM core_processed_events")] == ["w"]


async def test_a_second_delivery_rolls_back_on_the_mark(db_url: str, db: Database) -> None:
    """Two processes (two Database objects) pass the check at once: the later write fails."""
    await db.execute(ITEMS)
    other = await open_database(db_url)
    try:
        first = await db.begin_event("discord", "twice")
        second_ready = asyncio.Event()

        async def second() -> None:
            mark = await other.begin_event("discord", "twice")
            assert mark is not None  # the first delivery has not written yet
            second_ready.set()
            await first_done.wait()
            try:
                with pytest.raises(DuplicateEvent):
                    await other.execute("INSERT INTO items (id, v) VALUES (2, 1)")
                with pytest.raises(DuplicateEvent):  # and every later write of the event
                    await other.atomic(lambda tx: tx.execute("INSERT INTO items VALUES (3, 1)"))
            finally:
                other.end_event(mark, handled=True)

        first_done = asyncio.Event()
        task = asyncio.ensure_future(second())
        await second_ready.wait()
        assert first is not None
        await db.execute("INSERT INTO items (id, v) VALUES (1, 1)")
        db.end_event(first, handled=True)
        first_done.set()
        await task
        assert [r["id"] for r in await db.fetch("SELECT id FROM items")] == [1]
    finally:
        await other.close()


async def test_close_is_idempotent_and_final(db: Database) -> None:
    await db.execute(ITEMS)
    pending = [
        asyncio.ensure_future(
            db.atomic(lambda tx, i=i: tx.execute("INSERT INTO items (id, v) VALUES ($1, 1)", i))
        )
        for i in range(50)
    ]
    await asyncio.sleep(0)
    await db.close()
    await db.close()
    assert all(f.done() and not f.exception() for f in pending)
    with pytest.raises(StorageError, match="closed"):
        await db.fetch("SELECT 1")
    with pytest.raises(StorageError, match="closed"):
        await db.execute("SELECT 1")


async def test_backup_is_sqlite_only(db: Database, tmp_path: object) -> None:
    if db.dialect == "postgresql":
        with pytest.raises(StorageError, match="pg_dump"):
            await db.backup(f"{tmp_path}/x.sqlite3")
