"""SQLite-only behaviour: the writer thread's rules, WAL, backup, threads, durability."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bot.storage import Database, IntegrityError, StorageError, Tx, open_database
from bot.storage.sqlite import SqliteDatabase

REPO = Path(__file__).resolve().parents[2]
ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))"


@pytest.fixture
async def sdb(tmp_path: Path) -> Database:
    db = await open_database(f"sqlite:///{tmp_path}/s.sqlite3")
    await db.execute(ITEMS)
    yield db  # type: ignore[misc]
    await db.close()


async def test_op_awaiting_something_else_fails_cleanly(sdb: Database) -> None:
    async def sleeps(tx: Tx) -> None:
        await tx.execute("INSERT INTO items (id, v) VALUES (1, 1)")
        await asyncio.sleep(0)

    async def sleeps_long(tx: Tx) -> None:
        await tx.execute("INSERT INTO items (id, v) VALUES (2, 2)")
        await asyncio.sleep(0.01)

    async def good(tx: Tx) -> None:
        await tx.execute("INSERT INTO items (id, v) VALUES (3, 3)")

    results = await asyncio.gather(
        sdb.atomic(sleeps), sdb.atomic(good), sdb.atomic(sleeps_long), return_exceptions=True
    )
    for bad in (results[0], results[2]):
        assert isinstance(bad, StorageError)
        assert "db.transaction()" in str(bad)
    assert results[1] is None
    assert [r["id"] for r in await sdb.fetch("SELECT id FROM items")] == [3]


async def test_db_call_inside_atomic_fails_without_side_effect(sdb: Database) -> None:
    async def nested(tx: Tx) -> None:
        await sdb.execute("INSERT INTO items (id, v) VALUES (1, 1)")

    with pytest.raises(StorageError, match="tx"):
        await sdb.atomic(nested)
    assert await sdb.fetchval("SELECT count(*) FROM items") == 0


async def test_leaked_tx_is_dead(sdb: Database) -> None:
    leaked: list[Tx] = []

    async def op(tx: Tx) -> None:
        leaked.append(tx)

    await sdb.atomic(op)
    with pytest.raises(StorageError, match="finished"):
        await leaked[0].execute("INSERT INTO items (id, v) VALUES (1, 1)")


async def test_group_commit_batches(sdb: Database) -> None:
    assert isinstance(sdb, SqliteDatabase)
    before = sdb.batches
    await asyncio.gather(
        *(
            sdb.atomic(lambda tx, i=i: tx.execute("INSERT INTO items (id, v) VALUES ($1, 1)", i))
            for i in range(500)
        )
    )
    assert sdb.batches - before <= 50  # ≤ 100 ops per COMMIT, not one COMMIT each
    assert await sdb.fetchval("SELECT count(*) FROM items") == 500


async def test_pragmas_from_url(tmp_path: Path) -> None:
    full = await open_database(f"sqlite:///{tmp_path}/f.sqlite3")
    normal = await open_database(f"sqlite:///{tmp_path}/n.sqlite3?synchronous=NORMAL")
    try:
        assert await full.fetchval("PRAGMA synchronous") == 2
        assert await normal.fetchval("PRAGMA synchronous") == 1
        assert await full.fetchval("PRAGMA journal_mode") == "wal"
        assert await full.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await full.close()
        await normal.close()


async def test_relative_path_and_parent_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = await open_database("sqlite:///data/ruche.sqlite3")
    await db.close()
    assert (tmp_path / "data" / "ruche.sqlite3").exists()


async def test_readers_see_committed_state_only(sdb: Database) -> None:
    async with sdb.transaction() as tx:
        await tx.execute("INSERT INTO items (id, v) VALUES (1, 1)")
        assert await tx.fetchval("SELECT count(*) FROM items") == 1
        reader = asyncio.get_running_loop().run_in_executor(None, _count_items, sdb)
        assert await reader == 0  # another connection sees the last commit, not our tx
    assert await sdb.fetchval("SELECT count(*) FROM items") == 1


def _count_items(db: Database) -> int:
    assert isinstance(db, SqliteDatabase)
    conn = sqlite3.connect(db._opts.path)
    try:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        conn.close()


async def test_memory_database(tmp_path: Path) -> None:
    db = await open_database("sqlite://:memory:")
    try:
        await db.execute(ITEMS)
        await db.atomic(lambda tx: tx.execute("INSERT INTO items (id, v) VALUES (1, 5)"))
        assert await db.fetchval("SELECT v FROM items") == 5
        async with db.transaction() as tx:
            await tx.execute("UPDATE items SET v = 6")
        assert await db.fetchval("SELECT v FROM items") == 6
        assert await db.mark_event("console", "1") is True
        await db.backup(str(tmp_path / "mem.sqlite3"))
        assert _read_backup(tmp_path / "mem.sqlite3") == [(1, 6)]
    finally:
        await db.close()


def _read_backup(path: Path) -> list[tuple[int, int]]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [tuple(r) for r in conn.execute("SELECT id, v FROM items ORDER BY id")]
    finally:
        conn.close()


async def test_backup_produces_readable_file(sdb: Database, tmp_path: Path) -> None:
    await sdb.executemany("INSERT INTO items (id, v) VALUES ($1, $2)", [(i, i) for i in range(100)])
    target = tmp_path / "backup.sqlite3"
    await sdb.backup(str(target))
    assert _read_backup(target) == [(i, i) for i in range(100)]
    assert not (tmp_path / "backup.sqlite3.tmp").exists()


async def test_close_leaves_no_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    db = await open_database(f"sqlite:///{tmp_path}/t.sqlite3")
    await db.execute(ITEMS)
    await asyncio.gather(*(db.fetch("SELECT * FROM items") for _ in range(10)))
    assert any(t.name.startswith("ruche-sqlite") for t in threading.enumerate())
    await db.close()
    assert [t for t in threading.enumerate() if t not in before] == []


async def test_open_failure_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite3").mkdir()
    before = set(threading.enumerate())
    with pytest.raises(StorageError):
        await open_database(f"sqlite:///{tmp_path}/dir.sqlite3")
    await asyncio.sleep(0.05)
    assert [t for t in threading.enumerate() if t not in before] == []


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from bot.storage import open_database

    async def main(url):
        db = await open_database(url)
        await db.execute("CREATE TABLE IF NOT EXISTS d (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        print("ready", flush=True)

        async def write(i):
            await db.atomic(lambda tx: tx.execute("INSERT INTO d (id, v) VALUES ($1, 'x')", i))
            print(i, flush=True)

        await asyncio.gather(*(write(i) for i in range(5000)))
        await asyncio.sleep(3600)

    asyncio.run(main(sys.argv[1]))
    """
)


def test_durable_after_kill_9(tmp_path: Path) -> None:
    """Every atomic() that returned survives SIGKILL of the process right after."""
    url = f"sqlite:///{tmp_path}/durable.sqlite3"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        acknowledged = [int(proc.stdout.readline()) for _ in range(300)]
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert set(acknowledged) <= asyncio.run(_stored_ids(url))


async def _stored_ids(url: str) -> set[int]:
    db = await open_database(url)
    try:
        return {r["id"] for r in await db.fetch("SELECT id FROM d")}
    finally:
        await db.close()


async def test_vacuum_and_path_backup(sdb: Database, tmp_path: Path) -> None:
    await sdb.executemany("INSERT INTO items (id, v) VALUES ($1, 1)", [(i,) for i in range(50)])
    await sdb.execute("DELETE FROM items WHERE id < 40")
    await sdb.execute("VACUUM")
    await sdb.backup(tmp_path / "b.sqlite3")
    assert len(_read_backup(tmp_path / "b.sqlite3")) == 10


async def test_deferred_constraint_fails_only_its_op(sdb: Database) -> None:
    """COMMIT checks deferred foreign keys; a violation must not sink the rest of the batch."""
    await sdb.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL"
        " REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED)"
    )

    def make(i: int):  # type: ignore[no-untyped-def]
        async def op(tx: Tx) -> int:
            target = 10_000 + i if i == 13 else i  # note 13 points at no item
            await tx.execute("INSERT INTO items (id, v) VALUES ($1, 1)", i)
            await tx.execute("INSERT INTO notes (id, item_id) VALUES ($1, $2)", i, target)
            return i

        return op

    results = await asyncio.gather(
        *(sdb.atomic(make(i)) for i in range(30)), return_exceptions=True
    )
    failures = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failures == [13]
    assert isinstance(results[13], IntegrityError)
    assert await sdb.fetchval("SELECT count(*) FROM notes") == 29
    assert await sdb.fetchval("SELECT count(*) FROM items") == 29
