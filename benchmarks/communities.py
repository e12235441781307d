"""Many communities: one allowance sweep over N communities × 100 members, the memory of the
process running it, and whether a tip costs more when the database holds N communities.

Per backend: a database with 1 community, then one with `--communities` communities (members
written straight into `tips_members`, all active, as after a day of chat), each in a bot with
every built-in plugin. In each: `--tip-seconds` of `!tip` typed one at a time by 20 members of
the chat's own community through the platform-like adapter (p50 latency, process CPU per tip),
then the whole `tips.allowance` job timed (every member paid, counted from the ledger), then the
job again (a replay: nothing to pay, every ref already written). RSS is the bot process's own
(PostgreSQL's server runs apart), after the sweep and at its peak. Target: the sweep over
10,000 × 100 in under 60 s; the tip's p50 and CPU the same with 1 and N communities.
Usage: python benchmarks/communities.py [--backend sqlite|postgresql|both]
       [--communities 10000] [--members 100] [--tip-seconds 3] [--plugins all|tips]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._platform import PlatformAdapter
from benchmarks._table import pct, rss_mb, table
from benchmarks.chaos import cpu_model, databases
from bot.testing import make_test_bot
from plugins.tips import TipsPlugin, sweeps
from plugins.tips.periods import period_start

DAY = 86400.0
#: "all": every built-in plugin (pulse records each allowance entry it is told of); "tips":
#: the core and tips alone, so the sweep's own SQL is timed without `on_ledger_entry` work.
PLUGIN_SETS: dict[str, dict[str, str] | None] = {
    "all": None,
    "tips": {"core": "bot.commands.builtin", "tips": "plugins.tips"},
}
TIPPERS = 20
RAW = {"plugins": {"tips": {"allowance_amount": 10, "activity_reward": 0, "max_tip": 10**6,
                            "daily_cap": 0}}}


@dataclass
class Figures:
    """One database's measurements."""

    communities: int
    paid: int
    sweep_s: float
    replay_s: float
    tip_p50_ms: float
    tip_cpu_us: float
    rss_mb: float
    peak_mb: float
    populate_s: float


def current_rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def populate(db: object, communities: int, members: int, now: float) -> None:
    """`communities` × `members` active members, written set-based (one statement per 100,000),
    each owed today's allowance as `mark_seen` leaves a member seen today."""
    owed_from = period_start(now, DAY) - DAY
    step = 100_000
    total = communities * members
    for first in range(0, total, step):
        count = min(step, total - first)
        await db.execute(  # type: ignore[attr-defined]
            "INSERT INTO tips_members (community, member_id, first_seen, last_seen, allowance_at) "
            "WITH RECURSIVE n(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL SELECT i + 1 FROM n "
            "WHERE i + 1 < CAST($2 AS BIGINT)) "
            "SELECT 'c' || CAST(i / $3 AS TEXT), i % $3 + 1, CAST($4 AS DOUBLE PRECISION), "
            "CAST($4 AS DOUBLE PRECISION), CAST($5 AS DOUBLE PRECISION) FROM n",
            first, first + count, members, now, owed_from)
    if db.dialect == "postgresql":  # type: ignore[attr-defined]
        # a live database has statistics (autovacuum); a table filled a second ago has none,
        # and the planner would scan all of it for each chunk of 50 communities
        await db.execute("ANALYZE tips_members")  # type: ignore[attr-defined]


async def measure(url: str, folder: Path, communities: int, members: int,
                  tip_seconds: float, builtins: dict[str, str] | None) -> Figures:
    """Populate, tip, sweep, sweep again."""
    adapter = PlatformAdapter("discord")
    tb = await make_test_bot(folder, raw=RAW, adapter=adapter, storage_url=url,
                             builtins=builtins)
    bot = tb.bot
    svc = bot.plugin(TipsPlugin).service
    try:
        started = time.perf_counter()
        await populate(bot.db, communities, members, float(bot.now()))
        populate_s = time.perf_counter() - started
        names = [f"m{i}" for i in range(TIPPERS)]
        for name in names:
            await adapter.say(name, "hello")
        for row in await bot.db.fetch("SELECT id FROM core_members WHERE community = 'console'"):
            await svc.treasury.award("console", int(row["id"]), 10**9, "bench",
                                     f"seed:{row['id']}")
        for i, name in enumerate(names):  # warm the caches, as in a live room
            await adapter.say(name, f"!tip @{names[(i + 1) % TIPPERS]} 1")
        latencies: list[float] = []
        deadline = time.perf_counter() + tip_seconds
        cpu = time.process_time()
        k = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await adapter.say(names[k % TIPPERS], f"!tip @{names[(k + 7) % TIPPERS]} 1 merci")
            latencies.append(time.perf_counter() - t0)
            k += 1
        tip_cpu_us = (time.process_time() - cpu) / k * 1e6
        started = time.perf_counter()
        await sweeps.allowance_job(svc)
        sweep_s = time.perf_counter() - started
        rss = current_rss_mb()
        print(f"swept {communities:,} communities in {sweep_s:.1f} s", file=sys.stderr)
        paid = int(await bot.db.fetchval(
            "SELECT COUNT(*) FROM tips_entries WHERE reason = 'allowance'"))
        expected = communities * members + TIPPERS
        assert paid == expected, (paid, expected)
        started = time.perf_counter()
        await sweeps.allowance_job(svc)
        replay_s = time.perf_counter() - started
        again = await bot.db.fetchval(
            "SELECT COUNT(*) FROM tips_entries WHERE reason = 'allowance'")
        assert int(again) == paid, (again, paid)
        # conservation, the part of `ruche db check` that stays cheap at a million accounts
        # (the full check runs in the tests): balances sum to minted − burned, none negative
        held = await bot.db.fetchval("SELECT COALESCE(SUM(balance), 0) FROM tips_accounts")
        issued = await bot.db.fetchval(
            "SELECT COALESCE(SUM(CASE WHEN src = 'mint' THEN amount ELSE 0 END), 0)"
            " - COALESCE(SUM(CASE WHEN dst = 'burn' THEN amount ELSE 0 END), 0) FROM tips_entries")
        assert int(held) == int(issued), (held, issued)
        assert not await bot.db.fetchval("SELECT 1 FROM tips_accounts WHERE balance < 0")
        return Figures(communities, paid, sweep_s, replay_s, pct(latencies, .5) * 1e3,
                       tip_cpu_us, rss, rss_mb(), populate_s)
    finally:
        await tb.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--communities", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--tip-seconds", type=float, default=3.0)
    parser.add_argument("--plugins", choices=tuple(PLUGIN_SETS), default="all")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{started} · {cpu_model()} · Python {platform.python_version()}")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows = []
    for backend in backends:
        folder = Path(tempfile.mkdtemp(prefix="ruche-communities-"))
        try:
            with databases(backend, folder) as new_url:
                for n in (1, args.communities):
                    url = new_url(f"c{n}")
                    f = asyncio.run(measure(url, folder / f"bot{n}", n, args.members,
                                            args.tip_seconds, PLUGIN_SETS[args.plugins]))
                    rows.append([backend, args.plugins, f"{f.communities:,} × {args.members}", f"{f.paid:,}",
                                 f"{f.sweep_s:.1f}", f"{f.replay_s:.1f}",
                                 f"{f.tip_p50_ms:.2f}", f"{f.tip_cpu_us:.0f}",
                                 f"{f.rss_mb:.0f}", f"{f.peak_mb:.0f}", f"{f.populate_s:.1f}"])
                    print(" ".join(rows[-1]), file=sys.stderr)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(table(["backend", "plugins", "communities × members", "paid", "sweep s", "replay s",
                 "tip p50 ms", "tip CPU µs", "RSS after MB", "peak RSS MB", "setup s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
