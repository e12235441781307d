"""Command pipeline benchmark: trivial, read-only and writing commands through router + hooks,
as members on Discord or Matrix get them, against ceilings measured in the same run.

Ruche's whole path: a `PlatformAdapter` (benchmarks/_platform.py: the de-dup check and mark of
every event, the platform's reply rendering and serialisation, no network) → dispatcher → member
lookup → router → permission + hooks → command → reply. Commands: `!hit` (one durable INSERT
through `db.execute`), `!balance` (read-only, the tips plugin) and `!ping` (no database work of
its own), each from 100 concurrent members, then `!ping` from one member at a time (idle
latency). Baselines in the same run: aiosqlite doing the INSERT + COMMIT from 100 coroutines
behind one lock, and the in-thread group-commit ceiling C(3) of benchmarks/ceilings.py. CPU is
per command, per thread (event loop, SQLite writer, SQLite readers).
Usage: python benchmarks/dispatch.py [--seconds 3] [--members 100] [--platform discord]
       [--plugins all|core] [--sync FULL,NORMAL]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ceilings as ceil
from benchmarks._platform import PLATFORMS, CpuSplit, ThreadCpu, make_platform_bot
from benchmarks._table import pct, rss_mb, table
from bot import hookimpl
from bot.commands import Context, command
from bot.storage import Migrations, Tx

migrations = Migrations("bench")
IDLE_PINGS = 300


@migrations.step(1, "hits")
async def _hits(tx: Tx) -> None:
    await tx.execute("CREATE TABLE bench_hits (member_id BIGINT NOT NULL, at DOUBLE PRECISION)")


@command("hit")
async def hit(ctx: Context) -> None:
    """Record a hit (benchmark)."""
    await ctx.bot.db.execute("INSERT INTO bench_hits (member_id, at) VALUES ($1, $2)",
                             ctx.member.id, time.time())
    await ctx.reply("ok")


class BenchPlugin:
    @hookimpl
    def register_migrations(self, bot: Any) -> Migrations:
        return migrations

    @hookimpl
    def register_commands(self, bot: Any) -> list[Any]:
        return [hit]


@dataclass
class CommandRun:
    """One command under load: rate, latencies (s) and CPU per command by thread."""

    rate: float
    latencies: list[float]
    cpu: CpuSplit = field(default_factory=CpuSplit)


async def _load(seconds: float, members: int,
                say: Callable[[str], Awaitable[None]]) -> tuple[float, list[float]]:
    """`members` coroutines each saying one thing after another until the deadline."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def member(i: int) -> None:
        name = f"m{i}"
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await say(name)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(members)))
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies


async def _measured(seconds: float, members: int,
                    say: Callable[[str], Awaitable[None]]) -> CommandRun:
    clocks = ThreadCpu()
    clocks.start()
    rate, lat = await _load(seconds, members, say)
    return CommandRun(rate, lat, clocks.stop(len(lat)))


PLUGINS: dict[str, dict[str, str] | None] = {
    "all": None,  # every built-in plugin: what members of a default install get
    "core": {"core": "bot.commands.builtin", "tips": "plugins.tips"},
}


async def bench_ruche(tmp: Path, seconds: float, members: int, sync: str,
                      platform: str = "discord", plugins: str = "all",
                      commands: tuple[str, ...] = ("hit", "balance", "ping"),
                      idle: bool = True) -> dict[str, CommandRun]:
    """Each of `commands` from `members` concurrent members, then idle `!ping` one at a time."""
    bot, adapter = await make_platform_bot(tmp / f"{sync}-{plugins}", render=platform,
                                           builtins=PLUGINS[plugins],
                                           plugins={"bench": BenchPlugin()}, sync=sync)
    for i in range(members):  # members exist before measuring, as in a live community
        await adapter.say(f"m{i}", "!balance")
    out: dict[str, CommandRun] = {}
    for name in commands:
        line = f"!{name}"

        async def say(member: str, line: str = line) -> None:
            await adapter.say(member, line)

        out[name] = await _measured(seconds, members, say)
    if idle:
        latencies: list[float] = []
        clocks = ThreadCpu()
        clocks.start()
        for _ in range(IDLE_PINGS):
            t0 = time.perf_counter()
            await adapter.say("m0", "!ping")
            latencies.append(time.perf_counter() - t0)
        out["idle ping"] = CommandRun(IDLE_PINGS / sum(latencies), latencies,
                                      clocks.stop(IDLE_PINGS))
    await bot.stop()
    return out


async def bench_bare(tmp: Path, seconds: float, members: int, sync: str) -> CommandRun:
    """aiosqlite INSERT + COMMIT behind one lock, from `members` coroutines (the bench extra)."""
    import aiosqlite

    db = await aiosqlite.connect(tmp / f"bare-{sync}.sqlite3")
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={sync}")
    await db.execute("CREATE TABLE hits (member_id INTEGER, at REAL)")
    await db.commit()
    lock = asyncio.Lock()

    async def say(name: str) -> None:
        async with lock:
            await db.execute("INSERT INTO hits VALUES (?, ?)", (1, time.time()))
            await db.commit()

    clocks = ThreadCpu()
    clocks.start()
    rate, lat = await _load(seconds, members, say)
    cpu = clocks.stop(len(lat))  # aiosqlite's thread is not a ruche-sqlite one: it is "other"
    await db.close()
    return CommandRun(rate, lat, cpu)


def _row(label: str, run: CommandRun, top: float, idle: CommandRun | None = None,
         loop_and_other: bool = False) -> list[object]:
    loop = run.cpu.loop + (run.cpu.other if loop_and_other else 0.0)
    return [label, f"{run.rate:,.0f}", f"{pct(run.latencies, .5) * 1e3:.2f}",
            f"{pct(run.latencies, .99) * 1e3:.2f}",
            f"{pct(idle.latencies, .5) * 1e3:.3f}" if idle is not None else "-",
            f"{loop:.0f}", f"{run.cpu.writer:.0f}", f"{run.cpu.readers:.0f}",
            f"{run.rate / top:.2f}×"]


HEADERS = ["pipeline", "commands/s", "p50 ms", "p99 ms", "idle !ping p50 ms", "CPU µs loop",
           "CPU µs writer", "CPU µs readers", "vs C(3) ceiling"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--platform", choices=PLATFORMS, default="discord",
                        help="whose reply rendering the benchmark adapter pays")
    parser.add_argument("--plugins", choices=sorted(PLUGINS), default="all",
                        help="all built-in plugins, or core + tips only")
    parser.add_argument("--sync", default="FULL,NORMAL", help="comma-separated modes")
    args = parser.parse_args()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for sync in args.sync.split(","):
            c3 = await ceil.bench_c_thread_batch_once(d, sync, args.seconds, 3200)
            top = c3.tps
            rows.append([f"C(3) ceiling: group commit in the writer thread, 100 coroutines, "
                         f"{sync}", f"{c3.tps:,.0f}", f"{pct(c3.latencies_ms, .5):.2f}",
                         f"{pct(c3.latencies_ms, .99):.2f}", "-", f"{c3.cpu_loop_us:.0f}",
                         f"{c3.cpu_writer_us:.0f}", "0", "1.00×"])
            bare = await bench_bare(tmp, args.seconds, args.members, sync)
            rows.append(_row(f"bare aiosqlite INSERT+COMMIT, {args.members} coroutines, {sync}",
                             bare, top, loop_and_other=True))
            runs = await bench_ruche(tmp, args.seconds, args.members, sync, args.platform,
                                     args.plugins)
            who = f"{args.members} members, {sync}"
            rows.append(_row(f"Ruche !hit (durable INSERT), {who}", runs["hit"], top))
            rows.append(_row(f"Ruche !balance (read-only), {who}", runs["balance"], top))
            rows.append(_row(f"Ruche !ping (no write of its own), {who}", runs["ping"], top,
                             runs["idle ping"]))
    print(table(HEADERS, rows))
    print(f"\nRuche through the {args.platform} adapter with the de-dup check and mark, "
          f"{'all built-in plugins' if args.plugins == 'all' else 'core + tips only'}. CPU per "
          f"command by thread (for aiosqlite, loop = every thread); one run × {args.seconds:g} s "
          f"per row.\npeak RSS: {rss_mb():.0f} MB; python "
          f"{sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
