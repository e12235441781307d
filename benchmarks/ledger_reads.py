"""Leaderboard and history latency over a 1,000,000-entry ledger (1,000 members, SQLite).

The ledger is written with the tips plugin's own migrations, then read through Ruche's database
API (`bot.db`: a hop to a reader thread) with the plugin's queries — `store.top_balances`,
`store.top_received` and `store.history`, a UNION ALL of one indexed query per side — next to
the same SQL on a bare sqlite3 connection and the naive `WHERE src = ? OR dst = ?` history.
Usage: python benchmarks/ledger_reads.py [--rows 1000000] [--members 1000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import pct, rss_mb, table
from bot.storage.db import prepare_sqlite
from bot.testing import make_test_bot
from plugins.tips import store
from plugins.tips.periods import calendar

COMMUNITY = "bench"
NOW = time.time()


def fill(path: Path, rows: int, members: int) -> None:
    """`rows` tips between random members (plus their funding), balances kept consistent."""
    rng = random.Random(42)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    cal = calendar(NOW)
    balance = dict.fromkeys(range(1, members + 1), 10**6)
    received = dict.fromkeys(range(1, members + 1), 0)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO tips_entries (community, src, dst, amount, reason, ref, memo, link, at) "
        "VALUES (?, 'mint', ?, ?, 'allowance', ?, '', '', ?)",
        [(COMMUNITY, f"member:{m}", 10**6, f"seed:{m}", NOW - 400 * 86400)
         for m in balance])

    def tips() -> object:
        for i in range(rows - members):
            src, dst = rng.sample(range(1, members + 1), 2)
            amount = rng.randint(1, 20)
            balance[src] -= amount
            balance[dst] += amount
            at = NOW - (rows - i) * (365 * 86400 / rows)
            if at > NOW - 86400 * 7:
                received[dst] += amount
            yield (COMMUNITY, f"member:{src}", f"member:{dst}", amount, "tip", "thanks", at)

    conn.executemany(
        "INSERT INTO tips_entries (community, src, dst, amount, reason, memo, link, at) "
        "VALUES (?, ?, ?, ?, ?, ?, '', ?)", tips())
    conn.executemany(
        "INSERT INTO tips_accounts (community, account, kind, member_id, balance, week, "
        "week_received, month, month_received) VALUES (?, ?, 'member', ?, ?, ?, ?, ?, ?)",
        [(COMMUNITY, f"member:{m}", m, b, cal.week, received[m], cal.month, received[m])
         for m, b in balance.items()])
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def measure(fn: Callable[[int], Awaitable[object]], queries: int,
                  members: int) -> tuple[float, float]:
    rng = random.Random(7)
    samples = []
    for _ in range(queries):
        member = rng.randint(1, members)
        t0 = time.perf_counter()
        await fn(member)
        samples.append(time.perf_counter() - t0)
    return pct(samples, 0.5) * 1e3, pct(samples, 0.99) * 1e3


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ledger.sqlite3"
        tb = await make_test_bot(Path(d), storage_url=f"sqlite:///{path}",
                                 builtins={"core": "bot.commands.builtin", "tips": "plugins.tips"})
        await tb.stop()
        started = time.perf_counter()
        await asyncio.to_thread(fill, path, args.rows, args.members)
        built = time.perf_counter() - started
        tb = await make_test_bot(Path(d), storage_url=f"sqlite:///{path}",
                                 builtins={"core": "bot.commands.builtin", "tips": "plugins.tips"})
        db = tb.bot.db
        count = await db.fetchval("SELECT COUNT(*) FROM tips_entries")
        week = calendar(NOW).week
        raw = sqlite3.connect(path)

        def bare(sql: str, *params: object) -> Callable[[int], Awaitable[object]]:
            text = prepare_sqlite(sql)[0]

            async def run(member: int) -> object:
                return raw.execute(text, [p(member) if callable(p) else p
                                          for p in params]).fetchall()
            return run

        history_sql = store._history_sql(1)
        account = lambda m: f"member:{m}"  # noqa: E731
        cases: list[tuple[str, Callable[[int], Awaitable[object]]]] = [
            ("leaderboard, top 10 by balance (`!leaderboard`), via bot.db",
             lambda m: store.top_balances(db, COMMUNITY, 10)),
            ("leaderboard, top 10 tipped this week, via bot.db",
             lambda m: store.top_received(db, COMMUNITY, "week", week, 10)),
            ("one member's last 20 entries, UNION ALL (`!history 20`), via bot.db",
             lambda m: store.history(db, COMMUNITY, [account(m)], 20)),
            ("the same with the giving-budget account (4 indexed queries), via bot.db",
             lambda m: store.history(db, COMMUNITY, [account(m), f"budget:{m}"], 20)),
            ("leaderboard, top 10 by balance, bare sqlite3",
             bare("SELECT member_id, balance FROM tips_accounts WHERE community = $1 AND "
                  "kind = 'member' AND balance > 0 ORDER BY balance DESC LIMIT 10", COMMUNITY)),
            ("history UNION ALL, bare sqlite3",
             bare(history_sql, COMMUNITY, 20, account)),
            ("history `WHERE src = ? OR dst = ?`, bare sqlite3 (for comparison)",
             bare("SELECT * FROM tips_entries WHERE community = $1 AND (src = $2 OR dst = $2) "
                  "ORDER BY id DESC LIMIT 20", COMMUNITY, account)),
        ]
        rows = []
        for name, fn in cases:
            p50, p99 = await measure(fn, args.queries, args.members)
            rows.append([name, f"{p50:.3f}", f"{p99:.3f}"])
        raw.close()
        await tb.stop()
    print(table([f"query ({count:,} ledger rows, {args.members:,} members)", "p50 ms",
                 "p99 ms"], rows))
    print(f"\nbuilt in {built:.0f} s; {args.queries} queries each; peak RSS {rss_mb():.0f} MB; "
          f"python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
