"""The real discord.py client against the loopback fake: connection, messages, resilience."""

from __future__ import annotations

import asyncio
import time

from discord_env import Env, MakeEnv
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_GUILD_ID,
    FakeDiscord,
    Interaction,
)

MESSAGE_CONTENT = 1 << 15
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1


async def test_ready_identify_with_configured_intents(env: Env, make_env: MakeEnv) -> None:
    fake = env.fake
    identify = fake.identifies[0]
    assert identify["token"] == "test-token"
    assert identify["shard"] == [0, 1]
    assert identify["intents"] & MESSAGE_CONTENT and identify["intents"] & GUILDS
    assert not identify["intents"] & GUILD_MEMBERS  # privileged: only when configured
    assert env.adapter.client.is_ready()
    assert env.adapter.people.bot_user_id == str(BOT_ID)
    with_members = await make_env(intents=["message_content", "members"])
    assert fake.identifies[-1]["intents"] & GUILD_MEMBERS
    assert with_members.adapter.client.is_ready()


async def test_prefix_command_is_answered_as_a_reply(env: Env) -> None:
    fake = env.fake
    alice = fake.person("alice")
    asked = await fake.say(alice, "!ping")
    reply = await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["content"] == "Pong!"])
    assert reply[0]["message_reference"]["message_id"] == asked["id"]
    assert fake.calls("POST", rf"^/channels/{CHANNEL_ID}/messages$")[0].body[
        "allowed_mentions"]["parse"] == ["users"]  # never @everyone from user text


async def test_bots_webhooks_and_own_messages_are_ignored(env: Env) -> None:
    fake, rec = env.fake, env.rec
    robot = fake.person("robot", bot=True)
    await fake.say(robot, "!count")
    await fake.say(fake.person("hook"), "!count", webhook_id="123456789012345678")
    await fake.say(fake.bot_user, "!count")  # our own account
    await fake.say(fake.person("alice"), "!count")
    await fake.wait_for(lambda: "count 1" in fake.texts())
    await asyncio.sleep(0.1)
    assert rec.counts["count"] == 1


async def test_rate_limit_is_honoured(env: Env) -> None:
    fake = env.fake
    fake.limit("POST", rf"^/channels/{CHANNEL_ID}/messages$", retry_after=0.3)
    started = time.monotonic()
    await fake.say(fake.person("alice"), "!ping")
    await fake.wait_for(lambda: "Pong!" in fake.texts())
    assert len(fake.served_429) == 1
    posts = fake.calls("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    assert len(posts) == 1  # refused once, sent once
    assert posts[0].at - fake.served_429[0] >= 0.29  # waited `retry_after`
    assert time.monotonic() - started >= 0.3


async def test_disconnect_resume_replays_without_running_twice(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 1)
    await fake.drop(code=4000)  # outage: resumable close
    await fake.wait_for(lambda: not fake.connected())
    fake.redeliver = 3  # Discord may send again what the client already had
    await fake.wait_for(lambda: fake.resumes and fake.connected())
    assert fake.resumes[0]["session_id"] in fake.sessions
    assert len(fake.identifies) == 1  # resumed, not re-identified
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 2)
    await asyncio.sleep(0.1)
    assert rec.counts["count"] == 2
    assert fake.texts().count("count 1") == 1


async def test_events_sent_during_an_outage_arrive_once_after_resume(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.reconnect()  # op 7: the client closes and resumes
    await fake.wait_for(lambda: fake.resumes)
    await fake.drop(code=4000)
    await fake.say(alice, "!count")  # kept by the session, replayed on RESUME
    fake.redeliver = 5
    await fake.wait_for(lambda: rec.counts["count"] == 1)
    await fake.wait_for(lambda: len(fake.resumes) == 2)
    await asyncio.sleep(0.1)
    assert rec.counts["count"] == 1


async def test_sharded_process_runs_its_shard_range(fake: FakeDiscord, make_env: MakeEnv
                                                    ) -> None:
    fake.shard_count = 2
    other = fake.add_guild(OTHER_GUILD_ID, "Other hive", channel_id=810000000000000099)
    assert fake.shard_of(OTHER_GUILD_ID) != fake.shard_of(GUILD_ID)
    both = await make_env(shard_count=2, shard_ids=[0, 1], dev_guild_ids=[])
    assert sorted(i["shard"][0] for i in fake.identifies) == [0, 1]
    alice = fake.person("alice", guild_id=OTHER_GUILD_ID)
    await fake.say(alice, "!count", channel_id=int(other["channels"][0]["id"]),
                   guild_id=OTHER_GUILD_ID)
    await fake.wait_for(lambda: both.rec.counts["count"] == 1)
    assert set(fake.commands) == {GUILD_ID, OTHER_GUILD_ID}  # every guild in guild mode
    await both.tb.bot.stop()
    shard = fake.shard_of(OTHER_GUILD_ID)
    one = await make_env(shard_count=2, shard_ids=[shard])
    assert fake.identifies[-1]["shard"] == [shard, 2]
    assert [g.id for g in one.adapter.client.guilds] == [OTHER_GUILD_ID]


async def test_minimal_payloads_are_understood(env: Env) -> None:
    """Exactly the keys the recipe lists: a silent drop here would fake every negative test."""
    fake, rec = env.fake, env.rec
    user = {"id": "700000000000000001", "username": "min", "discriminator": "0",
            "avatar": None}
    fake.users[700000000000000001] = user
    fake.add_member(GUILD_ID, user)
    await fake.dispatch("MESSAGE_CREATE", {
        "id": "700000000000000010", "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID),
        "type": 0, "content": "!count", "author": user})
    await fake.wait_for(lambda: rec.counts["count"] == 1)
    payload = {
        "id": "700000000000000020", "application_id": str(BOT_ID), "type": 2,
        "token": "tok", "version": 1, "attachment_size_limit": 1024,
        "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
        "member": {"user": user, "roles": [], "flags": 0},
        "data": {"name": "count", "options": []}}
    interaction = Interaction(700000000000000020, "tok", payload)
    fake.interactions[interaction.id] = interaction
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda: interaction.callbacks)
    assert rec.counts["count"] == 2
    assert interaction.callbacks[0]["data"]["content"] == "count 2"
