"""The SQLite writer's group commit without per-op savepoints: failures, re-runs, spacing."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage import IntegrityError, StorageError, Tx, open_database
from bot.storage.sqlite import SqliteDatabase
from bot.storage.sqlite_jobs import _CallJob

ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))"
Op = Callable[[Tx], Awaitable[object]]


class Refused(Exception):
    """An op's own refusal, raised after (dirty) or before (clean) it wrote."""


@pytest.fixture
async def sdb(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    db = await open_database(f"sqlite:///{tmp_path}/b.sqlite3")
    assert isinstance(db, SqliteDatabase)
    await db.execute(ITEMS)
    yield db
    await db.close()


@contextlib.asynccontextmanager
async def writer_held(db: SqliteDatabase) -> AsyncIterator[None]:
    """Park the writer thread, so that every op queued meanwhile lands in one group commit."""
    release = threading.Event()
    held = db._submit(_CallJob(db._loop.create_future(), lambda _conn: release.wait(10)))
    try:
        yield
    finally:
        release.set()
        await held


async def one_batch(db: SqliteDatabase, ops: list[Op]) -> list[object]:
    """Run `ops` in one group commit (in this order); results or exceptions, in order."""
    async with writer_held(db):
        tasks = [asyncio.ensure_future(db.atomic(op)) for op in ops]
        await asyncio.sleep(0)  # each task submits its job before the writer is released
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def inserts(i: int, runs: list[int], fail: str = "") -> Op:
    """An op inserting item `i`; `fail` = "after" raises once it wrote, "before" first."""

    async def op(tx: Tx) -> int:
        runs.append(i)
        if fail == "before":
            raise Refused(i)
        await tx.execute("INSERT INTO items (id, v) VALUES ($1, $2)", i, i)
        await tx.execute("UPDATE items SET v = v + 1 WHERE id = $1", i)
        if fail == "after":
            raise Refused(i)
        return i

    return op


async def ids(db: SqliteDatabase) -> list[int]:
    return [int(r["id"]) for r in await db.fetch("SELECT id FROM items ORDER BY id")]


async def test_op_2_of_5_fails_after_writing(sdb: SqliteDatabase) -> None:
    runs: list[int] = []
    before = sdb.batches
    results = await one_batch(
        sdb, [inserts(i, runs, "after" if i == 2 else "") for i in range(1, 6)]
    )
    assert sdb.batches - before == 1  # one group commit, not one per op
    assert results[0] == 1 and results[2:] == [3, 4, 5]
    assert isinstance(results[1], Refused) and results[1].args == (2,)
    assert await ids(sdb) == [1, 3, 4, 5]
    assert await sdb.fetchval("SELECT sum(v) FROM items") == 2 + 4 + 5 + 6
    # op 1 ran in vain before op 2 rolled the transaction back; op 2 is never run again
    assert runs == [1, 2, 1, 3, 4, 5]


async def test_op_failing_before_writing_costs_no_rerun(sdb: SqliteDatabase) -> None:
    runs: list[int] = []
    results = await one_batch(
        sdb, [inserts(i, runs, "before" if i == 2 else "") for i in range(1, 6)]
    )
    assert isinstance(results[1], Refused)
    assert [r for i, r in enumerate(results) if i != 1] == [1, 3, 4, 5]
    assert await ids(sdb) == [1, 3, 4, 5]
    assert runs == [1, 2, 3, 4, 5]
    assert sdb._dirty_rate == 0.0


async def test_every_op_fails(sdb: SqliteDatabase) -> None:
    runs: list[int] = []
    ops = [inserts(i, runs, "after" if i % 2 else "before") for i in range(1, 7)]
    ops.append(lambda tx: tx.execute("INSERT INTO items (id, v) VALUES (7, -1)"))  # CHECK
    results = await one_batch(sdb, ops)
    assert [type(r) for r in results] == [Refused] * 6 + [IntegrityError]
    assert [r.args[0] for r in results[:6]] == [1, 2, 3, 4, 5, 6]  # type: ignore[union-attr]
    assert await ids(sdb) == []
    assert sorted(runs) == [1, 2, 3, 4, 5, 6]  # nothing had succeeded, so nothing ran twice


async def test_single_op_failing_after_writing(sdb: SqliteDatabase) -> None:
    runs: list[int] = []
    with pytest.raises(Refused):
        await sdb.atomic(inserts(1, runs, "after"))
    assert await ids(sdb) == []
    await sdb.atomic(inserts(2, runs))
    assert await ids(sdb) == [2]


async def test_a_rerun_answers_with_the_last_run(sdb: SqliteDatabase) -> None:
    """Values computed in a run that was rolled back are never handed out."""
    seen: list[int] = []

    async def counts(tx: Tx) -> int:
        n = int(await tx.fetchval("SELECT count(*) FROM items"))
        seen.append(n)
        await tx.execute("INSERT INTO items (id, v) VALUES ($1, 0)", 100 + len(seen))
        return len(seen)

    runs: list[int] = []
    results = await one_batch(sdb, [counts, inserts(1, runs, "after"), inserts(2, runs)])
    assert seen == [0, 0]
    assert results[0] == 2 and isinstance(results[1], Refused) and results[2] == 2
    assert await ids(sdb) == [2, 102]


async def test_ddl_then_failure_is_rolled_back(sdb: SqliteDatabase) -> None:
    """total_changes does not count DDL: such an op must still leave nothing behind."""

    async def creates(tx: Tx) -> None:
        await tx.execute("CREATE TABLE scratch (x INTEGER)")
        raise Refused("ddl")

    runs: list[int] = []
    results = await one_batch(sdb, [inserts(1, runs), creates, inserts(2, runs)])
    assert results[0] == 1 and isinstance(results[1], Refused) and results[2] == 2
    assert await sdb.fetchval(
        "SELECT count(*) FROM sqlite_master WHERE name = 'scratch'"
    ) == 0
    assert await ids(sdb) == [1, 2]


async def test_frequent_failures_switch_to_savepoints(sdb: SqliteDatabase) -> None:
    """After many ops failed once they wrote, savepoints are cheaper than re-runs."""
    for round_ in range(6):
        runs: list[int] = []
        base = 10 * round_
        await one_batch(
            sdb, [inserts(base + i, runs, "after" if i % 3 == 0 else "") for i in range(10)]
        )
    assert sdb._spacing(10) == 1
    runs = []
    results = await one_batch(
        sdb, [inserts(100 + i, runs, "after" if i == 5 else "") for i in range(10)]
    )
    assert runs == list(range(100, 110))  # each op ran once: its savepoint undid op 105 alone
    assert isinstance(results[5], Refused)
    assert [i for i in await ids(sdb) if i >= 100] == [100 + i for i in range(10) if i != 5]
    # and when failures stop, the writer goes back to running ops without savepoints
    for round_ in range(250):
        await one_batch(sdb, [inserts(1000 + 10 * round_ + i, []) for i in range(10)])
        if round_ == 60:
            assert 1 < sdb._spacing(10) < 10  # savepoints further apart as failures fade
    assert sdb._spacing(10) == 10


async def test_savepoints_every_few_ops_bound_the_rerun(sdb: SqliteDatabase) -> None:
    """Spaced savepoints: a failure re-runs only the ops since the savepoint before it."""
    sdb._dirty_rate = 0.012  # one savepoint every 3 ops
    assert sdb._spacing(10) == 3
    runs: list[int] = []
    results = await one_batch(
        sdb, [inserts(100 + i, runs, "after" if i == 7 else "") for i in range(10)]
    )
    # savepoints before ops 3 and 6; op 7 rolls back to the second, so op 6 runs again
    assert runs == [100, 101, 102, 103, 104, 105, 106, 107, 106, 108, 109]
    assert isinstance(results[7], Refused)
    assert [r for i, r in enumerate(results) if i != 7] == [100 + i for i in range(10) if i != 7]
    assert await ids(sdb) == [100 + i for i in range(10) if i != 7]


async def test_deferred_constraint_after_a_rerun(sdb: SqliteDatabase) -> None:
    """COMMIT refusing a re-run batch: each op alone, and earlier failures still answered."""
    await sdb.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL"
        " REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED)"
    )

    def noted(i: int, target: int) -> Op:
        async def op(tx: Tx) -> int:
            await tx.execute("INSERT INTO items (id, v) VALUES ($1, 1)", i)
            await tx.execute("INSERT INTO notes (id, item_id) VALUES ($1, $2)", i, target)
            return i

        return op

    runs: list[int] = []
    results = await one_batch(
        sdb, [noted(1, 1), inserts(2, runs, "after"), noted(3, 999), noted(4, 4)]
    )
    assert results[0] == 1 and results[3] == 4
    assert isinstance(results[1], Refused) and isinstance(results[2], IntegrityError)
    assert await ids(sdb) == [1, 4]


async def test_op_suspending_in_a_batch(sdb: SqliteDatabase) -> None:
    async def sleeps(tx: Tx) -> None:
        await tx.execute("INSERT INTO items (id, v) VALUES (50, 1)")
        await asyncio.sleep(0)

    runs: list[int] = []
    results = await one_batch(sdb, [inserts(1, runs), sleeps, inserts(2, runs)])
    assert isinstance(results[1], StorageError) and "db.transaction()" in str(results[1])
    assert await ids(sdb) == [1, 2]


async def test_sqlite_rolling_back_the_whole_transaction(sdb: SqliteDatabase) -> None:
    """INSERT OR ROLLBACK ends the transaction itself: ops before it are lost, not half-kept."""
    await sdb.execute("INSERT INTO items (id, v) VALUES (99, 1)")

    async def clobbers(tx: Tx) -> None:
        await tx.execute("INSERT OR ROLLBACK INTO items (id, v) VALUES (99, 2)")

    runs: list[int] = []
    results = await one_batch(sdb, [inserts(1, runs), clobbers, inserts(2, runs)])
    assert isinstance(results[0], StorageError) and "rolled back by SQLite" in str(results[0])
    assert isinstance(results[1], IntegrityError)
    assert results[2] == 2
    assert await ids(sdb) == [2, 99]
    assert await sdb.fetchval("SELECT v FROM items WHERE id = 99") == 1


# --- property: a batch with refusals equals the same ops run one by one, in queue order ------

Move = tuple[int, int, int, str]  # src, dst, amount, how it may fail ("", "before", "after")

moves = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(1, 6),
        st.sampled_from(["", "", "", "before", "after"]),
    ),
    min_size=1,
    max_size=30,
)


def move_op(index: int, move: Move) -> Op:
    """Log the move, then a guarded debit (refused: raises after writing), then the credit."""
    src, dst, amount, fail = move

    async def op(tx: Tx) -> int:
        if fail == "before":
            raise Refused(index)
        await tx.execute("INSERT INTO log (id, amount) VALUES ($1, $2)", index, amount)
        if await tx.execute(
            "UPDATE acct SET balance = balance - $1 WHERE id = $2 AND balance >= $1", amount, src
        ) != 1:
            raise Refused(index)
        await tx.execute("UPDATE acct SET balance = balance + $1 WHERE id = $2", amount, dst)
        if fail == "after":
            raise Refused(index)
        return index

    return op


def model(balances: list[int], batch: list[Move]) -> tuple[list[int], list[bool]]:
    """The same moves one at a time, in order: final balances and which succeeded."""
    held = list(balances)
    ok: list[bool] = []
    for src, dst, amount, fail in batch:
        good = fail == "" and held[src] >= amount
        if good:
            held[src] -= amount
            held[dst] += amount
        ok.append(good)
    return held, ok


async def batch_scenario(path: str, balances: list[int], batches: list[list[Move]],
                         rate: float) -> None:
    db = await open_database(f"sqlite:///{path}")
    assert isinstance(db, SqliteDatabase)
    try:
        await db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        await db.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
        await db.executemany("INSERT INTO acct (id, balance) VALUES ($1, $2)",
                             list(enumerate(balances)))
        held = list(balances)
        for n, batch in enumerate(batches):
            db._dirty_rate = rate  # 0: no savepoints; 0.03: every 2 ops; 1: every op
            offset = 100 * n
            results = await one_batch(db, [move_op(offset + i, m) for i, m in enumerate(batch)])
            held, ok = model(held, batch)
            for i, (result, good) in enumerate(zip(results, ok, strict=True)):
                if good:
                    assert result == offset + i
                else:
                    assert isinstance(result, Refused) and result.args == (offset + i,)
            rows = await db.fetch("SELECT balance FROM acct ORDER BY id")
            assert [int(r["balance"]) for r in rows] == held
            logged = {int(r["id"]) for r in await db.fetch(
                "SELECT id FROM log WHERE id >= $1", offset)}
            assert logged == {offset + i for i, good in enumerate(ok) if good}
    finally:
        await db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    balances=st.lists(st.integers(0, 10), min_size=4, max_size=4),
    batches=st.lists(moves, min_size=1, max_size=3),
    rate=st.sampled_from([0.0, 0.03, 1.0]),
)
def test_batches_with_refusals_match_one_by_one(
    balances: list[int], batches: list[list[Move]], rate: float
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(batch_scenario(f"{tmp}/p.sqlite3", balances, batches, rate))
