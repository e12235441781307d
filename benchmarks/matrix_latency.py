"""Matrix round trip: what Ruche adds over a bare matrix-nio echo bot, on the same Synapse.

Starts a throwaway Synapse (tests/matrix/synapse.py; needs scripts/setup-synapse), then two bots,
each in its own process as in production: a bare nio bot answering `!ping` with a reply, and
`ruche run` with only the Matrix platform (every built-in plugin loaded). A member client in this
process pings each bot in its own room, alternating between the two so both see the same load.
A round trip is member `room_send` → homeserver → bot sync → bot reply → member sync. Plain and
encrypted rooms. Target: Ruche adds < 10 ms at the median.

Usage: python benchmarks/matrix_latency.py [--pings 100] [--warmup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    MatrixRoom,
    RoomMessageText,
    SyncResponse,
)

from benchmarks._table import pct, table
from tests.matrix.member import Member
from tests.matrix.synapse import Account, Homeserver, start_homeserver


async def echo_bot(url: str, account: Account, store: Path) -> None:
    """The baseline (run in its own process): the smallest correct E2EE-capable nio bot."""
    client = AsyncClient(url, account.user_id, store_path=str(store),
                         config=AsyncClientConfig(store_sync_tokens=False))
    client.restore_login(account.user_id, account.device_id, account.access_token)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.body == "!ping":
            await client.room_send(room.room_id, "m.room.message", {
                "msgtype": "m.notice", "body": "Pong!",
                "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}}},
                ignore_unverified_devices=True)

    async def on_invite(room: MatrixRoom, event: object) -> None:
        await client.join(room.room_id)

    if client.should_upload_keys:
        await client.keys_upload()
    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    first = await client.sync(timeout=0, full_state=True)  # history: not answered
    assert isinstance(first, SyncResponse), first
    client.add_event_callback(on_text, RoomMessageText)
    await client.sync_forever(timeout=30000)


def start_echo(server: Homeserver, account: Account, work: Path) -> subprocess.Popen[bytes]:
    args = json.dumps([server.url, account.__dict__, str(work / "echo")])
    return subprocess.Popen([sys.executable, __file__, "--echo", args], cwd=ROOT,
                            stdin=subprocess.DEVNULL)


def start_ruche(server: Homeserver, account: Account, work: Path,
                synchronous: str) -> subprocess.Popen[bytes]:
    """`ruche run` with a config file, as an operator would start it (console off)."""
    data = work / "ruche"
    data.mkdir()
    config = data / "ruche.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{data}"\n\n[storage]\nurl = "sqlite:///{data}/ruche.sqlite3?synchronous={synchronous}"\n\n'
        "[logging]\nlevel = \"WARNING\"\n\n[platforms.console]\nenabled = false\n\n"
        f'[platforms.matrix]\nhomeserver = "{server.url}"\nuser_id = "{account.user_id}"\n'
        'access_token = { env = "BENCH_MATRIX_TOKEN" }\nauto_join = ["*"]\n')
    import os

    env = dict(os.environ, BENCH_MATRIX_TOKEN=account.access_token)
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, env=env)


PAUSE = 0.05


async def round_trip(member: Member, room: str, bot: str) -> float:
    start = time.perf_counter()
    event_id = await member.say(room, "!ping")
    await member.reply_to(room, event_id, bot, within=30)
    return (time.perf_counter() - start) * 1000


async def bot_room(member: Member, bot: str, encrypted: bool) -> str:
    room = await member.create_room("bench", encrypted=encrypted, invite=(bot,))
    await member.joined(room, bot, within=60)
    await round_trip(member, room, bot)  # the bot knows the room and its keys
    return room


async def measure(server: Homeserver, work: Path, pings: int, warmup: int,
                  synchronous: str) -> list[list[object]]:
    member = Member(server.url, server.register("member"), work / "member")
    await member.start()
    echo_account, ruche_account = server.register("echo"), server.register("ruche")
    procs = [start_echo(server, echo_account, work),
             start_ruche(server, ruche_account, work, synchronous)]
    rows: list[list[object]] = []
    try:
        bots = {"bare": echo_account.user_id, "ruche": ruche_account.user_id}
        for encrypted in (False, True):
            rooms = {name: await bot_room(member, user, encrypted) for name, user in bots.items()}
            samples: dict[str, list[float]] = {"bare": [], "ruche": []}
            for i in range(warmup + pings):
                # Who goes first alternates: the second of a pair meets a homeserver still busy
                # with the first one's reply; a pause lets each ping start from quiet.
                for name in ("bare", "ruche") if i % 2 else ("ruche", "bare"):
                    await asyncio.sleep(PAUSE)
                    ms = await round_trip(member, rooms[name], bots[name])
                    if i >= warmup:
                        samples[name].append(ms)
            kind = "encrypted" if encrypted else "plain"
            bare, ruche = samples["bare"], samples["ruche"]
            rows.append([f"bare matrix-nio echo bot, {kind} room", len(bare),
                         f"{pct(bare, 0.5):.1f}", f"{pct(bare, 0.95):.1f}", ""])
            rows.append([f"Ruche (`ruche run`, SQLite {synchronous}), {kind} room", len(ruche),
                         f"{pct(ruche, 0.5):.1f}", f"{pct(ruche, 0.95):.1f}",
                         f"{pct(ruche, 0.5) - pct(bare, 0.5):+.1f}"])
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        await member.stop()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pings", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL",
                        help="SQLite synchronous mode of Ruche's database (default FULL)")
    parser.add_argument("--echo", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.echo:
        url, account, store = json.loads(args.echo)
        Path(store).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (before any I/O starts)
        await echo_bot(url, Account(**account), Path(store))
        return
    work = Path(tempfile.mkdtemp(prefix="ruche-matrix-bench-"))
    server = start_homeserver(work / "synapse")
    try:
        rows = await measure(server, work, args.pings, args.warmup, args.synchronous)
    finally:
        server.stop()
    print(table(["bot", "pings", "p50 ms", "p95 ms", "Ruche adds (p50) ms"], rows))


if __name__ == "__main__":
    asyncio.run(main())
