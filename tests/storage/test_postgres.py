"""PostgreSQL-only behaviour: deadlock retry, aborted transactions, cross-pool exclusivity."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.storage import Database, IntegrityError, StorageError, Tx, open_database


@pytest.fixture
async def pgdb(pg_url: str, pg_reset: Callable[[str], Awaitable[None]]) -> AsyncIterator[Database]:
    await pg_reset(pg_url)
    db = await open_database(pg_url)
    await db.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await db.execute("INSERT INTO acc (id, n) VALUES (1, 0), (2, 0)")
    try:
        yield db
    finally:
        await db.close()


async def test_deadlocked_op_is_rerun(pgdb: Database) -> None:
    attempts: list[str] = []
    locked = {"a": asyncio.Event(), "b": asyncio.Event()}

    def crosswise(me: str, other: str, first: int, second: int):  # type: ignore[no-untyped-def]
        async def op(tx: Tx) -> None:
            attempts.append(me)
            await tx.execute("UPDATE acc SET n = n + 1 WHERE id = $1", first)
            locked[me].set()
            await locked[other].wait()
            await tx.execute("UPDATE acc SET n = n + 1 WHERE id = $1", second)

        return op

    await asyncio.wait_for(
        asyncio.gather(
            pgdb.atomic(crosswise("a", "b", 1, 2)), pgdb.atomic(crosswise("b", "a", 2, 1))
        ),
        30,
    )
    assert len(attempts) == 3  # one of the two was chosen as the deadlock victim, then re-run
    assert [r["n"] for r in await pgdb.fetch("SELECT n FROM acc ORDER BY id")] == [2, 2]


async def test_swallowed_error_cannot_commit_silently(pgdb: Database) -> None:
    async def op(tx: Tx) -> None:
        await tx.execute("UPDATE acc SET n = 5 WHERE id = 1")
        try:
            await tx.execute("INSERT INTO acc (id, n) VALUES (1, 0)")
        except IntegrityError:
            pass  # PostgreSQL has aborted the transaction: COMMIT would answer ROLLBACK

    with pytest.raises(StorageError, match="rolled back"):
        await pgdb.atomic(op)
    assert await pgdb.fetchval("SELECT n FROM acc WHERE id = 1") == 0


async def test_transaction_excludes_other_pools(pgdb: Database, pg_url: str) -> None:
    """Another process (here: another pool) waits for our transaction(), as on SQLite."""
    other = await open_database(pg_url)
    try:
        async with pgdb.transaction() as tx:
            n = await tx.fetchval("SELECT n FROM acc WHERE id = 1")
            waiting = asyncio.ensure_future(
                other.atomic(lambda t: t.execute("UPDATE acc SET n = n + 10 WHERE id = 1"))
            )
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await tx.execute("UPDATE acc SET n = $1 WHERE id = 1", n + 1)
        await asyncio.wait_for(waiting, 10)
        assert await pgdb.fetchval("SELECT n FROM acc WHERE id = 1") == 11
    finally:
        await other.close()
