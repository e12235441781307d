"""Platform failures: fatal gateway closes, invalidated sessions, zombie connections, 403s."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from discord_env import BUILTINS, Env, MakeEnv, discord_section
from discord_recorder import Recorder
from fake_discord import ADMIN_ROLE_ID, CHANNEL_ID, GUILD_ID, FakeDiscord

from bot.adapters.discord.adapter import DiscordAdapter
from bot.testing import make_test_bot


def discord_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "ruche.discord" and r.levelno >= logging.ERROR]


async def run_until_the_adapter_stops(tmp_path: Path, storage: dict[str, Any]
                                      ) -> DiscordAdapter:
    """Start a bot whose gateway is refused; return its adapter once its connection task ended."""
    raw = {"platforms": {"discord": discord_section()}, **storage}
    tb = await make_test_bot(tmp_path, raw=raw, builtins=BUILTINS, plugins={"rec": Recorder()})
    try:
        adapter = tb.bot.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        runner = adapter._runner
        assert runner is not None
        await asyncio.wait_for(asyncio.shield(runner), 10)  # ended: no retry loop
        assert runner.exception() is None
        assert adapter.client.is_closed()
        return adapter
    finally:
        await tb.bot.stop()


@pytest.mark.parametrize(("code", "says"), [
    (4004, "[platforms.discord] token"),
    (4014, "Privileged Gateway Intents"),
])
async def test_fatal_close_codes_end_with_one_clear_line(
        fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture, code: int,
        says: str, storage: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    fake.close_on_identify = code
    caplog.set_level(logging.INFO)
    await run_until_the_adapter_stops(tmp_path, await storage())
    errors = discord_errors(caplog)
    assert len(errors) == 1, errors
    assert says in errors[0]
    assert len(fake.identifies) == 1  # tried once, never again
    assert not fake.connected()


async def test_invalid_session_resumable_resumes(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 1)
    await fake.invalidate(resumable=True)  # op 9, d=true
    await fake.wait_for(lambda: fake.resumes and fake.connected())
    assert fake.resumes[0]["session_id"] in fake.sessions
    assert len(fake.identifies) == 1  # the same session goes on
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 2)
    assert fake.texts().count("count 1") == 1


async def test_invalid_session_not_resumable_identifies_again(env: Env) -> None:
    fake, rec = env.fake, env.rec
    await fake.invalidate(resumable=False)  # op 9, d=false: a new session
    await fake.wait_for(lambda: len(fake.identifies) == 2 and fake.connected())
    assert not fake.resumes
    await fake.say(fake.person("alice"), "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 1)


async def test_missed_heartbeat_acks_reconnect(env: Env) -> None:
    """A zombie connection (heartbeats unanswered) is closed and resumed by the client."""
    fake, rec = env.fake, env.rec
    fake.heartbeat_interval = 100  # ms, for the connections that follow
    env.adapter.client._connection.heartbeat_timeout = 2.0  # discord.py's default is 60 s
    await fake.reconnect()  # op 7: the next connection uses both
    await fake.wait_for(lambda: fake.resumes and fake.connected())
    await fake.wait_for(lambda: fake.heartbeats >= 2)  # ACKed: the connection is healthy
    fake.ack_heartbeats = False
    before = len(fake.resumes)
    await fake.wait_for(lambda: len(fake.resumes) > before, within=15)  # left the zombie
    fake.ack_heartbeats = True
    await fake.wait_for(fake.connected)
    assert len(fake.identifies) == 1
    await fake.say(fake.person("alice"), "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 1)


async def test_missing_permissions_are_logged_once_and_shown_to_admins(
        fake: FakeDiscord, make_env: MakeEnv, caplog: pytest.LogCaptureFixture) -> None:
    other = int(fake.add_channel()["id"])
    env = await make_env()
    rec = env.rec
    caplog.set_level(logging.INFO)
    fake.forbidden.add(CHANNEL_ID)
    alice = fake.person("alice")
    for n in range(1, 4):
        await fake.say(alice, "!count")
        await fake.wait_for(lambda n=n: rec.counts["count"] == n)
    await fake.wait_for(lambda: len(fake.refused) == 3)
    assert all(r.path == f"/channels/{CHANNEL_ID}/messages" for r in fake.refused)
    errors = discord_errors(caplog)
    assert len(errors) == 1, errors  # once, not once per message
    assert str(CHANNEL_ID) in errors[0] and "Send Messages" in errors[0]
    assert "#general" in errors[0]
    owner = fake.users[int(fake.guilds[GUILD_ID]["owner_id"])]
    told = int(fake._dm_channel(owner)["id"])
    await fake.wait_for(lambda: fake.texts(told))
    assert len(fake.texts(told)) == 1  # the owner can fix it: told once, in a DM
    assert "#general" in fake.texts(told)[0] and "Send Messages" in fake.texts(told)[0]
    admin = fake.person("ada", roles=[ADMIN_ROLE_ID])
    await fake.say(admin, "!lasterror", channel_id=other)
    shown = await fake.wait_for(lambda: [t for t in fake.texts(other)
                                         if "may not send messages" in t])
    assert "#general" in shown[0]
    fake.forbidden.discard(CHANNEL_ID)  # the moderators fixed the channel
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: "count 4" in fake.texts())
    fake.forbidden.add(CHANNEL_ID)  # and it broke again: that is news, reported again
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: len(discord_errors(caplog)) == 2)
    await fake.wait_for(lambda: len(fake.texts(told)) == 2)
