"""SQLite backend: one writer thread doing group commit, reader threads for snapshot reads.

What costs is the hop between the event loop and a database thread (see PERFORMANCE.md), so
writes are queued to a single writer thread that takes up to 100 pending operations, runs them
in one `BEGIN IMMEDIATE … COMMIT`, and only then wakes the callers: one hop per batch, one fsync
per batch. `atomic(op)` ops run *on* the writer thread: `op` is a coroutine driven with
`send(None)` whose `tx` methods are plain synchronous sqlite3 calls, so an op must await nothing
but its `tx`.

The ops of a batch run back to back, without a SAVEPOINT each (SAVEPOINT + RELEASE cost about
a twentieth of a tip op). An op that raises before it changed anything (SQLite's
`total_changes` did not move and it ran no DDL) simply fails, at no cost to the others. An op
that raises after it wrote is undone by rolling back to the last savepoint — or to the BEGIN
when there is none — and the ops that had succeeded since then run again: so an op may run
more than once and only its last run counts (its value is what the caller gets); anything an
op keeps outside the database it resets first (COMMIT-time constraint failures already re-ran
ops). How far apart savepoints are follows how often ops failed after writing over the last
~500 ops (`_spacing`): none while they do not, as with tips that are never refused; one every
few ops when refusals are frequent, so that each costs a few re-runs. A batch of one op never
needs one. Either way a failing op changes nothing, the other ops commit, and each caller is
answered only after the COMMIT that made its op durable.

Reads use separate connections (WAL snapshots), one per reader thread, so they never queue
behind writes. ":memory:" uses the writer for all.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import math
import os
import queue
import sqlite3
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from typing import Any, TypeVar, cast

from bot.files import PRIVATE_FILE, private_dir, private_file
from bot.storage.db import (
    CORE_DDL,
    Database,
    ExclusiveGuard,
    Row,
    StorageError,
    Tx,
    mask_url,
    prepare_sqlite,
)
from bot.storage.sqlite_jobs import (
    _COMMIT,
    _ROLLBACK,
    MAX_BATCH,
    READERS,
    SqliteOptions,
    _as_exception,
    _AtomicJob,
    _CallJob,
    _chained,
    _CloseJob,
    _error,
    _ExclusiveJob,
    _ExclusiveTx,
    _fetch,
    _Job,
    _ManyJob,
    _resolve,
    _Result,
    _StatementJob,
    parse_sqlite_url,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
_MEMORY = 500  # ops over which the writer remembers how often ops fail after writing
_KEEP = 1.0 - 1.0 / _MEMORY


class SqliteDatabase(Database):
    """SQLite with WAL, group commit on one writer thread and snapshot reads on reader threads."""

    dialect = "sqlite"
    SAVEPOINT_SHARE = 0.06  # SAVEPOINT + RELEASE per tip op: 0.046 in instructions, ~0.1 in time

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
        self._readers: list[_Reader] | None = None
        self._reads: queue.SimpleQueue[_ReadJob | None] = queue.SimpleQueue()
        self._inflight: set[asyncio.Future[Any]] = set()
        self.batches = 0  # group commits done; for tests and benchmarks
        self._dirty_rate = 0.0  # ops failing after they wrote, per op, over ~_MEMORY ops

    @classmethod
    async def open(cls, url: str) -> SqliteDatabase:
        """Start the writer (which sets WAL and creates core tables), then the readers."""
        options = parse_sqlite_url(url)
        if not options.memory:  # absolute, so a later chdir cannot split writer and readers
            options = options._replace(path=_private_database(options.path))
        db = cls(url, options, asyncio.get_running_loop())
        db._thread.start()
        try:
            await asyncio.wrap_future(db._ready)
            if not options.memory:
                db._readers = []
                for index in range(READERS):
                    db._readers.append(_Reader(db, db._connect(writer=False), index))
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
                mode = _journal_wal(conn, opts.busy_timeout_ms / 1000)
                if not opts.memory and str(mode).lower() != "wal":
                    raise StorageError(f"{opts.path}: cannot use WAL journal mode (got {mode})")
                conn.execute(f"PRAGMA synchronous = {opts.synchronous}")
                conn.execute("PRAGMA foreign_keys = ON")
                # Deleted rows (secret-ballot keys) are zeroed on disk, not left in free pages.
                conn.execute("PRAGMA secure_delete = ON")
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
        """Group commit: the ops in one transaction, one COMMIT, then every caller is told.

        An op that raises without having changed anything (SQLite's `total_changes` did not
        move, nothing uncounted ran) simply fails. One that had written is undone by rolling
        back to the last savepoint (or the BEGIN), and the ops that had succeeded since then
        run again. Savepoints are placed every `_spacing()` ops, from how often ops failed
        after writing lately: none while they do not, one per op when they often do.
        Deferred constraints (DEFERRABLE INITIALLY DEFERRED foreign keys) are only checked at
        COMMIT, so if COMMIT refuses the batch, each op is re-run alone to fail only the guilty
        one; any other COMMIT failure fails every op of the batch."""
        jobs = [job for job in batch if not job.fut.cancelled()]
        if not jobs:
            return
        size = len(jobs)
        spacing = self._spacing(size)
        done: list[_Result] = []  # failed ops, then the committed ones after COMMIT
        ok: list[tuple[_Job, Any]] = []
        dirty = 0
        isolate = False
        try:
            cur.execute("BEGIN IMMEDIATE")
            pending = collections.deque(jobs)
            since = 0  # the last `since` ops of `ok` ran after the savepoint (or the BEGIN)
            marked = False  # whether a savepoint is open
            while pending:
                job = pending.popleft()
                if since >= spacing:
                    if marked:
                        cur.execute("RELEASE ruche_op")
                    cur.execute("SAVEPOINT ruche_op")
                    marked, since = True, 0
                before = conn.total_changes
                try:
                    value = job.run(cur)
                except BaseException as exc:
                    done.append((job.fut, _as_exception(exc), None))
                    if not conn.in_transaction:  # SQLite rolled back everything (disk full…)
                        lost = StorageError(f"transaction rolled back by SQLite: {exc}")
                        done.extend((j.fut, lost, None) for j, _ in ok)
                        ok.clear()
                        cur.execute("BEGIN IMMEDIATE")
                        marked, since = False, 0
                    elif job.uncounted or conn.total_changes != before:
                        dirty += 1  # it wrote: undo back to the savepoint, redo the ops since
                        if marked:
                            cur.execute("ROLLBACK TO ruche_op")
                        else:
                            cur.execute("ROLLBACK")
                            cur.execute("BEGIN IMMEDIATE")
                        if since:
                            pending.extendleft(j for j, _ in reversed(ok[-since:]))
                            del ok[-since:]
                            since = 0
                        spacing = math.isqrt(spacing)  # a burst: savepoints closer together
                    continue
                ok.append((job, value))
                since += 1
            try:
                cur.execute("COMMIT")
            except sqlite3.IntegrityError:
                if size == 1:
                    raise
                cur.execute("ROLLBACK")
                isolate = True  # a deferred constraint failed: only its op must fail
            else:
                self.batches += 1
                done.extend((job.fut, None, value) for job, value in ok)
        except BaseException as exc:  # BEGIN, SAVEPOINT or COMMIT failed: nothing committed
            err = _chained(exc)
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    cur.execute("ROLLBACK")
            failed = {id(fut) for fut, _, _ in done}
            done.extend((job.fut, err, None) for job in jobs if id(job.fut) not in failed)
        self._learn(size, dirty)
        if isolate:
            for job in jobs:  # re-run each op in its own transaction, first results discarded
                self._run_batch(conn, cur, [job])
            return
        self._deliver(done)

    def _spacing(self, size: int) -> int:
        """Ops per savepoint for a batch of `size`: what minimizes savepoints plus re-runs.

        With ops failing after writing at rate p, a savepoint every m ops costs
        SAVEPOINT_SHARE / m of an op, and the failures re-run p * m / 2 ops each: the sum is
        least at m = sqrt(2 * SAVEPOINT_SHARE / p). No failures lately: no savepoints."""
        rate = self._dirty_rate
        if rate * size * size <= 2 * self.SAVEPOINT_SHARE:
            return size
        return max(1, int(math.sqrt(2 * self.SAVEPOINT_SHARE / rate)))

    def _learn(self, size: int, dirty: int) -> None:
        """Fold one batch into the moving rate of ops failing after they wrote."""
        keep = _KEEP**size
        self._dirty_rate = self._dirty_rate * keep + (1.0 - keep) * dirty / size

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
        """Run `op(tx)` on the writer thread in the next group commit; returns after COMMIT.

        The first write of a platform event also inserts the event's de-dup mark in `op`'s
        transaction (db.EventMark)."""
        mark = self._claimable()
        if mark is not None:
            job = _AtomicJob(self._loop.create_future(), mark.wrap(op))
            return cast(T, await self._carrying(mark, self._submit(job)))
        return cast(T, await self._submit(_AtomicJob(self._loop.create_future(), op)))

    async def execute(self, sql: str, *args: Any) -> int:
        if sql.lstrip()[:6].upper() == "VACUUM":  # cannot run inside a transaction
            fut = self._submit(_CallJob(self._loop.create_future(), lambda c: _vacuum(c, sql)))
            return cast(int, await fut)
        if self._claimable() is not None:
            return await self.atomic(lambda tx: tx.execute(sql, *args))
        return cast(
            int, await self._submit(_StatementJob(self._loop.create_future(), sql, args, False))
        )

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if self._claimable() is not None:
            await self.atomic(lambda tx: tx.executemany(sql, batch))
            return
        await self._submit(_ManyJob(self._loop.create_future(), sql, batch))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Reads go to a reader thread; writes (INSERT … RETURNING) and ":memory:" to the writer."""
        if self._readers is None or not prepare_sqlite(sql)[1]:
            if not prepare_sqlite(sql)[1] and self._claimable() is not None:
                return await self.atomic(lambda tx: tx.fetch(sql, *args))
            fut = self._submit(_StatementJob(self._loop.create_future(), sql, args, True))
            return cast("list[Row]", await fut)
        return cast("list[Row]", await self._on_reader(_fetch_on, sql, args))

    async def _on_reader(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(conn, *args)` on the first free reader thread: one hop there, one back."""
        if self._closed or self._readers is None:
            raise StorageError("database is closed")
        if threading.get_ident() == self._writer_ident:
            raise StorageError("inside atomic(), use the op's tx, not db")
        self._check_not_in_own_transaction()  # harmless here, but deadlocks on PostgreSQL
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._inflight.add(fut)
        fut.add_done_callback(self._inflight.discard)
        self._reads.put((fut, fn, args))
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
        mark = self._claimable()
        end = _COMMIT
        try:
            if mark is not None:  # the event's de-dup mark commits with this transaction
                mark.claiming = True
                await mark.insert(tx)
            yield tx
        except BaseException:
            end = _ROLLBACK
            raise
        finally:
            tx._open = False
            self._exit_exclusive(guard, token)
            finished = self._loop.create_future()
            inbox.put((end, finished))
            try:
                await finished
            finally:
                if mark is not None:
                    mark.claiming = False
            if mark is not None and end == _COMMIT:
                mark.written = True

    async def backup(self, path: str | os.PathLike[str]) -> None:
        """Online backup API into `path` (written to a temp file, then renamed)."""
        target = os.fspath(path)
        if self._readers is None:
            await self._submit(_CallJob(self._loop.create_future(), lambda c: _backup(c, target)))
        else:
            await self._on_reader(_backup, target)

    async def close(self) -> None:
        """Let queued writes commit, stop the writer, then the readers; idempotent."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        if self._serving:
            await self._settle_marks()
        self._closed = True
        if self._serving:
            fut = self._loop.create_future()
            self._queue.put(_CloseJob(fut))
            await fut
        if self._thread.ident is not None:
            self._thread.join()
        for _reader in self._readers or ():
            self._reads.put(None)  # one per thread, after every read already queued
        for reader in self._readers or ():
            reader.thread.join()
        if self._inflight:
            await asyncio.wait(list(self._inflight))
        for reader in self._readers or ():
            reader.conn.close()


def _journal_wal(conn: sqlite3.Connection, patience: float) -> str:
    """Switch to WAL, retrying while another connection holds the file: SQLite answers that
    switch "database is locked" at once, without its busy handler, when several processes or
    pools open a new database together."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _vacuum(conn: sqlite3.Connection, sql: str) -> int:
    """VACUUM on the writer, between group commits."""
    try:
        conn.execute(sql)
    except sqlite3.Error as exc:
        raise _error(exc) from exc
    return 0


def _private_database(path: str) -> str:
    """Create the database's folder (0700) and file (0600) before SQLite opens it.

    SQLite gives its -wal, -shm and -journal files the database file's mode, so the ledger
    stays owner-only whatever the umask, even when Ruche is used as a library. Folders that
    already exist are left alone (they may be /tmp or the operator's own)."""
    absolute = os.path.abspath(path)
    private_dir(os.path.dirname(absolute))
    # Failures here are not ours to report: SQLite then says why it cannot open the file.
    with contextlib.suppress(OSError):
        if not os.path.exists(absolute):
            private_file(absolute)
    for made in (absolute, f"{absolute}-wal", f"{absolute}-shm", f"{absolute}-journal"):
        with contextlib.suppress(OSError):  # left by an older release or another tool
            os.chmod(made, PRIVATE_FILE)
    return absolute


class _Reader:
    """A thread with its own read connection, taking reads from the queue all readers share.

    A shared queue means a slow read never holds up quick ones while another reader is free.
    A thread pool (`run_in_executor`) did the same but costs a concurrent Future, its lock
    and a second callback per read; here a read is one queue put and one
    `call_soon_threadsafe` (benchmarks/sqlite_reads.py, docs/architecture.md)."""

    def __init__(self, db: SqliteDatabase, conn: sqlite3.Connection, index: int) -> None:
        self.conn = conn
        self.thread = threading.Thread(target=self._main, args=(db,),
                                       name=f"ruche-sqlite-reader-{index}", daemon=True)
        self.thread.start()

    def _main(self, db: SqliteDatabase) -> None:
        """Run reads until a close request; each result goes back at once."""
        while (job := db._reads.get()) is not None:
            fut, fn, args = job
            try:
                value = fn(self.conn, *args)
            except BaseException as exc:
                db._deliver([(fut, _as_exception(exc), None)])
            else:
                db._deliver([(fut, None, value)])


_ReadJob = tuple["asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _fetch_on(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Row]:
    """On a reader thread: run one query on its connection."""
    cur = conn.cursor()
    try:
        return _fetch(cur, sql, args)
    finally:
        cur.close()


def _backup(conn: sqlite3.Connection, path: str) -> None:
    """Copy in one step (a consistent snapshot) to a self-contained rollback-journal file."""
    tmp = f"{path}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.remove(tmp)
    try:
        private_file(tmp)  # 0600 from the start; the rename keeps the mode
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
        os.replace(tmp, path)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"backup to {path} failed: {exc}") from exc
