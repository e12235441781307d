"""Durable ledger writes: Ruche's group-committing SQLite writer against plain sqlite3.

Run: python benchmarks/ledger_write.py [--seconds 3] [--concurrency 100] [--dir DIR]

One transfer = guarded debit UPDATE (rowcount checked) + credit UPDATE + INSERT into a ledger
with UNIQUE(reason, ref), on an `accounts` table with CHECK (balance >= 0) — the schema of
/work/shared/PERFORMANCE.md. Each scenario runs in its own subprocess so that peak RSS
(getrusage ru_maxrss) is the scenario's own. Target: Ruche FULL ≥ 2× sqlite3 FULL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ACCOUNTS = 1000
START_BALANCE = 1_000_000
SCHEMA = (
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))",
    "CREATE TABLE transfers (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL,"
    " amount INTEGER NOT NULL, reason TEXT NOT NULL, ref TEXT NOT NULL, UNIQUE (reason, ref))",
)
DEBIT = "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1"
CREDIT = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
INSERT = "INSERT INTO transfers (src, dst, amount, reason, ref) VALUES ($1, $2, $3, 'tip', $4)"
SCENARIOS = {
    "sqlite3-FULL": ("stdlib sqlite3, 1 tx/transfer, sequential", "FULL"),
    "sqlite3-NORMAL": ("stdlib sqlite3, 1 tx/transfer, sequential", "NORMAL"),
    "ruche-FULL": ("Ruche db.atomic, {c} coroutines", "FULL"),
    "ruche-NORMAL": ("Ruche db.atomic, {c} coroutines", "NORMAL"),
}


class Insufficient(Exception):
    """The guarded debit matched no row."""


def random_transfer(rng: random.Random) -> tuple[int, int, int]:
    """Two distinct accounts and a small amount."""
    src = rng.randrange(ACCOUNTS)
    dst = (src + rng.randrange(1, ACCOUNTS)) % ACCOUNTS
    return src, dst, rng.randint(1, 10)


def run_stdlib(path: str, synchronous: str, seconds: float, _concurrency: int) -> dict[str, Any]:
    """Baseline: one BEGIN IMMEDIATE … COMMIT per transfer on the event loop's own thread."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    for ddl in SCHEMA:
        conn.execute(ddl)
    conn.executemany(
        "INSERT INTO accounts (id, balance) VALUES (?, ?)",
        [(i, START_BALANCE) for i in range(ACCOUNTS)],
    )
    debit, credit, insert = (s.replace("$", "?") for s in (DEBIT, CREDIT, INSERT))
    rng = random.Random(1)
    latencies: list[float] = []
    done = ref = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        src, dst, amount = random_transfer(rng)
        ref += 1
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute(debit, (amount, src)).rowcount != 1:
            conn.execute("ROLLBACK")
            continue
        conn.execute(credit, (amount, dst))
        conn.execute(insert, (src, dst, amount, str(ref)))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t0)
        done += 1
    elapsed = time.perf_counter() - start
    check(
        conn.execute(
            "SELECT sum(balance), (SELECT count(*) FROM transfers) FROM accounts"
        ).fetchone(),
        done,
    )
    conn.close()
    return {"done": done, "elapsed": elapsed, "latencies": latencies}


def run_ruche(path: str, synchronous: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """Ruche: `concurrency` coroutines each awaiting db.atomic(transfer) in a loop."""
    sys.path.insert(0, str(REPO))
    from bot.storage import Tx, open_database

    def transfer(src: int, dst: int, amount: int, ref: str):  # type: ignore[no-untyped-def]
        async def op(tx: Tx) -> None:
            if await tx.execute(DEBIT, amount, src) != 1:
                raise Insufficient
            await tx.execute(CREDIT, amount, dst)
            await tx.execute(INSERT, src, dst, amount, ref)

        return op

    async def main() -> dict[str, Any]:
        db = await open_database(f"sqlite:///{path}?synchronous={synchronous}")
        for ddl in SCHEMA:
            await db.execute(ddl)
        await db.executemany(
            "INSERT INTO accounts (id, balance) VALUES ($1, $2)",
            [(i, START_BALANCE) for i in range(ACCOUNTS)],
        )
        latencies: list[float] = []
        counter = iter(range(1, 1 << 62))
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                src, dst, amount = random_transfer(rng)
                t0 = time.perf_counter()
                try:
                    await db.atomic(transfer(src, dst, amount, str(next(counter))))
                except Insufficient:
                    continue
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
        row = await db.fetchrow(
            "SELECT sum(balance), (SELECT count(*) FROM transfers) FROM accounts"
        )
        batches = getattr(db, "batches", 0)
        await db.close()
        assert row is not None
        check((row[0], row[1]), len(latencies))
        return {
            "done": len(latencies),
            "elapsed": elapsed,
            "latencies": latencies,
            "batches": batches,
        }

    return asyncio.run(main())


def check(row: tuple[int, int], done: int) -> None:
    """Money is conserved and every acknowledged transfer is in the ledger."""
    total, transfers = row
    assert total == ACCOUNTS * START_BALANCE, total
    assert transfers == done, (transfers, done)


def run_one(name: str, seconds: float, concurrency: int, folder: str) -> None:
    """Child process: run one scenario on a fresh database and print its numbers as JSON."""
    _, synchronous = SCENARIOS[name]
    path = os.path.join(folder, f"{name}.sqlite3")
    runner = run_ruche if name.startswith("ruche") else run_stdlib
    result = runner(path, synchronous, seconds, concurrency)
    lat = sorted(result.pop("latencies"))
    result["p50_ms"] = statistics.median(lat) * 1000 if lat else float("nan")
    result["p99_ms"] = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan")
    result["rate"] = result["done"] / result["elapsed"]
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def filesystem_type(path: str) -> str:
    """The fstype holding `path`: on tmpfs fsync is free and FULL means nothing."""
    best, kind = "", "?"
    with open("/proc/mounts") as mounts:
        for line in mounts:
            _, mount, fstype, *_ = line.split()
            if path.startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--dir", default=None, help="where the databases go (a real disk)")
    parser.add_argument("--run", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.seconds, args.concurrency, args.dir)
        return

    with tempfile.TemporaryDirectory(prefix="ruche-bench-", dir=args.dir) as folder:
        fs = filesystem_type(os.path.realpath(folder))
        print(f"databases in {folder} ({fs}); {args.seconds:g} s per scenario")
        if fs in ("tmpfs", "ramfs"):
            print("warning: fsync costs nothing on tmpfs; use --dir on a real disk")
        results: dict[str, dict[str, Any]] = {}
        for name in SCENARIOS:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run",
                    name,
                    "--seconds",
                    str(args.seconds),
                    "--concurrency",
                    str(args.concurrency),
                    "--dir",
                    folder,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[name] = json.loads(out.strip().splitlines()[-1])

    header = f"{'scenario':<16} {'how':<42} {'transfers/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for name, (how, _) in SCENARIOS.items():
        r = results[name]
        print(
            f"{name:<16} {how.format(c=args.concurrency):<42} {r['rate']:>12,.0f}"
            f" {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['rss_mb']:>12.1f}"
        )
    ratio = results["ruche-FULL"]["rate"] / results["sqlite3-FULL"]["rate"]
    per_commit = results["ruche-FULL"]["done"] / max(1, results["ruche-FULL"].get("batches", 1))
    verdict = "meets" if ratio >= 2 else "MISSES"
    print(
        f"\nRuche FULL / sqlite3 FULL = {ratio:.1f}x ({verdict} the >= 2x target);"
        f" {per_commit:.0f} transfers per COMMIT on average"
    )


if __name__ == "__main__":
    main()
