"""Command pipeline benchmark: a trivial command through router + hooks + one SQLite write.

Compares, in the same run, Ruche's whole path (in-memory adapter → dispatcher → member lookup →
router → permission + hooks → command → durable INSERT → reply) with a bare asyncio loop doing
the same INSERT with aiosqlite. Usage: python benchmarks/dispatch.py [--seconds 3] [--members 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite

from benchmarks._table import pct, rss_mb, table
from bot import hookimpl
from bot.commands import Context, command
from bot.storage import Migrations, Tx
from bot.testing import make_test_bot

migrations = Migrations("bench")


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


async def _load(seconds: float, members: int, say: Any) -> tuple[int, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    count = 0

    async def member(i: int) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await say(f"m{i}")
            latencies.append(time.perf_counter() - t0)
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(members)))
    elapsed = time.perf_counter() - start
    return int(count / elapsed), latencies


async def bench_ruche(tmp: Path, seconds: float, members: int, sync: str) -> list[list[object]]:
    tb = await make_test_bot(tmp / sync, builtins={"core": "bot.commands.builtin"},
                             plugins={"bench": BenchPlugin()},
                             storage_url=f"sqlite:///{tmp / sync / 'r.sqlite3'}?synchronous={sync}")
    adapter = tb.chat.adapter

    async def say(name: str) -> None:
        await adapter.say(name, "!hit")
        if len(adapter.sent) > 10_000:
            adapter.sent.clear()

    for i in range(members):  # members exist before measuring, as in a live community
        await say(f"m{i}")
    rate, lat = await _load(seconds, members, say)

    async def ping(name: str) -> None:
        await adapter.say(name, "!ping")
        if len(adapter.sent) > 10_000:
            adapter.sent.clear()

    ping_rate, ping_lat = await _load(seconds, members, ping)
    # idle latency of a trivial command, one member at a time
    idle: list[float] = []
    for _ in range(300):
        t0 = time.perf_counter()
        await adapter.say("m0", "!ping")
        idle.append(time.perf_counter() - t0)
    await tb.stop()
    return [
        [f"Ruche !hit (durable INSERT), {members} members, {sync}", rate,
         f"{pct(lat, .5) * 1e3:.2f}", f"{pct(lat, .99) * 1e3:.2f}", "-"],
        [f"Ruche !ping (no write), {members} members, {sync}", ping_rate,
         f"{pct(ping_lat, .5) * 1e3:.2f}", f"{pct(ping_lat, .99) * 1e3:.2f}",
         f"{pct(idle, .5) * 1e3:.3f}"],
    ]


async def bench_bare(tmp: Path, seconds: float, members: int, sync: str) -> list[object]:
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

    rate, lat = await _load(seconds, members, say)
    await db.close()
    return [f"bare aiosqlite INSERT+COMMIT, {members} coroutines, {sync}", rate,
            f"{pct(lat, .5) * 1e3:.2f}", f"{pct(lat, .99) * 1e3:.2f}", "-"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--members", type=int, default=100)
    args = parser.parse_args()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for sync in ("FULL", "NORMAL"):
            rows.append(await bench_bare(tmp, args.seconds, args.members, sync))
            rows.extend(await bench_ruche(tmp, args.seconds, args.members, sync))
    print(table(["pipeline", "commands/s", "p50 ms", "p99 ms", "idle !ping p50 ms"], rows))
    print(f"\npeak RSS: {rss_mb():.0f} MB; python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
