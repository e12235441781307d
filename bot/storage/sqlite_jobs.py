"""SQLite writer internals: the jobs the writer thread runs and the Tx objects ops see."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import sqlite3
import types
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Sequence,
)
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast
from urllib.parse import parse_qsl, unquote

from bot.storage.db import (
    DatabaseUnavailable,
    IntegrityError,
    Row,
    StorageError,
    Tx,
    mask_url,
    prepare_sqlite,
)

if TYPE_CHECKING:
    from bot.storage.sqlite import SqliteDatabase

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_BATCH = 100
READERS = 2
_SUSPENDED = "atomic() ops may only await tx methods; use db.transaction()"
_Result = tuple["asyncio.Future[Any]", BaseException | None, Any]


class SqliteOptions(NamedTuple):
    """What a sqlite:// url says."""

    path: str
    memory: bool
    synchronous: str
    busy_timeout_ms: int


def parse_sqlite_url(url: str) -> SqliteOptions:
    """sqlite:///relative, sqlite:////absolute, sqlite://:memory:, ?synchronous=&busy_timeout=."""
    if not url.lower().startswith("sqlite://"):
        raise ValueError(f"not a sqlite url: {mask_url(url)!r}")
    location, _, query = url[len("sqlite://") :].partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    synchronous = params.pop("synchronous", "FULL").upper()
    busy = params.pop("busy_timeout", "5000")
    if params:
        raise ValueError(f"unknown sqlite url options: {sorted(params)}")
    if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    if not busy.isdigit():
        raise ValueError(f"busy_timeout must be milliseconds, not {busy!r}")
    if location in (":memory:", "/:memory:"):
        return SqliteOptions(":memory:", True, synchronous, int(busy))
    if not location.startswith("/") or len(location) < 2:
        raise ValueError(
            "use sqlite:///relative/path, sqlite:////absolute/path or sqlite://:memory:"
        )
    return SqliteOptions(unquote(location[1:]), False, synchronous, int(busy))


_SQLITE_IOERR = 10
_SQLITE_CANTOPEN = 14


def _error(exc: sqlite3.Error) -> StorageError:
    """Our exception for a sqlite3 one (the caller chains it as __cause__).

    I/O errors and a file that cannot be opened (disk gone, permissions changed) are the
    SQLite form of an unreachable database: nothing was written, retrying later may work."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(str(exc))
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return DatabaseUnavailable(f"the database is unreachable: {exc}", reason=str(exc))
    return StorageError(str(exc))


_COUNTED = frozenset(("SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "VALUES"))


@functools.lru_cache(maxsize=4096)
def _plan(sql: str) -> tuple[str, bool]:
    """SQLite text, and whether `total_changes` sees every change the statement can make.

    DML is counted by SQLite (triggers included); DDL, PRAGMA and the like are not, so an
    atomic() op that ran one and then raised cannot be shown to have changed nothing."""
    text = prepare_sqlite(sql)[0]
    words = text.split(None, 1)
    return text, not words or words[0].upper() in _COUNTED


def _execute(cur: sqlite3.Cursor, sql: str, args: Sequence[Any]) -> int:
    """Run one statement; row count like PostgreSQL's command tag (returned rows count too)."""
    try:
        cur.execute(prepare_sqlite(sql)[0], args)
        if cur.description is not None:
            return len(cur.fetchall())
        return cur.rowcount
    except sqlite3.Error as exc:
        raise _error(exc) from exc


def _fetch(cur: sqlite3.Cursor, sql: str, args: Sequence[Any]) -> list[Row]:
    """All rows of one statement (fully consumed, so no read transaction stays open)."""
    try:
        cur.execute(prepare_sqlite(sql)[0], args)
        return cur.fetchall()
    except sqlite3.Error as exc:
        raise _error(exc) from exc


def _executemany(cur: sqlite3.Cursor, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """One statement per parameter tuple."""
    try:
        cur.executemany(prepare_sqlite(sql)[0], rows)
    except sqlite3.Error as exc:
        raise _error(exc) from exc


class _DirectTx(Tx):
    """The tx of an atomic() op: synchronous sqlite3 calls on the writer thread, never suspends.

    `uncounted` records that the op ran a statement whose changes `total_changes` misses
    (DDL…), so that the writer rolls back rather than trusting an unchanged count."""

    dialect = "sqlite"
    __slots__ = ("_cur", "uncounted")

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur: sqlite3.Cursor | None = cur
        self.uncounted = False

    def _live(self, sql: str) -> tuple[sqlite3.Cursor, str]:
        """The cursor and the SQLite text of `sql`; refuses a tx whose op has finished."""
        cur = self._cur
        if cur is None:
            raise StorageError("this tx belongs to an atomic() op that has finished")
        text, counted = _plan(sql)
        if not counted:
            self.uncounted = True
        return cur, text

    async def execute(self, sql: str, *args: Any) -> int:
        cur, text = self._live(sql)
        try:
            cur.execute(text, args)
            if cur.description is not None:
                return len(cur.fetchall())
            return cur.rowcount
        except sqlite3.Error as exc:
            raise _error(exc) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        cur, text = self._live(sql)
        try:
            cur.executemany(text, rows)
        except sqlite3.Error as exc:
            raise _error(exc) from exc

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        """Run a query on the writer's connection (a plain call: no coroutine on the hot path)."""
        cur, text = self._live(sql)
        try:
            cur.execute(text, args)
            return cur.fetchall()
        except sqlite3.Error as exc:
            raise _error(exc) from exc

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return self._rows(sql, args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """As Tx.fetchrow, one coroutine fewer: ops run these on the writer's hot path."""
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """As Tx.fetchval, one coroutine fewer: ops run these on the writer's hot path."""
        rows = self._rows(sql, args)
        return rows[0][0] if rows else None


def _drive(aw: Awaitable[T]) -> T:
    """Run a coroutine that must not suspend to completion, on the current thread."""
    gen: Coroutine[Any, None, T] | Generator[Any, None, T]
    gen = aw if isinstance(aw, types.CoroutineType) else aw.__await__()
    try:
        gen.send(None)
    except StopIteration as stop:
        value: T = stop.value
        return value
    except RuntimeError as exc:
        if "no running event loop" in str(exc):
            raise StorageError(_SUSPENDED) from exc
        raise
    with contextlib.suppress(BaseException):
        gen.close()
    raise StorageError(_SUSPENDED)


class _Job:
    """A unit of work for the writer thread; `batchable` jobs share a group commit.

    `uncounted`: set by a failed run that may have made changes SQLite's `total_changes`
    does not count, so that the writer undoes them."""

    batchable = True
    uncounted = False

    def __init__(self, fut: asyncio.Future[Any]) -> None:
        self.fut = fut

    def run(self, cur: sqlite3.Cursor) -> Any:
        raise NotImplementedError


class _AtomicJob(_Job):
    def __init__(self, fut: asyncio.Future[Any], op: Callable[[Tx], Awaitable[Any]]) -> None:
        super().__init__(fut)
        self.op = op

    def run(self, cur: sqlite3.Cursor) -> Any:
        tx = _DirectTx(cur)
        try:
            return _drive(self.op(tx))
        except BaseException:
            self.uncounted = tx.uncounted
            raise
        finally:
            tx._cur = None


class _StatementJob(_Job):
    """One statement; SQLite undoes a failed statement by itself, so no savepoint is needed."""

    def __init__(self, fut: asyncio.Future[Any], sql: str, args: Sequence[Any], rows: bool):
        super().__init__(fut)
        self.sql, self.args, self.rows = sql, args, rows

    def run(self, cur: sqlite3.Cursor) -> Any:
        return _fetch(cur, self.sql, self.args) if self.rows else _execute(cur, self.sql, self.args)


class _ManyJob(_Job):
    def __init__(self, fut: asyncio.Future[Any], sql: str, rows: list[Sequence[Any]]) -> None:
        super().__init__(fut)
        self.sql, self.rows = sql, rows

    def run(self, cur: sqlite3.Cursor) -> Any:
        _executemany(cur, self.sql, self.rows)


class _CallJob(_Job):
    """Runs outside any transaction (VACUUM, ":memory:" backup)."""

    batchable = False

    def __init__(self, fut: asyncio.Future[Any], fn: Callable[[sqlite3.Connection], Any]):
        super().__init__(fut)
        self.fn = fn


class _ExclusiveJob(_Job):
    """transaction(): the writer serves only this inbox until COMMIT or ROLLBACK arrives."""

    batchable = False

    def __init__(self, fut: asyncio.Future[Any], inbox: queue.SimpleQueue[Any]) -> None:
        super().__init__(fut)
        self.inbox = inbox


class _CloseJob(_Job):
    batchable = False


_COMMIT, _ROLLBACK = "COMMIT", "ROLLBACK"


class _ExclusiveTx(Tx):
    """The tx of `transaction()`: each statement is one hop into the writer thread."""

    dialect = "sqlite"

    def __init__(self, db: SqliteDatabase, inbox: queue.SimpleQueue[Any]) -> None:
        self._db, self._inbox, self._open = db, inbox, True

    async def _call(self, fn: Callable[[sqlite3.Cursor], Any]) -> Any:
        if not self._open:
            raise StorageError("this transaction() has ended")
        fut = self._db._loop.create_future()
        self._inbox.put((fn, fut))
        return await fut

    async def execute(self, sql: str, *args: Any) -> int:
        return cast(int, await self._call(lambda cur: _execute(cur, sql, args)))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        await self._call(lambda cur: _executemany(cur, sql, batch))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return cast("list[Row]", await self._call(lambda cur: _fetch(cur, sql, args)))


def _resolve(results: list[_Result]) -> None:
    """On the event loop: hand each caller its result (skipping callers that gave up)."""
    for fut, exc, value in results:
        if not fut.done():
            if exc is None:
                fut.set_result(value)
            else:
                fut.set_exception(exc)


def _chained(exc: BaseException) -> BaseException:
    """Our error for a failure of the writer's own statements (BEGIN, COMMIT…)."""
    if isinstance(exc, sqlite3.Error):
        err = _error(exc)
        err.__cause__ = exc
        return err
    return _as_exception(exc)


def _as_exception(exc: BaseException) -> BaseException:
    """Errors that can travel to a Future (SystemExit & co. become a StorageError)."""
    if isinstance(exc, Exception):
        return exc
    err = StorageError(f"atomic() op raised {exc!r}")
    err.__cause__ = exc
    return err


