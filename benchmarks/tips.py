"""Durable tips through the whole command pipeline, as members on Discord or Matrix get them,
against the ledger-write ceilings measured in the same run.

Ruche: `!tip @x 1` typed by 100 concurrent members into a `PlatformAdapter` (benchmarks/
_platform.py: the de-dup check and mark of every event and the platform's reply rendering and
serialisation, no network) → dispatcher → member lookup → router → permission and hooks →
converters → tips service (validate hook, one atomic op: daily-cap bookkeeping, entry, guarded
debit, credit, week/month counters) → group commit in the SQLite writer thread
(synchronous=FULL) → events → reply. Ceilings (benchmarks/ceilings.py): A, stdlib sqlite3 one
transaction per transfer; C(3), group commit with the whole batch one call into a writer thread,
100 coroutines — the target is ≥ 0.5× C(3). CPU is per tip, per thread (event loop, writer).
Usage: python benchmarks/tips.py [--seconds 5] [--members 100] [--runs 3] [--platform discord]
       [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ceilings as ceil
from benchmarks._platform import PLATFORMS, CpuSplit, ThreadCpu, make_platform_bot
from benchmarks._table import pct, rss_mb, table
from plugins.tips import TipsPlugin

START_BALANCE = 10**9
#: The plugin sets compared; "all built-in plugins" is the one the target speaks of.
PLUGIN_SETS: dict[str, dict[str, str] | None] = {
    "all built-in plugins": None,
    "core + tips only": {"core": "bot.commands.builtin", "tips": "plugins.tips"},
}


@dataclass
class TipsRun:
    """One measured run of the tip pipeline."""

    rate: float
    latencies: list[float]  # seconds
    refused: int
    cpu: CpuSplit = field(default_factory=CpuSplit)


async def ruche(path: Path, seconds: float, members: int, sync: str,
                builtins: dict[str, str] | None, profile: bool = False,
                platform: str = "discord") -> TipsRun:
    """`!tip` by `members` concurrent members through the platform-like adapter."""
    await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
    raw = {"plugins": {"tips": {"max_tip": 10**6, "daily_cap": 10**12, "allowance_amount": 0,
                                "activity_reward": 0}}}
    bot, adapter = await make_platform_bot(path, render=platform, raw=raw, builtins=builtins,
                                           sync=sync)
    svc = bot.plugin(TipsPlugin).service
    names = [f"m{i}" for i in range(members)]
    for name in names:  # members exist and hold tokens before measuring, as in a live room
        await adapter.say(name, "hello")
    for row in await bot.db.fetch("SELECT id FROM core_members WHERE community = 'console'"):
        await svc.treasury.award("console", int(row["id"]), START_BALANCE, "bench",
                                 f"seed:{row['id']}")
    for i, name in enumerate(names):  # warm the mention cache and the statement caches
        await adapter.say(name, f"!tip @{names[(i + 1) % members]} 1")
    replies = {"ok": 0, "refused": 0}

    def record(text: str) -> None:
        """Count answers by kind; show the first refusals, they mean the benchmark is wrong."""
        ok = "tipped" in text
        replies["ok" if ok else "refused"] += 1
        if not ok and replies["refused"] <= 3:
            print("refused:", text, file=sys.stderr)

    adapter.on_reply = record
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
        profiler = importlib.import_module("pyinstrument").Profiler(async_mode="enabled")
        profiler.start()
    clocks = ThreadCpu()
    clocks.start()
    start = time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(members)))
    elapsed = time.perf_counter() - start
    cpu = clocks.stop(count)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    problems = await bot.hooks.collect("check_integrity", bot=bot)
    assert not [p for group in problems for p in group], problems
    await bot.stop()
    assert replies["ok"] + replies["refused"] == count, (replies, count)
    return TipsRun(count / elapsed, latencies, replies["refused"], cpu)


def summary(runs: list[TipsRun]) -> dict[str, float]:
    """Medians over runs (latencies pooled): what a table row and the targets use."""
    lat = [x for r in runs for x in r.latencies]
    return {"rate": statistics.median(r.rate for r in runs),
            "rate_min": min(r.rate for r in runs), "rate_max": max(r.rate for r in runs),
            "p50_ms": pct(lat, .5) * 1e3, "p99_ms": pct(lat, .99) * 1e3,
            "cpu_loop": statistics.median(r.cpu.loop for r in runs),
            "cpu_writer": statistics.median(r.cpu.writer for r in runs),
            "cpu_loop_writer": statistics.median(r.cpu.loop_writer for r in runs),
            "cpu_total": statistics.median(r.cpu.total for r in runs),
            "refused": sum(r.refused for r in runs)}


async def measure(tmp: Path, seconds: float, members: int, runs: int, sync: str,
                  platform: str, plugin_sets: dict[str, dict[str, str] | None],
                  profile: bool = False,
                  ceiling_seconds: float | None = None) -> tuple[ceil.Ceilings,
                                                                 dict[str, list[TipsRun]]]:
    """Per run: both ceilings, then each plugin set — alternating so drift hits all alike."""
    a: list[ceil.Ceiling] = []
    c3: list[ceil.Ceiling] = []
    results: dict[str, list[TipsRun]] = {}
    cs = ceiling_seconds or seconds
    for run in range(runs):
        a.append(await asyncio.to_thread(ceil.bench_a_once, str(tmp), sync, cs, 1000 + run))
        c3.append(await ceil.bench_c_thread_batch_once(str(tmp), sync, cs, 3200 + run))
        for n, (label, builtins) in enumerate(plugin_sets.items()):
            results.setdefault(label, []).append(await ruche(
                tmp / f"r{run}-{n}", seconds, members, sync, builtins, platform=platform,
                profile=profile and run == 0 and builtins is None))
    return ceil.Ceilings(a, c3), results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sync", default="FULL")
    parser.add_argument("--platform", choices=PLATFORMS, default="discord",
                        help="whose reply rendering the benchmark adapter pays")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the Ruche run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        ceilings, results = await measure(Path(d), args.seconds, args.members, args.runs,
                                          args.sync, args.platform, PLUGIN_SETS, args.profile)
    top = ceilings.c3_tps
    rows: list[list[object]] = ceil.rows(ceilings, args.sync)
    rows = [[r[0], r[1], r[3], r[4], r[5], r[6], "-", r[7], "-"] for r in rows]
    for label, runs in results.items():
        s = summary(runs)
        rows.append([f"Ruche `!tip @x 1`, {args.members} members, {label}, {args.platform} "
                     f"adapter with de-dup", f"{s['rate']:,.0f}", f"{s['p50_ms']:.2f}",
                     f"{s['p99_ms']:.2f}", f"{s['cpu_loop']:.0f}", f"{s['cpu_writer']:.0f}",
                     f"{s['cpu_loop_writer']:.0f}", f"{s['rate'] / top:.2f}×",
                     int(s["refused"])])
    print(table([f"pipeline (SQLite synchronous={args.sync})", "tips/s (median)", "p50 ms",
                 "p99 ms", "CPU µs loop", "CPU µs writer", "CPU µs loop+writer",
                 "vs C(3) ceiling", "refused"], rows))
    print(f"\nCPU is per tip (per transfer for the ceilings), medians of the runs, measured per "
          f"thread; the event loop and the writer share one GIL. Target: ≥ 0.50× C(3), p99 "
          f"< 20 ms.\n{args.runs} runs × {args.seconds:g} s; peak RSS {rss_mb():.0f} MB; python "
          f"{sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
