"""The issue-16 figures in one table: `python -m benchmarks [--seconds 2] [--runs 2] [--loop uvloop]`.

Per run, in this order so that machine drift hits every figure alike: the ceilings (A: stdlib
sqlite3 one transaction per transfer; C(3): group commit with the whole batch one call into a
writer thread, 100 coroutines — benchmarks/ceilings.py), durable tips from 100 members with all
built-in plugins (benchmarks/tips.py), then `!balance` from 100 concurrent members and idle
`!ping` one at a time (benchmarks/dispatch.py). Ruche runs through the platform-like adapter of
benchmarks/_platform.py: the de-dup check and mark of every event and the platform's reply
rendering. Targets are those of PERFORMANCE.md. The CPU budgets (90 µs per tip, 60 µs per
read-only command, event loop + writer thread) hold on a CPU whose C(3) ceiling is 41,000/s;
C(3) is bound by one GIL, so there it spends about 1/41,000 s of CPU per transfer, and the
budgets are scaled by the CPU per transfer C(3) spends in this run — not by its throughput,
which falls when other processes share the cores while CPU per transfer does not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ceilings as ceil
from benchmarks import dispatch, tips
from benchmarks._platform import PLATFORMS
from benchmarks._table import pct, rss_mb, table

#: C(3) transfers/s on the CPU the CPU budgets were set on (PERFORMANCE.md, synchronous=FULL).
REFERENCE_CEILING = 41_000
#: C(3)'s CPU per transfer there, µs: one GIL-bound core's worth (here 30 µs × 30,700/s ≈ 0.92).
REFERENCE_CPU_US = 1e6 / REFERENCE_CEILING
TIP_CPU_BUDGET_US = 90.0
READ_CPU_BUDGET_US = 60.0
TIPS_RATIO_TARGET = 0.5
TIP_P99_MS = 20.0
READ_P99_MS = 5.0
IDLE_PING_P50_MS = 0.2


def cpu_model() -> str:
    """The CPU named in /proc/cpuinfo: figures are only comparable on the same model."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """Median, and the range when there are several runs (a gain below it is noise)."""
    mid = fmt.format(statistics.median(values))
    if len(values) < 2:
        return mid
    return f"{mid} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def met(ok: bool) -> str:
    return "yes" if ok else "no"


async def run(args: argparse.Namespace) -> None:
    a: list[ceil.Ceiling] = []
    c3: list[ceil.Ceiling] = []
    tip_runs: list[tips.TipsRun] = []
    reads: list[dispatch.CommandRun] = []
    idles: list[dispatch.CommandRun] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for i in range(args.runs):
            a.append(await asyncio.to_thread(ceil.bench_a_once, d, args.sync, args.seconds,
                                             1000 + i))
            c3.append(await ceil.bench_c_thread_batch_once(d, args.sync, args.seconds, 3200 + i))
            tip_runs.append(await tips.ruche(tmp / f"tips{i}", args.seconds, args.members,
                                             args.sync, None, platform=args.platform))
            got = await dispatch.bench_ruche(tmp / f"dispatch{i}", args.seconds, args.members,
                                             args.sync, args.platform, "all", ("balance",))
            reads.append(got["balance"])
            idles.append(got["idle ping"])
            print(f"run {i + 1}/{args.runs}: C(3) {c3[-1].tps:,.0f}/s, tips {tip_runs[-1].rate:,.0f}"
                  f"/s, !balance {reads[-1].rate:,.0f}/s", file=sys.stderr, flush=True)
    ceilings = ceil.Ceilings(a, c3)
    top = ceilings.c3_tps
    top_cpu = ceilings.c3_cpu_us
    top_p99 = pct([x for r in c3 for x in r.latencies_ms], .99)
    scale = top_cpu / REFERENCE_CPU_US
    tip = tips.summary(tip_runs)
    tip_cpu = [r.cpu.loop_writer for r in tip_runs]
    read_lat = [x for r in reads for x in r.latencies]
    read_p99 = pct(read_lat, .99) * 1e3
    read_cpu = [r.cpu.loop_writer for r in reads]
    idle_p50 = pct([x for r in idles for x in r.latencies], .5) * 1e3
    tip_budget = TIP_CPU_BUDGET_US * scale
    read_budget = READ_CPU_BUDGET_US * scale
    s = args.sync
    rows: list[list[object]] = [
        [f"ceiling C(3): group commit in the writer thread, 100 coroutines, {s} (transfers/s)",
         spread([r.tps for r in c3]), "-", "1.00×", "-"],
        ["ceiling C(3): CPU µs per transfer, loop + writer", spread([r.cpu_us for r in c3],
                                                                     "{:.1f}"), "-", "1.00×", "-"],
        [f"ceiling A: stdlib sqlite3, 1 tx per transfer, {s} (transfers/s)",
         spread([r.tps for r in a]), "-", f"{ceilings.a_tps / top:.2f}×", "-"],
        [f"tips/s, all built-in plugins, {args.members} members, {s}, de-dup",
         spread([r.rate for r in tip_runs]), f"≥ {TIPS_RATIO_TARGET:.2f}× C(3) "
         f"(≥ {TIPS_RATIO_TARGET * top:,.0f}/s)", f"{tip['rate'] / top:.2f}×",
         met(tip["rate"] >= TIPS_RATIO_TARGET * top)],
        ["tip p99 ms", f"{tip['p99_ms']:.2f}", f"< {TIP_P99_MS:g} ms",
         f"{tip['p99_ms'] / top_p99:.2f}×", met(tip["p99_ms"] < TIP_P99_MS)],
        ["tip CPU µs, event loop + writer", spread(tip_cpu, "{:.0f}"),
         f"≤ {tip_budget:.0f} µs", f"{statistics.median(tip_cpu) / top_cpu:.2f}×",
         met(statistics.median(tip_cpu) <= tip_budget)],
        [f"!balance (read-only) p99 ms, {args.members} concurrent senders", f"{read_p99:.2f}",
         f"< {READ_P99_MS:g} ms", f"{read_p99 / top_p99:.2f}×", met(read_p99 < READ_P99_MS)],
        ["!balance CPU µs, event loop + writer", spread(read_cpu, "{:.0f}"),
         f"≤ {read_budget:.0f} µs", f"{statistics.median(read_cpu) / top_cpu:.2f}×",
         met(statistics.median(read_cpu) <= read_budget)],
        [f"!balance commands/s, {args.members} concurrent senders",
         spread([r.rate for r in reads]), "-",
         f"{statistics.median(r.rate for r in reads) / top:.2f}×", "-"],
        ["idle !ping p50 ms, de-dup", f"{idle_p50:.3f}", f"< {IDLE_PING_P50_MS:g} ms", "-",
         met(idle_p50 < IDLE_PING_P50_MS)],
    ]
    print(table(["figure", "value (median, range)", "target", "ratio to ceiling C(3)", "met"],
                rows))

    def split(runs: list[tips.TipsRun] | list[dispatch.CommandRun]) -> str:
        parts = {"loop": [r.cpu.loop for r in runs], "writer": [r.cpu.writer for r in runs],
                 "readers": [r.cpu.readers for r in runs], "other": [r.cpu.other for r in runs]}
        return ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in parts.items())

    print(f"\nRatio to ceiling = the figure ÷ the same quantity of C(3) in this run (throughput, "
          f"CPU µs per transfer, p99 at 100 coroutines). CPU budgets: {TIP_CPU_BUDGET_US:g} and "
          f"{READ_CPU_BUDGET_US:g} µs on a {REFERENCE_CEILING:,}/s C(3) CPU "
          f"({REFERENCE_CPU_US:.1f} µs per transfer), × {scale:.2f} here (C(3) CPU per transfer "
          f"÷ {REFERENCE_CPU_US:.1f})."
          f"\nCPU µs per command by thread — tip: {split(tip_runs)}; !balance: {split(reads)}; "
          f"idle !ping: {split(idles)}."
          f"\nRuche through the {args.platform} adapter with the de-dup check and mark, "
          f"{args.loop} event loop; "
          f"{args.runs} run(s) × {args.seconds:g} s; load average before "
          f"{args.load_before:.2f}, after {os.getloadavg()[0]:.2f}; peak RSS {rss_mb():.0f} MB."
          f"\nCPU {cpu_model()} ({os.cpu_count()} cores); python {sys.version.split()[0]}; "
          f"SQLite {sqlite3.sqlite_version}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="per figure and run")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--sync", default="FULL")
    parser.add_argument("--platform", choices=PLATFORMS, default="discord",
                        help="whose reply rendering the benchmark adapter pays")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="event loop (uvloop is not a dependency: install it to compare)")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    if args.loop == "uvloop":
        import uvloop  # type: ignore[import-not-found, unused-ignore]

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
