"""Catch-up after downtime: messages sent while the bot was away are read back on start."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import discord
import pytest
from discord_env import Env, MakeEnv
from fake_discord import CHANNEL_ID, FakeDiscord


def answered(fake: FakeDiscord) -> list[str]:
    """Ids of the messages the bot replied to, in the order of its replies."""
    return [m["message_reference"]["message_id"] for m in fake.bot_messages(CHANNEL_ID)
            if m.get("message_reference")]


def reads(fake: FakeDiscord) -> int:
    """How many times the bot read the channel's history."""
    return len(fake.calls("GET", rf"^/channels/{CHANNEL_ID}/messages$"))


async def restart_and_catch_up(env: Env, while_down: Callable[[], Any] | None = None) -> None:
    """Restart; return once the new session read the channel and handled what it chose."""
    before = reads(env.fake)
    await env.restart(while_down)
    await env.fake.wait_for(lambda: reads(env.fake) > before)
    await env.adapter.inbound.drain(10)


async def test_commands_sent_while_down_are_answered_once_in_order(
        make_env: MakeEnv, caplog: pytest.LogCaptureFixture) -> None:
    env = await make_env(catch_up_age="1h", catch_up_messages=50)
    fake = env.fake
    alice, bob = fake.person("alice"), fake.person("bob")
    live = await fake.say(alice, "!ping")
    await fake.wait_for(lambda: answered(fake) == [live["id"]])
    now = time.time()
    sent: dict[str, dict[str, Any]] = {}

    def while_down() -> None:
        sent["old"] = fake.said_offline(bob, "!ping", at=now - 2 * 3600)  # beyond the 1 h bound
        sent["first"] = fake.said_offline(alice, "!ping", at=now - 600)
        sent["chat"] = fake.said_offline(bob, "just chatting", at=now - 500)
        sent["second"] = fake.said_offline(bob, "!ping", at=now - 300)
        sent["third"] = fake.said_offline(alice, "!ping", at=now - 60)

    caplog.set_level(logging.INFO)
    await restart_and_catch_up(env, while_down)
    assert answered(fake) == [live["id"], sent["first"]["id"], sent["second"]["id"],
                              sent["third"]["id"]]
    assert fake.texts().count("Pong!") == 4
    assert any("older than the bound: not answered" in r.getMessage()
               and sent["old"]["id"] in r.getMessage() for r in caplog.records)
    # A second restart reads the same history again and answers nothing twice.
    await restart_and_catch_up(env)
    assert len(answered(fake)) == 4
    # The bot is live again: a new command is answered as usual.
    new = await fake.say(bob, "!ping")
    await fake.wait_for(lambda: answered(fake)[-1:] == [new["id"]])


async def test_the_count_bound_keeps_the_newest_messages(make_env: MakeEnv) -> None:
    env = await make_env(catch_up_messages=2)
    fake = env.fake
    alice = fake.person("alice")
    now = time.time()
    sent: list[dict[str, Any]] = []

    def while_down() -> None:
        sent.extend(fake.said_offline(alice, "!ping", at=now - 30 + i) for i in range(4))

    await restart_and_catch_up(env, while_down)
    assert answered(fake) == [sent[2]["id"], sent[3]["id"]]


async def test_catch_up_off_answers_nothing_missed(make_env: MakeEnv) -> None:
    env = await make_env(catch_up_messages=0)
    fake = env.fake
    alice = fake.person("alice")
    await env.restart(lambda: fake.said_offline(alice, "!ping", at=time.time() - 5) and None)
    live = await fake.say(alice, "!ping")
    await fake.wait_for(lambda: answered(fake) == [live["id"]])
    assert reads(fake) == 0


async def test_the_fake_serves_history_as_discord_does(env: Env) -> None:
    fake = env.fake
    alice = fake.person("alice")
    now = time.time()
    ids = [int(fake.said_offline(alice, f"line {i}", at=now - 200 + i)["id"]) for i in range(150)]
    client = env.adapter.client
    channel = client.get_partial_messageable(CHANNEL_ID)
    # discord.py pages `after` upwards (oldest first) and `before` downwards (newest first).
    assert [m.id async for m in channel.history(limit=None, after=discord.Object(ids[9]))] \
        == ids[10:]
    assert [m.id async for m in channel.history(limit=120)] == ids[::-1][:120]
    raw = await client.http.logs_from(CHANNEL_ID, 5, after=ids[0])
    assert [int(m["id"]) for m in raw] == ids[5:0:-1]  # the five just above, newest first
    raw = await client.http.logs_from(CHANNEL_ID, 3, before=ids[10])
    assert [int(m["id"]) for m in raw] == [ids[9], ids[8], ids[7]]
    assert "guild_id" not in raw[0] and "member" not in raw[0]  # REST leaves them out
    with pytest.raises(discord.HTTPException):
        await client.http.logs_from(CHANNEL_ID, 101)


async def test_a_new_session_reads_back_what_the_lost_one_missed(env: Env) -> None:
    """INVALID_SESSION d=false: what was sent in between is not replayed by Discord; read back."""
    fake = env.fake
    alice = fake.person("alice")
    before = reads(fake)
    missed = fake.said_offline(alice, "!ping", at=time.time() - 2)  # its event was never sent
    await fake.invalidate(resumable=False)
    await fake.wait_for(lambda: len(fake.identifies) == 2 and reads(fake) > before)
    await fake.wait_for(lambda: answered(fake) == [missed["id"]])
    await env.adapter.inbound.drain(10)
    assert answered(fake) == [missed["id"]]
