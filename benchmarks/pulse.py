"""Pulse benchmark: 1,000 live dashboard clients on loopback while 100 events/s arrive.

The bot (with pulse and `[web]` on a free loopback port) runs in this process; the clients run
in a child process (as browsers would be elsewhere), each holding one SSE stream of
`/c/console/events`. Once all have their first full update, the bot gets `--rate` chat actions
per second for `--seconds` (tips, ballots and new ideas in turn, through the whole command
pipeline). Delivery latency of one event to one client = the first update that client receives
after the action committed, minus the commit time; the table gives its percentiles over every
(event, client) pair, the updates sent (coalescing: far fewer than events × clients) and RSS.
Usage: python benchmarks/pulse.py [--clients 1000] [--rate 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import pct, rss_mb, table
from bot.testing import TEST_BUILTINS, make_test_bot
from plugins.pulse import PulsePlugin

CLIENT = r"""
import asyncio, json, sys, time
import aiohttp

async def main(url, n):
    times = [[] for _ in range(n)]
    ready = 0
    all_ready = asyncio.Event()
    stop = asyncio.Event()

    async def client(i, session):
        nonlocal ready
        async with session.get(url) as r:
            first = True
            async for line in r.content:
                if line.startswith(b"event: update"):
                    if first:
                        first = False
                        ready += 1
                        if ready == n:
                            all_ready.set()
                    else:
                        times[i].append(time.time())
                if stop.is_set():
                    return

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=None)) as session:
        tasks = [asyncio.create_task(client(i, session)) for i in range(n)]
        await all_ready.wait()
        print("READY", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(times), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def run(clients: int, rate: float, seconds: float) -> list[list[object]]:
    tmp = Path(tempfile.mkdtemp(prefix="ruche-pulse-bench-"))
    tb = await make_test_bot(tmp, builtins={**TEST_BUILTINS, "pulse": "plugins.pulse"},
                             raw={"web": {"enabled": True, "port": 0},
                                  "plugins": {"tips": {"allowance_amount": 0,
                                                       "activity_reward": 0}}})
    say = tb.chat.adapter.say
    svc = tb.bot.plugin(PulsePlugin).service
    assert svc.server is not None
    await say("bob", "hello")
    await say("mod", "!grant @alice 1000 for the benchmark")
    await say("alice", '!poll new "Bench?" "A" "B" "C"')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, svc.server.url + "/c/console/events", str(clients),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**30)
    assert proc.stdout is not None and proc.stdin is not None
    started = time.monotonic()
    line = await proc.stdout.readline()
    assert line.strip() == b"READY", line
    connect = time.monotonic() - started
    sent_before = svc.metrics.events._value.get()  # updates pushed so far
    commits: list[float] = []
    n = int(rate * seconds)
    t0 = time.monotonic()
    for i in range(n):
        kind = i % 3
        if kind == 0:
            await say("alice", "!tip @bob 1")
        elif kind == 1:
            await say(f"voter{i}", f"!vote 1 {'ABC'[i % 3]}")
        else:
            await say(f"author{i % 50}", f"!idea submit Benchmark idea {i}")
        commits.append(time.time())
        delay = t0 + (i + 1) / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    achieved = n / (time.monotonic() - t0)
    await asyncio.sleep(2.0)  # the last updates arrive
    proc.stdin.write(b"\n")
    await proc.stdin.drain()
    out = await proc.stdout.readline()
    await proc.wait()
    received = json.loads(out)
    updates = svc.metrics.events._value.get() - sent_before
    await tb.stop()
    latencies = []
    missed = 0
    for times in received:
        for at in commits:
            k = bisect.bisect_left(times, at)
            if k == len(times):
                missed += 1
            else:
                latencies.append((times[k] - at) * 1000)
    return [[clients, f"{achieved:.0f}/s", n, f"{connect:.1f} s", int(updates),
             f"{pct(latencies, 0.5):.0f} ms", f"{pct(latencies, 0.99):.0f} ms",
             f"{max(latencies):.0f} ms", missed, f"{rss_mb():.0f} MB"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    rows = asyncio.run(run(args.clients, args.rate, args.seconds))
    print(table(["clients", "events", "events total", "connect all", "updates pushed",
                 "delivery p50", "delivery p99", "max", "missed", "bot RSS"], rows))


if __name__ == "__main__":
    main()
