"""Votes benchmark: 10,000 ballots from 10,000 members in one burst on one poll.

Every member already exists (they have spoken before), then all send `!vote 1 X` at once
through the whole pipeline (in-memory adapter → dispatcher → router → permission + hooks →
parse → ONE `db.atomic` ballot write, group-committed by the SQLite writer → event → reply).
Checks that every ballot is counted exactly and that the live tally message was edited at
most once per `tally_edit_interval` (2 s): edits ≤ duration / 2 s + 1.
The last row spreads the same ballots evenly over `--spread` seconds, where coalescing
shows: without it every ballot would cost an edit.
Usage: python benchmarks/votes.py [--ballots 10000] [--interval 2.0] [--spread 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import pct, rss_mb, table
from bot.testing import make_test_bot
from plugins.votes import VotesPlugin, store

OPTIONS = "ABCD"


def choice_of(i: int) -> str:
    """An uneven split, so a miscount would show."""
    return OPTIONS[(i * i + i // 3) % 7 % 4]


async def burst(tmp: Path, ballots: int, interval: float, sync: str, method: str,
                spread: float = 0.0) -> list[object]:
    """All ballots at once (spread=0), or arriving evenly over `spread` seconds."""
    where = tmp / f"{sync}-{method}-{spread:g}"
    url = f"sqlite:///{where / 'votes.sqlite3'}?synchronous={sync}"
    where.mkdir(parents=True)
    tb = await make_test_bot(
        where, storage_url=url,
        builtins={"core": "bot.commands.builtin", "votes": "plugins.votes"},
        raw={"plugins": {"votes": {"tally_edit_interval": interval}}})
    adapter = tb.chat.adapter
    names = [f"m{i}" for i in range(ballots)]
    for start in range(0, ballots, 500):  # members exist before the burst, as in a community
        await asyncio.gather(*(adapter.say(n, "hello") for n in names[start:start + 500]))
    await adapter.say("alice", f'!poll new "Benchmark" "A" "B" "C" "D" --method {method}')
    poll_message = adapter.sent[-1]
    words = {i: choice_of(i) if method == "single" else f"{choice_of(i)}>A"
             if choice_of(i) != "A" else "A>B" for i in range(ballots)}
    latencies: list[float] = []
    db = tb.bot.db
    batches_before = getattr(db, "batches", 0)

    async def vote(i: int) -> None:
        if spread:
            await asyncio.sleep(i * spread / ballots)
        t0 = time.perf_counter()
        await adapter.say(names[i], f"!vote 1 {words[i]}")
        latencies.append(time.perf_counter() - t0)

    t_start = time.perf_counter()
    await asyncio.gather(*(vote(i) for i in range(ballots)))
    t_burst = time.perf_counter() - t_start
    svc = tb.bot.plugin(VotesPlugin).service
    await svc.live.idle()
    t_total = time.perf_counter() - t_start
    batches = getattr(db, "batches", 0) - batches_before
    edits = len(poll_message.edits)
    bound = int(t_total / interval) + 1 if interval else edits

    poll = await store.find_poll(db, "console", 1)
    assert poll is not None
    stored = await store.count_ballots(db, poll.id)
    result = await svc.result(poll)
    expected = Counter(choice_of(i) for i in range(ballots))
    firsts = tuple(float(expected[o]) for o in OPTIONS)
    exact = stored == ballots == result.ballots and (
        result.totals == firsts if method == "single" else result.rounds[0] == firsts)
    assert exact, (stored, result.totals, firsts)
    assert f"{ballots} ballots" in poll_message.current
    assert edits <= bound, (edits, bound)
    await tb.stop()
    shape = f"over {spread:g} s" if spread else "burst"
    return [f"{method}, {shape}, synchronous={sync}", ballots, "yes" if exact else "NO",
            f"{t_burst:.2f}", int(ballots / t_burst), f"{pct(latencies, .5) * 1e3:.0f}",
            f"{pct(latencies, .99) * 1e3:.0f}", f"{edits} ≤ {bound}",
            f"{ballots / batches:.0f}" if batches else "-"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--spread", type=float, default=10.0,
                        help="the last row spreads the ballots evenly over this many seconds")
    args = parser.parse_args()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        for sync, method in (("FULL", "single"), ("NORMAL", "single"), ("FULL", "ranked")):
            rows.append(await burst(Path(d), args.ballots, args.interval, sync, method))
        rows.append(await burst(Path(d), args.ballots, args.interval, "FULL", "single",
                                spread=args.spread))
    print(table(["ballots on one poll", "ballots", "all counted", "seconds", "ballots/s",
                 "p50 ms", "p99 ms", "tally edits ≤ bound", "ballots/commit"], rows))
    print(f"\nlatency = one member's `!vote` from message in to reply out (in a burst all "
          f"{args.ballots} are sent at once, so it is mostly queueing); bound = (ballots + "
          f"trailing edit) / {args.interval:g} s + 1 edits of the live tally message")
    print(f"peak RSS: {rss_mb():.0f} MB; python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
