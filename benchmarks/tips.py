"""Durable tips through the whole command pipeline vs stdlib sqlite3, measured in the same run.

Ruche: `!tip @x 1` typed by 100 concurrent members into the in-memory adapter → dispatcher →
member lookup → router → permission and hooks → converters → tips service (validate hook, one
atomic op: daily-cap bookkeeping, entry, guarded debit, credit, week/month counters) → group
commit in the SQLite writer thread (synchronous=FULL) → events → reply. Baseline: stdlib sqlite3,
one transaction per transfer (guarded debit + credit + insert), sequential, same pragmas.
Usage: python benchmarks/tips.py [--seconds 5] [--members 100] [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import pct, rss_mb, table
from bot.adapters.local import SentMessage
from bot.testing import make_test_bot
from plugins.tips import TipsPlugin

START_BALANCE = 10**9


def baseline(path: Path, seconds: float, members: int, sync: str) -> tuple[float, list[float]]:
    """Stdlib sqlite3: one BEGIN IMMEDIATE … COMMIT per transfer, the PERFORMANCE.md schema."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, "
                 "balance INTEGER NOT NULL CHECK (balance >= 0))")
    conn.execute("CREATE TABLE transfers (id INTEGER PRIMARY KEY AUTOINCREMENT, src INTEGER, "
                 "dst INTEGER, amount INTEGER, reason TEXT, ref TEXT, UNIQUE (reason, ref))")
    conn.executemany("INSERT INTO accounts VALUES (?, ?)",
                     [(i, START_BALANCE) for i in range(members)])
    latencies: list[float] = []
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        src, dst = n % members, (n * 7 + 1) % members
        if src == dst:
            dst = (dst + 1) % members
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute("UPDATE accounts SET balance = balance - 1 WHERE id = ? "
                           "AND balance >= 1", (src,))
        assert cur.rowcount == 1
        conn.execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", (dst,))
        conn.execute("INSERT INTO transfers (src, dst, amount, reason, ref) "
                     "VALUES (?, ?, 1, 'tip', ?)", (src, dst, str(n)))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t0)
        n += 1
    rate = n / (time.perf_counter() - start)
    conn.close()
    return rate, latencies


cpu: dict[str, list[float]] = {"main": [], "writer": []}  # µs of CPU per tip, per run


def _writer_clock() -> int | None:
    """The CPU clock of the SQLite writer thread (Linux), to split the cost per thread."""
    for thread in threading.enumerate():
        if thread.name == "ruche-sqlite-writer" and thread.ident is not None:
            try:
                return time.pthread_getcpuclockid(thread.ident)
            except (AttributeError, OSError):
                return None
    return None


async def ruche(path: Path, seconds: float, members: int, sync: str,
                builtins: dict[str, str] | None, profile: bool) -> tuple[float, list[float], int]:
    """`!tip` by `members` concurrent members; returns tips/s, latencies and refused count."""
    await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
    raw = {"plugins": {"tips": {"max_tip": 10**6, "daily_cap": 10**12, "allowance_amount": 0,
                                "activity_reward": 0}}}
    tb = await make_test_bot(path, raw=raw, builtins=builtins,
                             storage_url=f"sqlite:///{path / 'r.sqlite3'}?synchronous={sync}")
    adapter = tb.chat.adapter
    svc = tb.bot.plugin(TipsPlugin).service
    names = [f"m{i}" for i in range(members)]
    for name in names:  # members exist and hold tokens before measuring, as in a live room
        await adapter.say(name, "hello")
    for row in await tb.bot.db.fetch("SELECT id FROM core_members WHERE community = 'console'"):
        await svc.treasury.award("console", int(row["id"]), START_BALANCE, "bench", f"seed:{row['id']}")
    for i, name in enumerate(names):  # warm the mention cache and the statement caches
        await adapter.say(name, f"!tip @{names[(i + 1) % members]} 1")
    adapter.sent.clear()
    replies = {"ok": 0, "refused": 0}

    def record(text: str, to: str | None = None, message: object = None) -> SentMessage:
        """Count replies instead of keeping 100,000 of them (a growing heap slows the GC)."""
        replies["ok" if "tipped" in text else "refused"] += 1
        if "tipped" not in text and replies["refused"] <= 3:
            print("refused:", text, file=sys.stderr)
        return SentMessage(0, adapter.room_id, text)

    adapter._record = record  # type: ignore[method-assign]
    latencies: list[float] = []
    count = 0
    deadline = time.perf_counter() + seconds

    async def member(i: int) -> None:
        nonlocal count
        k = 0
        while time.perf_counter() < deadline:
            # i → i+1 and i+1 → i both happen: the same pair tips in both directions
            to = names[(i + 1 + (k % 3) * (members - 2)) % members]
            t0 = time.perf_counter()
            await adapter.say(names[i], f"!tip @{to} 1 merci")
            latencies.append(time.perf_counter() - t0)
            count += 1
            k += 1

    profiler: Any = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    writer = _writer_clock()
    cpu0 = (time.thread_time(), time.clock_gettime(writer) if writer is not None else 0.0)
    start = time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(members)))
    elapsed = time.perf_counter() - start
    cpu["main"].append((time.thread_time() - cpu0[0]) / count * 1e6)
    if writer is not None:
        cpu["writer"].append((time.clock_gettime(writer) - cpu0[1]) / count * 1e6)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    problems = await tb.bot.hooks.collect("check_integrity", bot=tb.bot)
    assert not [p for group in problems for p in group], problems
    await tb.stop()
    assert replies["ok"] + replies["refused"] == count, (replies, count)
    return count / elapsed, latencies, replies["refused"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sync", default="FULL")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the Ruche run")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, list[float], int]]] = {}
    plugin_sets: dict[str, dict[str, str] | None] = {
        "all built-in plugins": None,
        "core + tips only": {"core": "bot.commands.builtin", "tips": "plugins.tips"},
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for run in range(args.runs):
            rate, lat = baseline(tmp / f"base{run}.sqlite3", args.seconds, args.members,
                                 args.sync)
            results.setdefault("base", []).append((rate, lat, 0))
            for label, builtins in plugin_sets.items():
                results.setdefault(label, []).append(await ruche(
                    tmp / f"r{run}-{len(results)}", args.seconds, args.members, args.sync,
                    builtins, args.profile and run == 0 and builtins is None))
    base_rate = statistics.median(r for r, _l, _x in results["base"])
    rows: list[list[object]] = []
    for key, runs in results.items():
        rate = statistics.median(r for r, _l, _x in runs)
        lat = [x for _r, latencies, _x in runs for x in latencies]
        refused = sum(x for _r, _l, x in runs)
        name = ("stdlib sqlite3, 1 tx per transfer, sequential" if key == "base"
                else f"Ruche `!tip @x 1`, {args.members} members, {key}")
        rows.append([name, f"{rate:,.0f}", f"{pct(lat, .5) * 1e3:.2f}",
                     f"{pct(lat, .99) * 1e3:.2f}", f"{rate / base_rate:.2f}×", refused])
    print(table(["pipeline (SQLite synchronous=" + args.sync + ")", "tips/s (median)",
                 "p50 ms", "p99 ms", "vs baseline", "refused"], rows))
    if cpu["main"]:
        print(f"\nCPU per tip (median of the Ruche runs): event-loop thread "
              f"{statistics.median(cpu['main']):.0f} µs, SQLite writer thread "
              f"{statistics.median(cpu['writer'] or [0]):.0f} µs — they share one GIL.")
    print(f"\n{args.runs} runs × {args.seconds:g} s; peak RSS {rss_mb():.0f} MB; python "
          f"{sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
