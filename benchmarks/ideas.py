"""Ideas benchmark: `!idea list` and `!idea search` latency over 100,000 ideas in one community.

Each command goes through the whole path (in-memory adapter → dispatcher → router → permission
→ ideas service → SQLite → names → reply). Baseline in the same run: the same page query with
bare sqlite3 on the same file. Search is measured with FTS5 and with the LIKE fallback.
Usage: python benchmarks/ideas.py [--ideas 100000] [--runs 300]
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
from bot.model import UserRef
from bot.testing import make_test_bot
from plugins.ideas import store
from plugins.ideas.service import fold

BUILTINS = {"core": "bot.commands.builtin", "ideas": "plugins.ideas"}
STATUSES = ["open"] * 60 + ["review"] * 10 + ["voting"] * 5 + ["accepted"] * 10 + \
    ["implemented"] * 5 + ["rejected"] * 5 + ["withdrawn"] * 5


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Pronounceable distinct words, most frequent first."""
    syllables = ["ba", "co", "di", "fu", "ga", "lo", "mi", "ne", "pa", "ri", "so", "tu", "ve",
                 "za", "ke", "ju"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


async def seed(bot: object, count: int, members: int, rng: random.Random) -> list[str]:
    """`count` ideas by `members` authors, titles and descriptions drawn from a Zipf vocabulary."""
    words = vocabulary(3000, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    community = bot.communities.get("console")  # type: ignore[attr-defined]
    ids = []
    for i in range(members):
        member = await bot.identity.member_for(  # type: ignore[attr-defined]
            UserRef("console", f"author{i}", f"author{i}"), community)
        ids.append(member.id)
    now = time.time()
    rows = []
    for n in range(1, count + 1):
        title = " ".join(rng.choices(words, weights, k=rng.randint(3, 6))).capitalize()
        description = " ".join(rng.choices(words, weights, k=rng.randint(10, 25)))
        rows.append(("console", n, title, description, fold(f"{title}\n{description}"),
                     rng.choice(STATUSES), rng.choice(ids), int(rng.random() < 0.1),
                     rng.randint(0, 40), now - (count - n) * 60, now - (count - n) * 60))
    db = bot.db  # type: ignore[attr-defined]
    for start in range(0, len(rows), 5000):
        await db.executemany(
            "INSERT INTO ideas_ideas (community, number, title, description, search_text,"
            " status, author_id, anonymous, supporters, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", rows[start:start + 5000])
    await db.execute("INSERT INTO ideas_counters (community, last_number) VALUES ($1, $2)",
                     "console", count)
    return words


async def measure(runs: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(10):  # warm caches
        await call()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    return samples


def row(label: str, samples: list[float], note: str = "") -> list[object]:
    return [label, f"{pct(samples, .5) * 1e3:.2f}", f"{pct(samples, .99) * 1e3:.2f}",
            f"{max(samples) * 1e3:.2f}", note]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(42)
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        tb = await make_test_bot(tmp, builtins=BUILTINS)
        t0 = time.perf_counter()
        words = await seed(tb.bot, args.ideas, args.members, rng)
        seeded = time.perf_counter() - t0
        adapter = tb.chat.adapter
        await adapter.say("reader", "hello")
        await adapter.say("author7", "hello")
        common, middle, rare = words[0], words[100], words[2500]

        def command(text: str, name: str = "reader") -> Callable[[], Awaitable[object]]:
            async def call() -> None:
                replies = await adapter.say(name, text)
                assert replies and "Sorry" not in replies[-1].current, replies
                if len(adapter.sent) > 10_000:
                    adapter.sent.clear()
            return call

        count = {w: await tb.bot.db.fetchval(
            "SELECT COUNT(*) FROM ideas_ideas WHERE search_text LIKE $1", f"%{w}%")
            for w in (common, middle, rare)}
        cases = [
            ("!idea list (page 1, default statuses)", "!idea list", ""),
            ("!idea list --page 100", "!idea list --page 100", "offset 990"),
            ("!idea list --page 5000", "!idea list --page 5000", "offset 49,990"),
            ("!idea list review", "!idea list review", "10% of ideas"),
            ("!idea list --mine", "!idea list --mine", "author7"),
            (f"!idea search {common} (common word)", f"!idea search {common}",
             f"{count[common]} matches"),
            (f"!idea search {middle}", f"!idea search {middle}", f"{count[middle]} matches"),
            (f"!idea search {rare} (rare word)", f"!idea search {rare}",
             f"{count[rare]} matches"),
            (f"!idea search {common} {middle}", f"!idea search {common} {middle}", "two words"),
        ]
        for label, text, note in cases:
            who = "author7" if "--mine" in text else "reader"
            suffix = ", FTS5" if "search" in text else ""
            rows.append(row(f"Ruche {label}{suffix}",
                            await measure(args.runs, command(text, who)), note))
        real_has_fts = store.has_fts

        async def no_fts(q: object) -> bool:
            return False

        store.has_fts = no_fts  # type: ignore[assignment]
        try:
            for label, text, note in [c for c in cases if "search" in c[1]]:
                rows.append(row(f"Ruche {label}, LIKE fallback",
                                await measure(args.runs, command(text)), note))
        finally:
            store.has_fts = real_has_fts  # type: ignore[assignment]
        db_path = tmp / "ruche.sqlite3"
        await tb.stop()

        conn = sqlite3.connect(db_path)
        sql = ("SELECT i.*, c.name FROM ideas_ideas i LEFT JOIN ideas_campaigns c"
               " ON c.id = i.campaign_id WHERE i.community = ? AND i.status IN"
               " ('open', 'review', 'voting', 'accepted', 'implemented')"
               " ORDER BY i.number DESC LIMIT 11 OFFSET 0")

        async def bare() -> None:
            conn.execute(sql, ("console",)).fetchall()

        rows.insert(0, row("bare sqlite3: the list page query alone", await measure(
            args.runs, bare), "baseline"))
        conn.close()
    print(table(["operation (100,000 ideas)" if args.ideas == 100_000 else
                 f"operation ({args.ideas} ideas)", "p50 ms", "p99 ms", "max ms", "note"], rows))
    print(f"\nseeded {args.ideas} ideas in {seeded:.1f} s; peak RSS {rss_mb():.0f} MB; "
          f"python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
          f"{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
