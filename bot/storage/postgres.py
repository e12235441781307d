"""PostgreSQL backend over an asyncpg pool, with the SQLite backend's guarantees where cheap.

- `atomic(op)` runs `op` in one READ COMMITTED transaction on a pooled connection; ops run
  concurrently, so write guarded statements (`UPDATE … WHERE balance >= $1`) rather than
  read-then-write. A deadlock or serialization failure re-runs `op` (up to 5 times): ops must
  have no effect besides their `tx` — the same rule SQLite's writer thread enforces.
- `transaction()` takes an exclusive advisory lock that every `atomic()` also takes in shared
  mode (in the same round trip as BEGIN), so, as on SQLite, a `transaction()` is never
  interleaved with another `transaction()` or `atomic()` — across processes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import asyncpg

from bot.storage.db import (
    CORE_DDL,
    Database,
    DatabaseUnavailable,
    ExclusiveGuard,
    IntegrityError,
    Row,
    StorageError,
    Tx,
    mask_url,
    pg_rowcount,
    prepare_sqlite,
)

T = TypeVar("T")

_LOCK_KEY = 0x5275636865  # "Ruche"
_BEGIN_SHARED = f"BEGIN; SELECT pg_advisory_xact_lock_shared({_LOCK_KEY})"
_BEGIN_EXCLUSIVE = f"BEGIN; SELECT pg_advisory_xact_lock({_LOCK_KEY})"
_ATTEMPTS = 5
log = logging.getLogger("ruche.storage")

_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)
_RETRYABLE: tuple[type[BaseException], ...] = (
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, DNS, timeout, reset
    asyncpg.PostgresConnectionError,  # class 08, incl. "connection was closed in the middle"
    asyncpg.CannotConnectNowError,  # "the database system is starting up" / shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # A pooled connection the server cut mid-query is left in a state asyncpg refuses to use
    # ("cannot switch to state 15; another operation is in progress"); it is then terminated.
    asyncpg.InternalClientError,
)
_BROKEN_MID_WAY: tuple[type[BaseException], ...] = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    ConnectionResetError,
    BrokenPipeError,
)
"""Failures of a connection that was working: a statement sent may have been applied."""


def unreachable(exc: BaseException) -> bool:
    """A connection-level failure (worth retrying later), not a refusal of the request."""
    if isinstance(exc, _UNREACHABLE):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and "connection" in str(exc) and (
        "closed" in str(exc)
    )


def describe(exc: BaseException) -> str:
    """A short, password-free reason for logs and chat-facing errors ("connection refused")."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return "too many connections"
    if isinstance(exc, asyncpg.InternalClientError):
        # asyncpg's protocol state machine, left mid-operation by a connection the server cut.
        return "connection was closed in the middle of an operation"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _error(exc: BaseException, *, writing: bool = False) -> StorageError:
    """Our exception for an asyncpg one; callers chain the original as __cause__.

    `writing`: a COMMIT (or a statement in its own transaction) was under way, so a connection
    that broke mid-way leaves its outcome unknown."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(str(exc))
    if unreachable(exc):
        reason = describe(exc)
        return DatabaseUnavailable(
            f"the database is unreachable: {reason}",
            reason=reason,
            outcome_unknown=writing and isinstance(exc, _BROKEN_MID_WAY),
        )
    return StorageError(str(exc))


class _PgTx(Tx):
    """Statements on the connection that holds the transaction."""

    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn: Any = conn

    def _live(self) -> Any:
        if self._conn is None:
            raise StorageError("this tx belongs to a transaction that has ended")
        return self._conn

    async def execute(self, sql: str, *args: Any) -> int:
        try:
            return pg_rowcount(await self._live().execute(sql, *args))
        except _DRIVER_ERRORS as exc:
            raise _error(exc) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            await self._live().executemany(sql, rows)
        except _DRIVER_ERRORS as exc:
            raise _error(exc) from exc

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        try:
            rows: list[Row] = await self._live().fetch(sql, *args)
        except _DRIVER_ERRORS as exc:
            raise _error(exc) from exc
        return rows


async def _rollback(conn: Any) -> None:
    """Leave the transaction; a connection in an unknown state is closed, not reused."""
    try:
        if conn.is_closed():
            return
    except asyncpg.InterfaceError:  # the server cut it and the pool already took it back
        return
    try:
        await conn.execute("ROLLBACK")
    except Exception:
        conn.terminate()
    except BaseException:
        conn.terminate()
        raise


class PostgresDatabase(Database):
    """asyncpg pool (1–10 connections); see the module docstring for transaction semantics."""

    dialect = "postgresql"
    MARK_WINDOW = 0.002  # read-only events' de-dup marks: one commit per 2 ms, not one each

    def __init__(self, url: str, pool: Any) -> None:
        super().__init__()
        self.url_for_display = mask_url(url)
        self._pool: Any = pool
        self._closing: asyncio.Future[None] | None = None
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @classmethod
    async def open(cls, url: str, *, connect_timeout: float | None = None) -> PostgresDatabase:
        """Connect the pool and create the storage layer's own tables."""
        extra = {} if connect_timeout is None else {"timeout": connect_timeout}
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10, **extra)
        except _DRIVER_ERRORS as exc:
            if unreachable(exc):
                reason = describe(exc)
                raise DatabaseUnavailable(
                    f"cannot connect to {mask_url(url)}: {reason}", reason=reason
                ) from exc
            raise StorageError(f"cannot connect to {mask_url(url)}: {exc}") from exc
        db = cls(url, pool)
        try:
            async with db.transaction() as tx:
                for ddl in CORE_DDL:
                    await tx.execute(ddl)
        except BaseException:
            await db.close()
            raise
        return db

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """Refuse calls after close() and let close() wait for the calls already made."""
        if self._closing is not None:
            raise StorageError("database is closed")
        self._check_not_in_own_transaction()
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        if not prepare_sqlite(sql)[1] and self._claimable() is not None:
            return await self.atomic(lambda tx: tx.fetch(sql, *args))
        try:
            with self._call():
                rows: list[Row] = await self._pool.fetch(sql, *args)
        except _DRIVER_ERRORS as exc:
            raise _error(exc) from exc
        return rows

    async def execute(self, sql: str, *args: Any) -> int:
        if self._claimable() is not None:
            return await self.atomic(lambda tx: tx.execute(sql, *args))
        try:
            with self._call():
                return pg_rowcount(await self._pool.execute(sql, *args))
        except _DRIVER_ERRORS as exc:
            raise _error(exc, writing=True) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if self._claimable() is not None:
            await self.atomic(lambda tx: tx.executemany(sql, batch))
            return
        try:
            with self._call():
                await self._pool.executemany(sql, batch)
        except _DRIVER_ERRORS as exc:
            raise _error(exc, writing=True) from exc

    async def atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `op(tx)` in one transaction, re-running it after a deadlock.

        The first write of a platform event also inserts the event's de-dup mark in `op`'s
        transaction (db.EventMark); a concurrent second delivery waits on the mark's key, then
        finds it and rolls back."""
        with self._call():
            mark = self._claimable()
            if mark is not None:
                return await self._carrying(mark, self._atomic(mark.wrap(op)))
            return await self._atomic(op)

    async def _atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        attempt = 1
        while True:
            try:
                async with self._connection(_BEGIN_SHARED) as tx:
                    return await op(tx)
            except StorageError as exc:
                if attempt >= _ATTEMPTS or not isinstance(exc.__cause__, _RETRYABLE):
                    raise
            await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))
            attempt += 1

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Exclusive against every other transaction() and atomic(), as on SQLite."""
        with self._call():
            mark = self._claimable()
            if mark is not None:
                mark.claiming = True
            try:
                async with self._connection(_BEGIN_EXCLUSIVE) as tx:
                    guard = ExclusiveGuard(self)
                    token = self._enter_exclusive(guard)
                    try:
                        if mark is not None:  # the event's de-dup mark commits with this tx
                            await mark.insert(tx)
                        yield tx
                    finally:
                        self._exit_exclusive(guard, token)
            finally:
                if mark is not None:
                    mark.claiming = False
            if mark is not None:
                mark.written = True

    @contextlib.asynccontextmanager
    async def _connection(self, begin: str) -> AsyncIterator[Tx]:
        """A pooled connection inside a transaction; pool errors become StorageErrors too."""
        try:
            conn = await self._pool.acquire()
        except _DRIVER_ERRORS as exc:
            raise _error(exc) from exc
        try:
            async with self._tx(conn, begin) as tx:
                yield tx
        finally:
            try:
                await self._pool.release(conn)
            except _DRIVER_ERRORS:
                # The transaction already committed or rolled back; a connection the server cut
                # fails its reset here, and the pool replaces it. Its error must not stand in
                # for the outcome (or the real error) the caller is about to get.
                log.debug("a broken connection was dropped from the pool", exc_info=True)

    @contextlib.asynccontextmanager
    async def _tx(self, conn: Any, begin: str) -> AsyncIterator[Tx]:
        """BEGIN (plus the advisory lock) … COMMIT, or ROLLBACK if the body raised."""
        tx = _PgTx(conn)
        status = None
        try:
            try:
                await conn.execute(begin)
            except _DRIVER_ERRORS as exc:
                raise _error(exc) from exc
            yield tx
            try:
                status = await conn.execute("COMMIT")
            except _DRIVER_ERRORS as exc:
                raise _error(exc, writing=True) from exc
        finally:
            tx._conn = None
            if status is None:
                await _rollback(conn)
        if status != "COMMIT":  # PostgreSQL answers ROLLBACK to COMMIT after a failed statement
            raise StorageError("transaction was rolled back: a statement in it had failed")

    async def backup(self, path: str | os.PathLike[str]) -> None:
        """Consistent online backups of PostgreSQL are pg_dump's job, not the bot's."""
        raise StorageError("use pg_dump to back up a PostgreSQL database")

    async def close(self) -> None:
        """Write the queued de-dup marks, wait for borrowed connections to come back, then
        close the pool; idempotent."""
        if self._closing is None:
            await self._settle_marks()
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await self._idle.wait()
        await self._pool.close()
