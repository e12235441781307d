"""Discord gateway benchmark: 10,000 reaction events through the loopback fake into one poll.

The real discord.py client reads MESSAGE_REACTION_ADD frames from the fake gateway; Ruche turns
each into a ReactionEvent (replay-safe id, name, role), de-duplicates it in the database and
hands it to a poll plugin: a minimal one storing an approval ballot per (member, option) and
editing the tally at most once every 2 s (SPEC §3.2), then the real votes plugin with an
approval poll (its reaction ballots and live tally; the tally must show every member's ballot).
Baselines in the same run: a bare discord.py client counting `on_raw_reaction_add` in memory
(the gateway and parsing ceiling) and the same client doing one aiosqlite INSERT+COMMIT per
event.

The fake and the bot share one process and one event loop, so the numbers include the fake's
own JSON encoding and websocket writes. Usage:
python benchmarks/discord_gateway.py [--events 10000] [--members 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

import aiosqlite
import discord
import yarl
from fake_discord import CHANNEL_ID, GUILD_ID, MOD_ROLE_ID, FakeDiscord

from benchmarks._table import pct, rss_mb, table
from bot import hookimpl
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.client import GatewayClient
from bot.model import Community, Member, MessageRef, OutgoingMessage, ReactionEvent, RoomRef
from bot.storage import Migrations, Tx
from bot.testing import make_test_bot

OPTIONS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
EDIT_EVERY = 2.0  # SPEC §3.2: the live tally is edited at most once every 2 seconds per poll

migrations = Migrations("bench")


@migrations.step(1, "approval ballots")
async def _ballots(tx: Tx) -> None:
    await tx.execute("CREATE TABLE bench_ballots (poll TEXT NOT NULL, member_id BIGINT NOT NULL,"
                     " option INTEGER NOT NULL, PRIMARY KEY (poll, member_id, option))")


class PollPlugin:
    """One approval poll counted from reactions, its tally edited with a trailing throttle."""

    def __init__(self) -> None:
        self.poll: MessageRef | None = None
        self.target = 0
        self.all_counted = asyncio.Event()
        self.counted = 0
        self.latencies: list[float] = []
        self.sent_at: dict[tuple[str, str], float] = {}
        self.edits = 0
        self._last_edit = 0.0
        self._edit: asyncio.Task[None] | None = None

    @hookimpl
    def register_migrations(self, bot: Any) -> Migrations:
        return migrations

    @hookimpl
    async def on_reaction(self, bot: Any, event: ReactionEvent, community: Community,
                          member: Member) -> None:
        if self.poll is None or event.message.id != self.poll.id or event.emoji not in OPTIONS:
            return
        option = OPTIONS.index(event.emoji)
        if event.added:
            await bot.db.execute("INSERT INTO bench_ballots (poll, member_id, option) "
                                 "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                 self.poll.id, member.id, option)
        else:
            await bot.db.execute("DELETE FROM bench_ballots WHERE poll = $1 AND member_id = $2 "
                                 "AND option = $3", self.poll.id, member.id, option)
        self.counted += 1
        if self.counted >= self.target:
            self.all_counted.set()
        sent = self.sent_at.pop((event.user.id, event.emoji), None)
        if sent is not None:
            self.latencies.append(time.perf_counter() - sent)
        if self._edit is None or self._edit.done():
            self._edit = asyncio.create_task(self._edit_tally(bot))

    async def _edit_tally(self, bot: Any) -> None:
        await asyncio.sleep(max(0.0, self._last_edit + EDIT_EVERY - time.monotonic()))
        self._last_edit = time.monotonic()
        assert self.poll is not None
        rows = await bot.db.fetch("SELECT option, COUNT(*) AS n FROM bench_ballots "
                                  "WHERE poll = $1 GROUP BY option", self.poll.id)
        counts = {int(r["option"]): int(r["n"]) for r in rows}
        text = "Poll: " + "  ".join(f"{e} {counts.get(i, 0)}" for i, e in enumerate(OPTIONS))
        await bot.edit(self.poll, OutgoingMessage(text))
        self.edits += 1

    async def flushed(self) -> None:
        while self._edit is not None and not self._edit.done():
            await self._edit


def _members(fake: FakeDiscord, count: int) -> list[dict[str, Any]]:
    return [fake.person(f"member{i}") for i in range(count)]


async def _push(fake: FakeDiscord, members: list[dict[str, Any]], message_id: str,
                events: int, stamp: dict[tuple[str, str], float] | None) -> float:
    """Send `events` distinct reaction adds; returns when the first was sent."""
    started = time.perf_counter()
    for n in range(events):
        user = members[n % len(members)]
        emoji = OPTIONS[(n // len(members)) % len(OPTIONS)]
        if stamp is not None:
            stamp[(user["id"], emoji)] = time.perf_counter()
        await fake.react(user, message_id, emoji)
        if n % 200 == 199:
            await asyncio.sleep(0)  # let the client read while the fake writes
    return started


async def bench_ruche(tmp: Path, fake: FakeDiscord, members: list[dict[str, Any]],
                      events: int) -> list[object]:
    plugin = PollPlugin()
    raw = {"platforms": {"discord": {"token": "test-token", "guild_ready_timeout": 0.05,
                                     "sync_on_start": False}}}
    tb = await make_test_bot(tmp / "ruche", raw=raw, plugins={"poll": plugin},
                             builtins={"core": "bot.commands.builtin",
                                       "discord": "bot.adapters.discord"})
    adapter = tb.bot.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    await adapter.wait_until_ready(10)
    room = RoomRef("discord", str(CHANNEL_ID), "general", str(GUILD_ID))
    plugin.poll = await tb.bot.send(room, OutgoingMessage("Poll: which bee hotel?",
                                                          reactions=OPTIONS))
    patches_before = len(fake.calls("PATCH", r"/messages/"))
    plugin.target = events
    started = await _push(fake, members, plugin.poll.id, events, plugin.sent_at)
    await asyncio.wait_for(plugin.all_counted.wait(), 120)
    elapsed = time.perf_counter() - started
    await plugin.flushed()
    stored = await tb.bot.db.fetchval("SELECT COUNT(*) FROM bench_ballots")
    final = fake.messages[int(plugin.poll.id)]["content"]
    patches = len(fake.calls("PATCH", r"/messages/")) - patches_before
    total = sum(int(part.split()[1]) for part in final.removeprefix("Poll: ").split("  "))
    await tb.stop()
    assert stored == events and total == events, (stored, total)
    return ["Ruche + minimal poll plugin (one INSERT per event)",
            events, plugin.counted, f"{elapsed:.2f}", int(plugin.counted / elapsed),
            f"{pct(plugin.latencies, .5) * 1e3:.1f}", f"{pct(plugin.latencies, .99) * 1e3:.1f}",
            f"{patches} (≤ {int(elapsed / EDIT_EVERY) + 2})"]


class Counter:
    """Runs after every other `on_reaction` (trylast): an event counted here is fully handled."""

    def __init__(self) -> None:
        self.poll_id = ""
        self.target = 0
        self.counted = 0
        self.all_counted = asyncio.Event()
        self.sent_at: dict[tuple[str, str], float] = {}
        self.latencies: list[float] = []

    @hookimpl(trylast=True)
    async def on_reaction(self, bot: Any, event: ReactionEvent, community: Community,
                          member: Member) -> None:
        if event.message.id != self.poll_id:
            return
        self.counted += 1
        sent = self.sent_at.pop((event.user.id, event.emoji), None)
        if sent is not None:
            self.latencies.append(time.perf_counter() - sent)
        if self.counted >= self.target:
            self.all_counted.set()


async def bench_votes(tmp: Path, fake: FakeDiscord, members: list[dict[str, Any]],
                      events: int) -> list[object]:
    """The real votes plugin: an approval poll, reaction ballots, its own coalesced tally."""
    counter = Counter()
    raw = {"platforms": {"discord": {"token": "test-token", "guild_ready_timeout": 0.05,
                                     "sync_on_start": False}}}
    tb = await make_test_bot(tmp / "votes", raw=raw, plugins={"count": counter},
                             builtins={"core": "bot.commands.builtin",
                                       "discord": "bot.adapters.discord",
                                       "votes": "plugins.votes"})
    adapter = tb.bot.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    await adapter.wait_until_ready(10)
    options = " ".join(f'"Hotel {i}"' for i in range(len(OPTIONS)))
    await fake.say(fake.person("benchmod", roles=[MOD_ROLE_ID]),
                   f'!poll new "Which bee hotel?" {options} --method approval')
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages()
                                         if "Which bee hotel?" in m["content"]
                                         and m["components"]], 10))[0]
    await fake.wait_for(lambda: sum(1 for mid, _e in fake.reactions if mid == int(poll["id"]))
                        >= len(OPTIONS), 10)
    counter.poll_id, counter.target = poll["id"], events
    patches_before = len(fake.calls("PATCH", rf"/messages/{poll['id']}$"))
    started = await _push(fake, members, poll["id"], events, counter.sent_at)
    await asyncio.wait_for(counter.all_counted.wait(), 120)
    elapsed = time.perf_counter() - started
    ballots = f"{len(members)} ballots"
    await fake.wait_for(lambda: ballots in fake.messages[int(poll["id"])]["content"], 10)
    patches = len(fake.calls("PATCH", rf"/messages/{poll['id']}$")) - patches_before
    await tb.stop()
    return ["Ruche + votes plugin: approval poll, reaction ballots, live tally",
            events, counter.counted, f"{elapsed:.2f}", int(counter.counted / elapsed),
            f"{pct(counter.latencies, .5) * 1e3:.1f}", f"{pct(counter.latencies, .99) * 1e3:.1f}",
            f"{patches} (≤ {int(elapsed / EDIT_EVERY) + 2})"]


class BareClient(discord.Client):
    """discord.py alone: what reading and parsing the gateway costs."""

    def __init__(self, db: aiosqlite.Connection | None) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_reactions = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.db = db
        self.counted = 0
        self.target = 0
        self.all_counted = asyncio.Event()
        self.lock = asyncio.Lock()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self.db is not None:
            async with self.lock:
                await self.db.execute("INSERT OR IGNORE INTO ballots VALUES (?, ?, ?)",
                                      (payload.message_id, payload.user_id, str(payload.emoji)))
                await self.db.commit()
        self.counted += 1
        if self.counted >= self.target:
            self.all_counted.set()


async def bench_bare(tmp: Path, fake: FakeDiscord, members: list[dict[str, Any]], events: int,
                     with_db: bool) -> list[object]:
    db = None
    if with_db:
        db = await aiosqlite.connect(tmp / "bare.sqlite3")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("CREATE TABLE ballots (m INTEGER, u INTEGER, e TEXT, "
                         "PRIMARY KEY (m, u, e))")
        await db.commit()
    client = BareClient(db)
    await client.login("test-token")
    task = asyncio.create_task(client.connect())
    await asyncio.wait_for(client.wait_until_ready(), 10)
    message = await client.get_partial_messageable(CHANNEL_ID).send("bare poll")
    client.target = events
    started = await _push(fake, members, str(message.id), events, None)
    await asyncio.wait_for(client.all_counted.wait(), 120)
    elapsed = time.perf_counter() - started
    await client.close()
    await asyncio.wait_for(task, 10)
    if db is not None:
        await db.close()
    label = ("bare discord.py + aiosqlite INSERT+COMMIT per event" if with_db
             else "bare discord.py on_raw_reaction_add, count in memory")
    return [label, events, client.counted, f"{elapsed:.2f}", int(client.counted / elapsed),
            "-", "-", "-"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    fake = FakeDiscord()
    await fake.start()
    discord.http.Route.BASE = f"http://{fake.host}/api/v10"  # type: ignore[misc]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.ws_url)

    async def no_delay(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    GatewayClient.before_identify_hook = no_delay  # type: ignore[method-assign]
    members = _members(fake, args.members)
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "ruche").mkdir()
        rows.append(await bench_bare(tmp, fake, members, args.events, with_db=False))
        rows.append(await bench_bare(tmp, fake, members, args.events, with_db=True))
        rows.append(await bench_ruche(tmp, fake, members, args.events))
        (tmp / "votes").mkdir()
        rows.append(await bench_votes(tmp, fake, members, args.events))
    await fake.stop()
    print(table(["pipeline", "events", "counted", "seconds", "events/s", "p50 ms", "p99 ms",
                 "tally edits"], rows))
    print(f"\n{args.members} members × {args.events // args.members} options; peak RSS "
          f"{rss_mb():.0f} MB; python {sys.version.split()[0]}; discord.py "
          f"{discord.__version__}; {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    asyncio.run(main())
