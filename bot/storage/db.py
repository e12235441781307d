"""The database API every plugin codes against: one interface over SQLite and PostgreSQL."""

from __future__ import annotations

import abc
import contextvars
import functools
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

EVENT_RETENTION_SECONDS = 7 * 24 * 3600
"""How long `mark_event` remembers an event id: platforms redeliver within minutes, not weeks."""

_PRUNE_INTERVAL_SECONDS = 3600

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

    def __init__(self) -> None:
        self._next_prune = 0.0

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
