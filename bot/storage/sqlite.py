"""SQLite backend: one writer thread doing group commit, reader threads for snapshot reads.

What costs is the hop between the event loop and a database thread (see PERFORMANCE.md), so
writes are queued to a single writer thread that takes up to 100 pending operations, runs each
in its own SAVEPOINT inside one `BEGIN IMMEDIATE … COMMIT`, and only then wakes the callers:
one hop per batch, one fsync per batch. `atomic(op)` ops run *on* the writer thread: `op` is
a coroutine driven with `send(None)` whose `tx` methods are plain synchronous sqlite3 calls,
so an op must await nothing but its `tx`. Reads use separate connections (WAL snapshots) in a
small thread pool so they never queue behind writes. ":memory:" uses the writer for all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import types
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Sequence,
)
from typing import Any, NamedTuple, TypeVar, cast
from urllib.parse import parse_qsl, unquote

from bot.storage.db import (
    CORE_DDL,
    Database,
    ExclusiveGuard,
    IntegrityError,
    Row,
    StorageError,
    Tx,
    mask_url,
    prepare_sqlite,
)

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


def _error(exc: sqlite3.Error) -> StorageError:
    """Our exception for a sqlite3 one (the caller chains it as __cause__)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(str(exc))
    return StorageError(str(exc))


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
    """The tx of an atomic() op: synchronous sqlite3 calls on the writer thread, never suspends."""

    dialect = "sqlite"

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur: sqlite3.Cursor | None = cur

    def _live(self) -> sqlite3.Cursor:
        if self._cur is None:
            raise StorageError("this tx belongs to an atomic() op that has finished")
        return self._cur

    async def execute(self, sql: str, *args: Any) -> int:
        return _execute(self._live(), sql, args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        _executemany(self._live(), sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return _fetch(self._live(), sql, args)


def _drive(aw: Awaitable[T]) -> T:
    """Run a coroutine that must not suspend to completion, on the current thread."""
    gen = cast(
        "Coroutine[Any, None, T] | Generator[Any, None, T]",
        aw if isinstance(aw, types.CoroutineType) else aw.__await__(),
    )
    try:
        gen.send(None)
    except StopIteration as stop:
        return cast(T, stop.value)
    except RuntimeError as exc:
        if "no running event loop" in str(exc):
            raise StorageError(_SUSPENDED) from exc
        raise
    with contextlib.suppress(BaseException):
        gen.close()
    raise StorageError(_SUSPENDED)


class _Job:
    """A unit of work for the writer thread; `batchable` jobs share a group commit."""

    batchable = True
    savepoint = False

    def __init__(self, fut: asyncio.Future[Any]) -> None:
        self.fut = fut

    def run(self, cur: sqlite3.Cursor) -> Any:
        raise NotImplementedError


class _AtomicJob(_Job):
    savepoint = True

    def __init__(self, fut: asyncio.Future[Any], op: Callable[[Tx], Awaitable[Any]]) -> None:
        super().__init__(fut)
        self.op = op

    def run(self, cur: sqlite3.Cursor) -> Any:
        tx = _DirectTx(cur)
        try:
            return _drive(self.op(tx))
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
    savepoint = True

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


class SqliteDatabase(Database):
    """SQLite with WAL, group commit on one writer thread and snapshot reads on reader threads."""

    dialect = "sqlite"

    def __init__(self, url: str, options: SqliteOptions, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.url_for_display = mask_url(url)
        self._opts = options
        self._loop = loop
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self._writer_ident = -1
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._serving = False
        self._thread = threading.Thread(
            target=self._writer_main, name="ruche-sqlite-writer", daemon=True
        )
        self._readers: concurrent.futures.ThreadPoolExecutor | None = None
        self._idle_readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._reader_conns: list[sqlite3.Connection] = []
        self._inflight: set[asyncio.Future[Any]] = set()
        self.batches = 0  # group commits done; for tests and benchmarks

    @classmethod
    async def open(cls, url: str) -> SqliteDatabase:
        """Start the writer (which sets WAL and creates core tables), then the readers."""
        options = parse_sqlite_url(url)
        if not options.memory:  # absolute, so a later chdir cannot split writer and readers
            options = options._replace(path=_ensure_parent(options.path))
        db = cls(url, options, asyncio.get_running_loop())
        db._thread.start()
        try:
            await asyncio.wrap_future(db._ready)
            if not options.memory:
                for _ in range(READERS):
                    conn = db._connect(writer=False)
                    db._reader_conns.append(conn)
                    db._idle_readers.put(conn)
                db._readers = concurrent.futures.ThreadPoolExecutor(
                    READERS, thread_name_prefix="ruche-sqlite-reader"
                )
        except BaseException:
            await db.close()
            raise
        return db

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        """A connection with our pragmas; readers are query_only so a stray write fails loudly."""
        opts = self._opts
        try:
            conn = sqlite3.connect(
                opts.path, isolation_level=None, check_same_thread=writer, cached_statements=512
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {opts.busy_timeout_ms}")
            if writer:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if not opts.memory and str(mode).lower() != "wal":
                    raise StorageError(f"{opts.path}: cannot use WAL journal mode (got {mode})")
                conn.execute(f"PRAGMA synchronous = {opts.synchronous}")
                conn.execute("PRAGMA foreign_keys = ON")
            else:
                conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {opts.path}: {exc}") from exc
        return conn

    # --- the writer thread ------------------------------------------------------------------
    def _writer_main(self) -> None:
        """Owns the write connection: batches jobs, serves exclusive transactions, closes."""
        self._writer_ident = threading.get_ident()
        try:
            conn = self._connect(writer=True)
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            for ddl in CORE_DDL:
                cur.execute(ddl)
            cur.execute("COMMIT")
        except BaseException as exc:
            self._ready.set_exception(_chained(exc))
            return
        self._serving = True
        self._ready.set_result(None)
        carry: _Job | None = None
        while True:
            job = carry if carry is not None else self._queue.get()
            try:
                carry = self._step(conn, cur, job)
            except Exception:  # a bug here must not strand every later caller
                log.exception("sqlite writer: unexpected error")
                carry = None
            if isinstance(carry, _CloseJob):
                self._shutdown(conn, carry)
                return

    def _step(self, conn: sqlite3.Connection, cur: sqlite3.Cursor, job: _Job) -> _Job | None:
        """Run one group commit starting at `job`; returns the job that ended it, if pending."""
        batch: list[_Job] = []
        nxt: _Job | None = job
        while nxt is not None and nxt.batchable:
            batch.append(nxt)
            nxt = None
            if len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    pass
        if batch:
            self._run_batch(conn, cur, batch)
        if isinstance(nxt, _ExclusiveJob):
            self._serve_exclusive(conn, cur, nxt)
        elif isinstance(nxt, _CallJob):
            self._run_call(conn, nxt)
        else:
            return nxt  # None or a close request
        return None

    def _deliver(self, results: list[_Result]) -> None:
        """One wake-up of the event loop for a whole batch of results."""
        if results:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
                self._loop.call_soon_threadsafe(_resolve, results)

    def _run_batch(self, conn: sqlite3.Connection, cur: sqlite3.Cursor, batch: list[_Job]) -> None:
        """Group commit: each job in its savepoint, one COMMIT, then every caller is told.

        Deferred constraints (DEFERRABLE INITIALLY DEFERRED foreign keys) are only checked at
        COMMIT, so if COMMIT refuses the batch, each op is re-run alone to fail only the guilty
        one; any other COMMIT failure fails every op of the batch."""
        jobs = [job for job in batch if not job.fut.cancelled()]
        if not jobs:
            return
        done: list[_Result] = []
        ok: list[tuple[_Job, Any]] = []
        try:
            cur.execute("BEGIN IMMEDIATE")
            for job in jobs:
                if job.savepoint:
                    cur.execute("SAVEPOINT ruche_op")
                try:
                    value = job.run(cur)
                except BaseException as exc:
                    done.append((job.fut, _as_exception(exc), None))
                    if not conn.in_transaction:  # SQLite rolled back everything (disk full…)
                        lost = StorageError(f"transaction rolled back by SQLite: {exc}")
                        done.extend((j.fut, lost, None) for j, _ in ok)
                        ok.clear()
                        cur.execute("BEGIN IMMEDIATE")
                    elif job.savepoint:
                        cur.execute("ROLLBACK TO ruche_op")
                        cur.execute("RELEASE ruche_op")
                    continue
                if job.savepoint:
                    cur.execute("RELEASE ruche_op")
                ok.append((job, value))
            try:
                cur.execute("COMMIT")
            except sqlite3.IntegrityError:
                if len(jobs) == 1:
                    raise
                cur.execute("ROLLBACK")
                isolate = True  # a deferred constraint failed: only its op must fail
            else:
                isolate = False
                self.batches += 1
                done.extend((job.fut, None, value) for job, value in ok)
        except BaseException as exc:  # BEGIN, SAVEPOINT or COMMIT failed: nothing committed
            err = _chained(exc)
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    cur.execute("ROLLBACK")
            failed = {id(fut) for fut, _, _ in done}
            done.extend((job.fut, err, None) for job in jobs if id(job.fut) not in failed)
            isolate = False
        if isolate:
            for job in jobs:  # re-run each op in its own transaction, first results discarded
                self._run_batch(conn, cur, [job])
            return
        self._deliver(done)

    def _serve_exclusive(
        self, conn: sqlite3.Connection, cur: sqlite3.Cursor, job: _ExclusiveJob
    ) -> None:
        """Serve one transaction()'s statements, and nothing else, until it ends."""
        if job.fut.cancelled():
            return
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._deliver([(job.fut, _error(exc), None)])
            return
        self._deliver([(job.fut, None, None)])
        while True:
            fn, fut = job.inbox.get()
            if fn in (_COMMIT, _ROLLBACK):
                result: _Result | None = None
                try:
                    if conn.in_transaction:
                        cur.execute(fn)
                    elif fn == _COMMIT:
                        raise StorageError("transaction was rolled back by SQLite")
                except BaseException as exc:
                    with contextlib.suppress(sqlite3.Error):
                        if conn.in_transaction:
                            cur.execute("ROLLBACK")
                    result = (fut, _chained(exc), None)
                if fut is not None:
                    self._deliver([result or (fut, None, None)])
                return
            try:
                value = fn(cur)
            except BaseException as exc:
                self._deliver([(fut, _as_exception(exc), None)])
            else:
                self._deliver([(fut, None, value)])

    def _run_call(self, conn: sqlite3.Connection, job: _CallJob) -> None:
        try:
            value = job.fn(conn)
        except BaseException as exc:
            self._deliver([(job.fut, _as_exception(exc), None)])
        else:
            self._deliver([(job.fut, None, value)])

    def _shutdown(self, conn: sqlite3.Connection, job: _CloseJob) -> None:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA optimize")
        conn.close()
        self._deliver([(job.fut, None, None)])

    # --- the event-loop side ------------------------------------------------------------------
    def _submit(self, job: _Job) -> asyncio.Future[Any]:
        """Queue a job for the writer; refuses calls that could only deadlock."""
        if self._closed:
            raise StorageError("database is closed")
        if threading.get_ident() == self._writer_ident:
            raise StorageError("inside atomic(), use the op's tx, not db")
        self._check_not_in_own_transaction()
        self._queue.put(job)
        return job.fut

    async def atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `op(tx)` on the writer thread in the next group commit; returns after COMMIT."""
        return cast(T, await self._submit(_AtomicJob(self._loop.create_future(), op)))

    async def execute(self, sql: str, *args: Any) -> int:
        if sql.lstrip()[:6].upper() == "VACUUM":  # cannot run inside a transaction
            fut = self._submit(_CallJob(self._loop.create_future(), lambda c: _vacuum(c, sql)))
            return cast(int, await fut)
        return cast(
            int, await self._submit(_StatementJob(self._loop.create_future(), sql, args, False))
        )

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._submit(_ManyJob(self._loop.create_future(), sql, list(rows)))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Reads go to a reader thread; writes (INSERT … RETURNING) and ":memory:" to the writer."""
        if self._readers is None or not prepare_sqlite(sql)[1]:
            fut = self._submit(_StatementJob(self._loop.create_future(), sql, args, True))
            return cast("list[Row]", await fut)
        return cast("list[Row]", await self._on_reader(_fetch_with, sql, args))

    async def _on_reader(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._closed or self._readers is None:
            raise StorageError("database is closed")
        if threading.get_ident() == self._writer_ident:
            raise StorageError("inside atomic(), use the op's tx, not db")
        self._check_not_in_own_transaction()  # harmless here, but deadlocks on PostgreSQL
        fut = self._loop.run_in_executor(self._readers, fn, self._idle_readers, *args)
        self._inflight.add(fut)
        fut.add_done_callback(self._inflight.discard)
        return await fut

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Exclusive: waits for the current batch, then owns the writer until it exits."""
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        started = self._submit(_ExclusiveJob(self._loop.create_future(), inbox))
        try:
            await started
        except BaseException:
            inbox.put((_ROLLBACK, None))  # the writer may already have begun: release it
            raise
        tx = _ExclusiveTx(self, inbox)
        guard = ExclusiveGuard(self)
        token = self._enter_exclusive(guard)
        end = _COMMIT
        try:
            yield tx
        except BaseException:
            end = _ROLLBACK
            raise
        finally:
            tx._open = False
            self._exit_exclusive(guard, token)
            finished = self._loop.create_future()
            inbox.put((end, finished))
            await finished

    async def backup(self, path: str | os.PathLike[str]) -> None:
        """Online backup API into `path` (written to a temp file, then renamed)."""
        target = os.fspath(path)
        if self._readers is None:
            await self._submit(_CallJob(self._loop.create_future(), lambda c: _backup(c, target)))
        else:
            await self._on_reader(_backup_with, target)

    async def close(self) -> None:
        """Let queued writes commit, stop the writer, then the readers; idempotent."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self._closed = True
        if self._serving:
            fut = self._loop.create_future()
            self._queue.put(_CloseJob(fut))
            await fut
        if self._thread.ident is not None:
            self._thread.join()
        if self._inflight:
            await asyncio.wait(list(self._inflight))
        if self._readers is not None:
            self._readers.shutdown(wait=True)
        for conn in self._reader_conns:
            conn.close()


def _vacuum(conn: sqlite3.Connection, sql: str) -> int:
    """VACUUM on the writer, between group commits."""
    try:
        conn.execute(sql)
    except sqlite3.Error as exc:
        raise _error(exc) from exc
    return 0


def _ensure_parent(path: str) -> str:
    """Create the database's folder, so `sqlite:///data/ruche.sqlite3` works on a fresh tree."""
    absolute = os.path.abspath(path)
    os.makedirs(os.path.dirname(absolute), exist_ok=True)
    return absolute


def _fetch_with(
    pool: queue.SimpleQueue[sqlite3.Connection], sql: str, args: Sequence[Any]
) -> list[Row]:
    """On a reader thread: borrow a read connection and run one query."""
    conn = pool.get()
    try:
        cur = conn.cursor()
        try:
            return _fetch(cur, sql, args)
        finally:
            cur.close()
    finally:
        pool.put(conn)


def _backup_with(pool: queue.SimpleQueue[sqlite3.Connection], path: str) -> None:
    conn = pool.get()
    try:
        _backup(conn, path)
    finally:
        pool.put(conn)


def _backup(conn: sqlite3.Connection, path: str) -> None:
    """Copy in one step (a consistent snapshot) to a self-contained rollback-journal file."""
    tmp = f"{path}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.remove(tmp)
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
        os.replace(tmp, path)
    except sqlite3.Error as exc:
        raise StorageError(f"backup to {path} failed: {exc}") from exc
