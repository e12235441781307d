"""Reads: Ruche's reader threads (`SqliteDatabase.fetch`) against aiosqlite, same SQL, same file.

Decides whether the read side should use aiosqlite (the design's choice) instead of the
project's own reader threads. A 100,000-row `accounts` table (100 communities) answers a
balance lookup by primary key and a top-10 leaderboard of one community, from 1 and from 100
concurrent coroutines. Contenders, each on the same WAL database with `sqlite3.Row` rows:

- stdlib sqlite3 called on the event loop itself: no thread hop at all. A bot cannot do this
  (it blocks the loop), so it is the ceiling the other rows are a ratio of;
- Ruche: `db.fetchrow` / `db.fetch` on the reader-thread pool (READERS connections);
- aiosqlite, one connection (one thread), `execute_fetchall` (one hop per query);
- aiosqlite, a pool of READERS connections, so it has as many threads as Ruche;
- READERS sqlite3 connections behind `loop.run_in_executor` on a ThreadPoolExecutor: how
  Ruche read before its reader threads got one queue each (kept to show what that cost).

CPU µs per read is the whole process's CPU time (event loop and database threads) over the
reads done. Usage: python benchmarks/sqlite_reads.py [--rows 100000] [--seconds 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import platform
import queue
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite

from benchmarks._table import pct, rss_mb, table
from bot.storage.sqlite import SqliteDatabase
from bot.storage.sqlite_jobs import READERS

COMMUNITIES = 100
BALANCE = "SELECT balance FROM accounts WHERE id = $1"
LEADERBOARD = ("SELECT id, balance FROM accounts WHERE community = $1"
               " ORDER BY balance DESC LIMIT 10")
Read = Callable[[int], Awaitable[Any]]


def fill(path: Path, rows: int) -> None:
    """`rows` accounts spread over COMMUNITIES, indexed for the leaderboard, in WAL mode."""
    rng = random.Random(42)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, community INTEGER NOT NULL,"
                 " balance INTEGER NOT NULL CHECK (balance >= 0))")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO accounts VALUES (?, ?, ?)",
                     ((i, i % COMMUNITIES, rng.randint(0, 10**6)) for i in range(1, rows + 1)))
    conn.execute("CREATE INDEX accounts_top ON accounts (community, balance DESC)")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def qmark(sql: str) -> str:
    """The same statement with sqlite3's placeholders, for the contenders outside Ruche."""
    return sql.replace("$1", "?")


async def load(read: Read, key: Callable[[random.Random], int], coroutines: int,
               seconds: float) -> tuple[int, list[float], float]:
    """`coroutines` loops reading for `seconds`: reads done, latencies (s), process CPU (s)."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await read(key(rng))
            latencies.append(time.perf_counter() - t0)

    cpu0 = time.process_time()
    await asyncio.gather(*(worker(i) for i in range(coroutines)))
    return len(latencies), latencies, time.process_time() - cpu0


class Contenders:
    """Every way of reading, opened on one database file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw: sqlite3.Connection | None = None
        self.ruche: SqliteDatabase | None = None
        self.aio: list[aiosqlite.Connection] = []
        self.executor = concurrent.futures.ThreadPoolExecutor(READERS)
        self.idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self.pooled: list[sqlite3.Connection] = []

    async def open(self) -> None:
        self.raw = sqlite3.connect(self.path, isolation_level=None)
        self.raw.row_factory = sqlite3.Row
        self.ruche = await SqliteDatabase.open(f"sqlite:///{self.path}")
        for _ in range(READERS):
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            self.aio.append(conn)
            plain = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            plain.row_factory = sqlite3.Row
            self.pooled.append(plain)
            self.idle.put(plain)

    async def close(self) -> None:
        for conn in self.aio:
            await conn.close()
        if self.ruche is not None:
            await self.ruche.close()
        if self.raw is not None:
            self.raw.close()
        self.executor.shutdown()
        for plain in self.pooled:
            plain.close()

    def reads(self, sql: str, one: bool) -> list[tuple[str, Read]]:
        """(name, read) for each contender; `one` keeps the first row like `fetchrow`."""
        assert self.raw is not None and self.ruche is not None
        raw, ruche, bare = self.raw, self.ruche, qmark(sql)
        pool, single, turn = self.aio, self.aio[0], iter(range(1 << 62))

        async def in_loop(arg: int) -> Any:
            rows = raw.execute(bare, (arg,)).fetchall()
            return (rows[0] if rows else None) if one else rows

        async def via_ruche(arg: int) -> Any:
            return await (ruche.fetchrow(sql, arg) if one else ruche.fetch(sql, arg))

        async def aio_one(arg: int) -> Any:
            rows = list(await single.execute_fetchall(bare, (arg,)))
            return (rows[0] if rows else None) if one else rows

        async def aio_pool(arg: int) -> Any:
            conn = pool[next(turn) % len(pool)]  # round robin; each connection queues FIFO
            rows = list(await conn.execute_fetchall(bare, (arg,)))
            return (rows[0] if rows else None) if one else rows

        loop, executor, idle = asyncio.get_running_loop(), self.executor, self.idle

        def borrowed(arg: int) -> list[sqlite3.Row]:
            conn = idle.get()
            try:
                return conn.execute(bare, (arg,)).fetchall()
            finally:
                idle.put(conn)

        async def thread_pool(arg: int) -> Any:
            rows = await loop.run_in_executor(executor, borrowed, arg)
            return (rows[0] if rows else None) if one else rows

        return [("stdlib sqlite3 on the event loop (ceiling)", in_loop),
                (f"Ruche db.{'fetchrow' if one else 'fetch'}, {READERS} reader threads",
                 via_ruche),
                ("aiosqlite, 1 connection", aio_one),
                (f"aiosqlite, pool of {READERS} connections", aio_pool),
                (f"sqlite3 in a {READERS}-thread ThreadPoolExecutor (Ruche's reads before)",
                 thread_pool)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    queries = [
        ("balance by primary key", BALANCE, True,
         lambda rng: rng.randint(1, args.rows)),
        ("top-10 leaderboard of a community", LEADERBOARD, False,
         lambda rng: rng.randrange(COMMUNITIES)),
    ]
    out: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "reads.sqlite3"
        fill(path, args.rows)
        contenders = Contenders(path)
        await contenders.open()
        try:
            for label, sql, one, key in queries:
                for coroutines in (1, 100):
                    results: dict[str, list[tuple[int, list[float], float]]] = {}
                    for _run in range(args.runs):  # interleaved, so drift hits every contender
                        for name, read in contenders.reads(sql, one):
                            await load(read, key, coroutines, 0.2)  # warm caches and threads
                            results.setdefault(name, []).append(
                                await load(read, key, coroutines, args.seconds))
                    rates = {name: statistics.median(n / args.seconds for n, _, _ in runs)
                             for name, runs in results.items()}
                    ceiling = next(iter(rates.values()))
                    aio = rates["aiosqlite, 1 connection"]
                    for name, runs in results.items():
                        latencies = [x for _, lat, _ in runs for x in lat]
                        cpu = statistics.median(c / n * 1e6 for n, _, c in runs)
                        out.append([label, coroutines, name, f"{rates[name]:,.0f}",
                                    f"{pct(latencies, 0.5) * 1e3:.3f}",
                                    f"{pct(latencies, 0.99) * 1e3:.3f}", f"{cpu:.0f}",
                                    f"{rates[name] / ceiling:.2f}×",
                                    f"{rates[name] / aio:.2f}×"])
        finally:
            await contenders.close()
    print(table(["read", "coroutines", "how", "reads/s", "p50 ms", "p99 ms", "CPU µs/read",
                 "vs ceiling", "vs aiosqlite"], out))
    print(f"\n{args.rows:,} rows; {args.runs} runs × {args.seconds:g} s each, medians (latencies "
          f"pooled); {cpu_model()}, {os.cpu_count()} CPUs; peak RSS {rss_mb():.0f} MB; python "
          f"{sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; aiosqlite "
          f"{getattr(aiosqlite, '__version__', '?')}; {time.strftime('%Y-%m-%d')}")


def cpu_model() -> str:
    """The CPU's name, since PERFORMANCE.md compares machines of one kind but several CPUs."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    asyncio.run(main())
