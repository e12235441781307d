"""Same-run ledger-write ceilings that Ruche's targets are ratios of, from the project's
performance-ceilings script, so the repository reproduces them alone.

A: stdlib sqlite3, one transaction per transfer (BEGIN IMMEDIATE … COMMIT), WAL, sequential.
C(3): group commit where the whole batch runs in ONE call on a dedicated stdlib-sqlite3 writer
thread (`run_in_executor`): 100 coroutines submit transfers to a queue, one writer task drains
≤ 100 of them per transaction, a SAVEPOINT per transfer, every caller answered after the COMMIT.
A transfer = guarded debit of src (balance >= amount), credit dst, insert a transfer row with
UNIQUE(reason, ref); 1,000 accounts of 1,000,000; random src != dst; amount 1..100; a fresh
database per run, time-bounded after a 200-transfer warm-up. The SQL, the workload and the loops
are the original's; what is added is the CPU spent per transfer, per thread.
Usage: python benchmarks/ceilings.py [--seconds 3] [--runs 3] [--sync FULL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import pct, table

N_ACCOUNTS = 1000
START_BALANCE = 1_000_000
WARMUP = 200

SCHEMA = """
CREATE TABLE accounts(
    id INTEGER PRIMARY KEY,
    balance INTEGER NOT NULL CHECK(balance >= 0)
);
CREATE TABLE transfers(
    id INTEGER PRIMARY KEY,
    src INTEGER,
    dst INTEGER,
    amount INTEGER NOT NULL CHECK(amount > 0),
    reason TEXT,
    ref TEXT,
    created_at REAL,
    UNIQUE(reason, ref)
);
"""

DEBIT = "UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?"
CREDIT = "UPDATE accounts SET balance = balance + ? WHERE id = ?"
INSERT = ("INSERT INTO transfers(src, dst, amount, reason, ref, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?)")

Transfer = tuple[int, int, int, str, str]


@dataclass
class Ceiling:
    """One measured run of a ceiling: throughput, latencies and CPU per transfer by thread."""

    tps: float
    latencies_ms: list[float]
    cpu_loop_us: float  # the calling (event-loop) thread, per transfer
    cpu_writer_us: float  # the writer thread (0 for section A: it has none)
    mean_batch: float | None = None

    @property
    def cpu_us(self) -> float:
        return self.cpu_loop_us + self.cpu_writer_us


class PairGen:
    """Random transfers, seeded so every run of a section sees the same sequence."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.i = 0
        self.tag = seed

    def next(self) -> Transfer:
        r = self.rnd
        src = r.randint(1, N_ACCOUNTS)
        dst = r.randint(1, N_ACCOUNTS - 1)
        if dst >= src:
            dst += 1
        self.i += 1
        return src, dst, r.randint(1, 100), "bench", f"{self.tag}-{self.i}"


def remove_db(path: str) -> None:
    """Each measured run starts from a fresh file (and its WAL)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def fresh_db_path(workdir: str, name: str) -> str:
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, name + ".db")
    remove_db(path)
    return path


def init_sqlite(path: str) -> None:
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.executescript(SCHEMA)
    c.execute("BEGIN")
    c.executemany("INSERT INTO accounts(id, balance) VALUES (?, ?)",
                  [(i, START_BALANCE) for i in range(1, N_ACCOUNTS + 1)])
    c.execute("COMMIT")
    c.close()


def sqlite_pragmas(sync: str) -> list[str]:
    return ["PRAGMA journal_mode=WAL", f"PRAGMA synchronous={sync}"]


def thread_clock(ident: int) -> int | None:
    """The CPU clock of one thread (Linux), so the cost can be split per thread."""
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return None


# ------------------------------------------------------------------------------ A: stdlib sqlite3

def transfer_sync(c: sqlite3.Connection, src: int, dst: int, amt: int, reason: str,
                  ref: str) -> bool:
    c.execute("BEGIN IMMEDIATE")
    try:
        if c.execute(DEBIT, (amt, src, amt)).rowcount != 1:
            c.execute("ROLLBACK")
            return False
        c.execute(CREDIT, (amt, dst))
        c.execute(INSERT, (src, dst, amt, reason, ref, time.time()))
        c.execute("COMMIT")
        return True
    except BaseException:
        c.execute("ROLLBACK")
        raise


def bench_a_once(workdir: str, sync: str, seconds: float, seed: int) -> Ceiling:
    """Section A: one transaction per transfer, sequential, on the calling thread."""
    path = fresh_db_path(workdir, "a")
    init_sqlite(path)
    c = sqlite3.connect(path, isolation_level=None)
    for p in sqlite_pragmas(sync):
        c.execute(p)
    g = PairGen(seed)
    for _ in range(WARMUP):
        transfer_sync(c, *g.next())
    n = 0
    cpu0 = time.thread_time()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        transfer_sync(c, *g.next())
        n += 1
        if (n & 63) == 0 and time.perf_counter() >= deadline:
            break
    el = time.perf_counter() - t0
    cpu = time.thread_time() - cpu0
    c.close()
    remove_db(path)
    return Ceiling(n / el, [], cpu / n * 1e6, 0.0)


# ------------------------------------------------------------- C(3): group commit in the thread

async def run_closed_loop(submit: Any, concurrency: int, seconds: float,
                          seed: int) -> tuple[float, list[float]]:
    """`concurrency` coroutines each loop: submit(transfer) until deadline. (tps, latencies ms)."""
    g = PairGen(seed)
    await asyncio.gather(*(submit(*g.next()) for _ in range(WARMUP)))  # warm-up
    lat: list[float] = []
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def worker() -> None:
        pc = time.perf_counter
        while pc() < deadline:
            s = pc()
            await submit(*g.next())
            lat.append((pc() - s) * 1000.0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    el = time.perf_counter() - t0
    return len(lat) / el, lat


async def bench_c_thread_batch_once(workdir: str, sync: str, seconds: float, seed: int,
                                    concurrency: int = 100, max_batch: int = 100) -> Ceiling:
    """Group commit with the whole batch executed in ONE call on a dedicated writer thread."""
    path = fresh_db_path(workdir, "c3")
    init_sqlite(path)
    ex = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()

    def opener() -> sqlite3.Connection:
        c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for p in sqlite_pragmas(sync):
            c.execute(p)
        return c

    c = await loop.run_in_executor(ex, opener)
    writer_clock = thread_clock(await loop.run_in_executor(ex, threading.get_ident))

    def run_batch(items: list[Transfer]) -> list[tuple[bool | None, Exception | None]]:
        out: list[tuple[bool | None, Exception | None]] = []
        now = time.time()
        c.execute("BEGIN IMMEDIATE")
        try:
            for (src, dst, amt, reason, ref) in items:
                c.execute("SAVEPOINT t")
                try:
                    if c.execute(DEBIT, (amt, src, amt)).rowcount != 1:
                        c.execute("ROLLBACK TO t")
                        c.execute("RELEASE t")
                        out.append((False, None))
                        continue
                    c.execute(CREDIT, (amt, dst))
                    c.execute(INSERT, (src, dst, amt, reason, ref, now))
                    c.execute("RELEASE t")
                    out.append((True, None))
                except sqlite3.Error as e:
                    c.execute("ROLLBACK TO t")
                    c.execute("RELEASE t")
                    out.append((None, e))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return out

    q: asyncio.Queue[Any] = asyncio.Queue()
    batches: list[int] = []

    async def writer() -> None:
        while True:
            first = await q.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < max_batch and not q.empty():
                batch.append(q.get_nowait())
            stop = batch[-1] is None
            if stop:
                batch.pop()
            try:
                res = await loop.run_in_executor(ex, run_batch, [b[:5] for b in batch])
            except BaseException as e:
                for b in batch:
                    b[5].set_exception(e)
                raise
            batches.append(len(batch))
            for b, (ok, err) in zip(batch, res, strict=True):
                if err is None:
                    b[5].set_result(ok)
                else:
                    b[5].set_exception(err)
            if stop:
                return

    wtask = asyncio.create_task(writer())

    async def submit(*t: Any) -> Any:
        fut = loop.create_future()
        q.put_nowait((*t, fut))
        return await fut

    # the warm-up inside run_closed_loop is counted too: a few hundred of several 10,000s
    cpu0 = (time.thread_time(), time.clock_gettime(writer_clock) if writer_clock else 0.0)
    tps, lat = await run_closed_loop(submit, concurrency, seconds, seed)
    cpu1 = (time.thread_time(), time.clock_gettime(writer_clock) if writer_clock else 0.0)
    q.put_nowait(None)
    await wtask
    await loop.run_in_executor(ex, c.close)
    ex.shutdown()
    remove_db(path)
    n = len(lat) + WARMUP
    return Ceiling(tps, lat, (cpu1[0] - cpu0[0]) / n * 1e6, (cpu1[1] - cpu0[1]) / n * 1e6,
                   statistics.mean(batches) if batches else None)


# ------------------------------------------------------------------------------------ summary

@dataclass
class Ceilings:
    """Both ceilings over several runs; medians are what the other benchmarks divide by."""

    a: list[Ceiling]
    c3: list[Ceiling]

    @property
    def a_tps(self) -> float:
        return statistics.median(r.tps for r in self.a)

    @property
    def c3_tps(self) -> float:
        return statistics.median(r.tps for r in self.c3)

    @property
    def c3_cpu_us(self) -> float:
        return statistics.median(r.cpu_us for r in self.c3)


def measure(seconds: float, runs: int, sync: str = "FULL", workdir: str | None = None,
            run_offset: int = 0) -> Ceilings:
    """Run A and C(3) `runs` times each (seeds as in the original: 1000+i and 3200+i)."""
    with tempfile.TemporaryDirectory() as tmp:
        where = workdir or tmp
        a = [bench_a_once(where, sync, seconds, 1000 + run_offset + i) for i in range(runs)]
        c3 = [asyncio.run(bench_c_thread_batch_once(where, sync, seconds, 3200 + run_offset + i))
              for i in range(runs)]
    return Ceilings(a, c3)


def rows(ceilings: Ceilings, sync: str) -> list[list[object]]:
    """Table rows: tps (median of runs and the spread), latency, CPU per transfer by thread."""
    out: list[list[object]] = []
    for label, runs in ((f"A stdlib sqlite3, 1 tx per transfer, sequential, {sync}", ceilings.a),
                        (f"C(3) group commit in the writer thread, 100 coroutines, {sync}",
                         ceilings.c3)):
        tps = [r.tps for r in runs]
        lat = [x for r in runs for x in r.latencies_ms]
        out.append([label, f"{statistics.median(tps):,.0f}", f"{min(tps):,.0f}–{max(tps):,.0f}",
                    f"{pct(lat, .5):.2f}" if lat else "-", f"{pct(lat, .99):.2f}" if lat else "-",
                    f"{statistics.median(r.cpu_loop_us for r in runs):.1f}",
                    f"{statistics.median(r.cpu_writer_us for r in runs):.1f}",
                    f"{statistics.median(r.tps for r in runs) / ceilings.c3_tps:.2f}×"])
    return out


HEADERS = ["ceiling", "transfers/s (median)", "range", "p50 ms", "p99 ms",
           "CPU µs loop", "CPU µs writer", "vs C(3)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sync", default="FULL")
    args = parser.parse_args()
    ceilings = measure(args.seconds, args.runs, args.sync)
    print(table(HEADERS, rows(ceilings, args.sync)))
    print(f"\n{args.runs} runs × {args.seconds:g} s; python {sys.version.split()[0]}; "
          f"SQLite {sqlite3.sqlite_version}; {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
