"""The database API every plugin codes against: one interface over SQLite and PostgreSQL."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from bot.errors import DuplicateEvent

T = TypeVar("T")

EVENT_RETENTION_SECONDS = 7 * 24 * 3600
"""How long `mark_event` remembers an event id: platforms redeliver within minutes, not weeks."""

_PRUNE_INTERVAL_SECONDS = 3600
_RECENT_EVENTS = 16_384
"""Event ids remembered in memory (a few MB at most): every replay check is a lookup there."""

REPLAY_SEED_SECONDS = 600
"""Marks of the last ten minutes are loaded into memory before the first event: the replays
that follow a restart (a Matrix sync token saved after the events it covered) come then."""

log = logging.getLogger("ruche.storage")

CORE_DDL = (
    "CREATE TABLE IF NOT EXISTS core_processed_events ("
    " platform TEXT NOT NULL, event_id TEXT NOT NULL, seen_at BIGINT NOT NULL,"
    " PRIMARY KEY (platform, event_id))",
    "CREATE INDEX IF NOT EXISTS core_processed_events_seen_at ON core_processed_events (seen_at)",
)
"""Tables the storage layer itself needs; created by each backend at open (idempotent DDL),
so `mark_event` works before, and independently of, any plugin migration."""


class StorageError(Exception):
    """Any database failure, so callers never need to import a driver's exception types."""


class IntegrityError(StorageError):
    """A constraint (UNIQUE, CHECK, FOREIGN KEY, NOT NULL) refused the write: a business 'no'."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached (server down, restarting, network): retrying later may work.

    Raised by every backend for connection-level failures, so callers can answer "try again"
    rather than "bug". `outcome_unknown` is True when the connection broke while a write was
    being committed: it may or may not have been applied; otherwise nothing was changed.
    """

    def __init__(self, message: str, *, reason: str = "", outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.reason = reason or message
        self.outcome_unknown = outcome_unknown


def unavailable_cause(exc: BaseException) -> DatabaseUnavailable | None:
    """The DatabaseUnavailable behind `exc` (itself or in its chain), so wrappers stay transparent."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DatabaseUnavailable):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class DatabaseTooNew(StorageError):
    """The database was migrated by newer code; running older code on it could corrupt it."""

    def __init__(self, namespace: str, db_version: int, code_version: int) -> None:
        super().__init__(
            f"database schema {namespace!r} is at version {db_version}, but this code only "
            f"knows up to version {code_version}: upgrade Ruche or restore a matching backup"
        )
        self.namespace = namespace
        self.db_version = db_version
        self.code_version = code_version


_MARK_SQL = (
    "INSERT INTO core_processed_events (platform, event_id, seen_at)"
    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
)


class EventMark:
    """The de-dup mark of the event being handled, waiting to ride on its first write.

    `Database.begin_event` puts it in a context variable; the first `atomic`, `execute`,
    `executemany`, write `fetch` or `transaction` of the same task (and of tasks it starts)
    inserts it in that write's own transaction, so a writing command and its mark commit
    together (exactly once). An event that never wrote gets its mark in a later batched
    commit (`Database.end_event`)."""

    __slots__ = ("claiming", "db", "duplicate", "event_id", "open", "platform", "seen_at",
                 "token", "written")

    def __init__(self, db: Database, platform: str, event_id: str, seen_at: int) -> None:
        self.db = db
        self.platform = platform
        self.event_id = event_id
        self.seen_at = seen_at
        self.open = True  # still handling the event: its writes may carry the mark
        self.claiming = False  # a write carrying the mark is under way
        self.written = False  # the mark committed with a write
        self.duplicate = False  # a write found the mark already there
        self.token: contextvars.Token[EventMark | None] | None = None

    def wrap(self, op: Callable[[Tx], Awaitable[T]]) -> Callable[[Tx], Awaitable[T]]:
        """`op` preceded, in its transaction, by the mark's INSERT; a mark already there refuses."""

        async def marked(tx: Tx) -> T:
            await self.insert(tx)
            return await op(tx)

        return marked

    async def insert(self, tx: Tx) -> None:
        """Insert the mark in `tx`, or raise DuplicateEvent if another delivery already did."""
        if await tx.execute(_MARK_SQL, self.platform, self.event_id, self.seen_at) != 1:
            self.duplicate = True
            raise DuplicateEvent(f"{self.platform} event {self.event_id} was already handled")


_event_mark: contextvars.ContextVar[EventMark | None] = contextvars.ContextVar(
    "ruche_storage_event_mark", default=None
)


class Row(Protocol):
    """A result row (sqlite3.Row or asyncpg.Record): `row["col"]` and `row[0]` both work."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...


class Tx(abc.ABC):
    """Statements inside one transaction; obtained from `Database.atomic` or `transaction()`."""

    dialect: str

    @abc.abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; returns the affected (or returned) row count."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter tuple."""

    @abc.abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """All rows of a query."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The first row, or None; queries that may match many rows should say LIMIT 1."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """First column of the first row, or None: the shape of counts and lookups."""
        rows = await self.fetch(sql, *args)
        return rows[0][0] if rows else None


_exclusive_owner: contextvars.ContextVar[ExclusiveGuard | None] = contextvars.ContextVar(
    "ruche_storage_exclusive_owner", default=None
)


class ExclusiveGuard:
    """Marks the task that holds `db.transaction()`, to turn self-deadlocks into errors."""

    __slots__ = ("active", "db")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.active = True


class Database(abc.ABC):
    """A connection (pool) to the bot's database; see the module docs of each backend."""

    dialect: str
    url_for_display: str

    #: Seconds read-only events' marks wait to share one commit (0: the next loop iteration;
    #: SQLite's writer then folds them into its next group commit anyway).
    MARK_WINDOW = 0.0

    def __init__(self) -> None:
        self._next_prune = 0.0
        self._recent: dict[tuple[str, str], None] = {}
        self._marks: list[tuple[str, str, int]] = []
        self._mark_flush: asyncio.TimerHandle | asyncio.Handle | None = None
        self._mark_tasks: set[asyncio.Task[None]] = set()
        self._seeded = False
        self._seeding: asyncio.Future[list[Row]] | None = None

    # --- reads and single statements ---------------------------------------------------
    @abc.abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """All rows of a query, from the latest committed state."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """First column of the first row, or None."""
        rows = await self.fetch(sql, *args)
        return rows[0][0] if rows else None

    @abc.abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """One statement in its own durable transaction; returns the row count."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement per parameter tuple, all in one durable transaction."""

    # --- transactions --------------------------------------------------------------------
    @abc.abstractmethod
    async def atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `op(tx)` in one transaction; returns once its COMMIT is durable."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """An exclusive transaction for code that must await other things between statements."""

    # --- housekeeping ----------------------------------------------------------------------
    @abc.abstractmethod
    async def backup(self, path: str | os.PathLike[str]) -> None:
        """Write a consistent copy of the database to `path`."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush pending writes and release every connection and thread; idempotent."""

    async def mark_event(self, platform: str, event_id: str) -> bool:
        """True the first time a platform event id is seen: platforms redeliver events."""
        now = int(time.time())
        prune = now >= self._next_prune
        if prune:
            self._next_prune = now + _PRUNE_INTERVAL_SECONDS

        async def op(tx: Tx) -> bool:
            inserted = await tx.execute(
                "INSERT INTO core_processed_events (platform, event_id, seen_at)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                platform,
                event_id,
                now,
            )
            if prune:
                await tx.execute(
                    "DELETE FROM core_processed_events WHERE seen_at < $1",
                    now - EVENT_RETENTION_SECONDS,
                )
            return inserted == 1

        return await self.atomic(op)

    # --- de-duplication of platform events, written with the event's first write ------------
    async def begin_event(self, platform: str, event_id: str) -> EventMark | None:
        """Start handling a platform event: None if it was seen already, else its pending mark.

        Costs no database work: a duplicate is caught in memory, which holds the last
        _RECENT_EVENTS event ids, seeded before the first event with the marks of the last
        REPLAY_SEED_SECONDS (replays after a restart). The returned mark rides on the event's
        first write, whose INSERT refuses a duplicate that memory missed (a second process, a
        replay older than memory); `end_event` must follow, in the same task."""
        if not self._seeded:
            await self._seed_recent()
        key = (platform, event_id)
        recent = self._recent
        if key in recent:
            return None
        recent[key] = None
        if len(recent) > _RECENT_EVENTS:
            del recent[next(iter(recent))]
        mark = EventMark(self, platform, event_id, int(time.time()))
        mark.token = _event_mark.set(mark)
        return mark

    async def seen_events(self, platform: str, event_ids: Sequence[str]) -> set[str]:
        """Which of these events were handled already (memory, then the kept marks): catch-up."""
        seen = {i for i in event_ids if (platform, i) in self._recent}
        rest = [i for i in event_ids if i not in seen]
        for start in range(0, len(rest), 500):
            chunk = rest[start:start + 500]
            marks = ", ".join(f"${n}" for n in range(2, len(chunk) + 2))
            rows = await self.fetch(
                "SELECT event_id FROM core_processed_events WHERE platform = $1"
                f" AND event_id IN ({marks})", platform, *chunk)
            seen |= {str(row[0]) for row in rows}
        return seen

    async def _seed_recent(self) -> None:
        """Once, before the first event: remember the marks of the last few minutes."""
        if self._seeding is None:
            self._seeding = asyncio.ensure_future(self.fetch(
                "SELECT platform, event_id FROM core_processed_events WHERE seen_at >= $1"
                " ORDER BY seen_at DESC LIMIT $2",
                int(time.time()) - REPLAY_SEED_SECONDS, _RECENT_EVENTS))
        seeding = self._seeding
        try:
            rows = await asyncio.shield(seeding)
        except BaseException:
            if self._seeding is seeding and seeding.done():
                self._seeding = None  # the database was unreachable: the next event retries
            raise
        if not self._seeded:
            self._seeded = True
            seen = {(str(row[0]), str(row[1])): None for row in rows[::-1]}
            seen.update(self._recent)
            self._recent = seen

    def end_event(self, mark: EventMark, *, handled: bool) -> None:
        """Finish an event: a mark no write carried is queued for the next batched commit.

        `handled` False (the event failed before doing what it does, e.g. the database was
        unreachable) forgets it instead, so a redelivery is handled. A read-only event whose
        batched mark is lost to a crash may thus be answered twice; a writing one never
        applies twice, its mark being in its first write's transaction."""
        mark.open = False
        if mark.token is not None:
            with contextlib.suppress(ValueError):  # reset from another context: leave it
                _event_mark.reset(mark.token)
            mark.token = None
        if mark.written or mark.duplicate:
            pass
        elif handled:
            self._marks.append((mark.platform, mark.event_id, mark.seen_at))
        else:
            self._recent.pop((mark.platform, mark.event_id), None)
        if self._mark_flush is None and (self._marks or mark.seen_at >= self._next_prune):
            loop = asyncio.get_running_loop()
            if self.MARK_WINDOW > 0:
                self._mark_flush = loop.call_later(self.MARK_WINDOW, self._start_mark_flush)
            else:
                self._mark_flush = loop.call_soon(self._start_mark_flush)

    def _start_mark_flush(self) -> None:
        """Write the queued marks in one commit, as a task of its own."""
        self._mark_flush = None
        task = asyncio.ensure_future(self._flush_marks())
        self._mark_tasks.add(task)
        task.add_done_callback(self._mark_tasks.discard)

    async def _flush_marks(self) -> None:
        """One batched write of the queued marks and, hourly, of the prune; failures logged."""
        marks, self._marks = self._marks, []
        now = int(time.time())
        prune = now >= self._next_prune
        if not marks and not prune:
            return
        if prune:
            self._next_prune = now + _PRUNE_INTERVAL_SECONDS

        async def op(tx: Tx) -> None:
            await tx.executemany(_MARK_SQL, marks)
            if prune:
                await tx.execute(
                    "DELETE FROM core_processed_events WHERE seen_at < $1",
                    now - EVENT_RETENTION_SECONDS,
                )

        try:
            await self.atomic(op)
        except StorageError as exc:  # the events were handled; a replay may answer twice
            log.warning("de-dup marks of %d read-only event(s) not written: %s", len(marks), exc)
            if prune:
                self._next_prune = 0.0

    async def _settle_marks(self) -> None:
        """Before closing: write the marks still queued and wait for those being written."""
        if self._mark_flush is not None:
            self._mark_flush.cancel()
            self._mark_flush = None
        await self._flush_marks()
        if self._mark_tasks:
            await asyncio.wait(list(self._mark_tasks))

    def _claimable(self) -> EventMark | None:
        """The current event's mark if this write must carry it (nothing else is carrying it)."""
        mark = _event_mark.get()
        if mark is None or mark.db is not self or not mark.open or mark.written:
            return None
        if mark.duplicate:
            raise DuplicateEvent(f"{mark.platform} event {mark.event_id} was already handled")
        return None if mark.claiming else mark

    async def _carrying(self, mark: EventMark, write: Awaitable[T]) -> T:
        """Await a write that carries `mark`; on success the mark is committed with it."""
        mark.claiming = True
        try:
            value = await write
        finally:
            mark.claiming = False
        mark.written = True
        return value

    @contextlib.contextmanager
    def unmarked(self) -> Iterator[None]:
        """Writes in this block do not carry the event's mark: idempotent upkeep (a member's
        first registration) must not stand in for the command's own write."""
        token = _event_mark.set(None)
        try:
            yield
        finally:
            _event_mark.reset(token)

    # --- helpers for backends ------------------------------------------------------------
    def _check_not_in_own_transaction(self) -> None:
        """Refuse db calls from the task holding `transaction()`: they would wait for it."""
        guard = _exclusive_owner.get()
        if guard is not None and guard.active and guard.db is self:
            raise StorageError(
                "this task holds db.transaction(): use its tx for statements, not db"
            )

    @staticmethod
    def _enter_exclusive(guard: ExclusiveGuard) -> contextvars.Token[ExclusiveGuard | None]:
        """Record that the current task now holds the exclusive transaction."""
        return _exclusive_owner.set(guard)

    @staticmethod
    def _exit_exclusive(
        guard: ExclusiveGuard, token: contextvars.Token[ExclusiveGuard | None]
    ) -> None:
        """Forget the exclusive transaction (child tasks that copied the context see it inactive)."""
        guard.active = False
        _exclusive_owner.reset(token)


# --- $n placeholders -------------------------------------------------------------------------

_SQL_TOKENS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$(\d+)""",
    re.DOTALL,
)
_WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"\s*(\w+)")


def _placeholder(match: re.Match[str]) -> str:
    """Rewrite `$n` to `?n`, leaving literals, identifiers and comments as they are."""
    number = match.group(1)
    return match.group(0) if number is None else "?" + number


def rewrite_placeholders(sql: str) -> str:
    """`$1` (PostgreSQL) → `?1` (SQLite), outside string literals, identifiers and comments."""
    return prepare_sqlite(sql)[0]


@functools.lru_cache(maxsize=4096)
def prepare_sqlite(sql: str) -> tuple[str, bool]:
    """SQLite text of a statement and whether it is a pure read; cached (SQL is static text)."""
    rewritten = _SQL_TOKENS.sub(_placeholder, sql)
    code = _SQL_TOKENS.sub(lambda m: " " if m.group(1) is None else m.group(0), sql)
    first = _FIRST_WORD.match(code)
    is_read = (
        first is not None
        and first.group(1).upper() in ("SELECT", "WITH", "VALUES")
        and _WRITE_WORD.search(code) is None
    )
    return rewritten, is_read


def pg_rowcount(status: str) -> int:
    """Row count from a PostgreSQL command tag ("INSERT 0 3", "UPDATE 2", "CREATE TABLE" → 0)."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


# --- URLs ---------------------------------------------------------------------------------------


def mask_url(url: str) -> str:
    """The url with any password replaced by `***`, safe for logs and status output."""
    url = _URL_PASSWORD.sub(r"\1***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", url)


_URL_PASSWORD = re.compile(r"^([A-Za-z][\w+.-]*://[^:/?#@]*:)[^/?#]+@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def is_postgresql(url: str) -> bool:
    """Whether `url` names a PostgreSQL server (the only backend worth waiting for)."""
    return url.partition(":")[0].lower() in ("postgresql", "postgres")


async def open_database(url: str, *, connect_timeout: float | None = None) -> Database:
    """Open the database named by `url` ("sqlite:///rel.db", "sqlite:////abs.db",
    "sqlite://:memory:", "postgresql://…"); the backend is imported only when used.

    `connect_timeout` bounds each PostgreSQL connection attempt (asyncpg's default otherwise);
    an unreachable server raises DatabaseUnavailable, any other refusal a StorageError."""
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        from bot.storage.sqlite import SqliteDatabase

        return await SqliteDatabase.open(url)
    if is_postgresql(url):
        from bot.storage.postgres import PostgresDatabase

        return await PostgresDatabase.open(url, connect_timeout=connect_timeout)
    raise ValueError(f"unsupported database url {mask_url(url)!r}: use sqlite:// or postgresql://")


__all__ = [
    "CORE_DDL",
    "Database",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "DuplicateEvent",
    "EventMark",
    "IntegrityError",
    "Row",
    "StorageError",
    "Tx",
    "is_postgresql",
    "mask_url",
    "open_database",
    "pg_rowcount",
    "prepare_sqlite",
    "rewrite_placeholders",
    "unavailable_cause",
]
