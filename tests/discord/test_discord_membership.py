"""Members leaving or banned, and deleted messages, through the real client and the fake."""

from __future__ import annotations

import asyncio

from discord_env import Env, MakeEnv
from fake_discord import GUILD_ID

from bot.model import MessageRef


async def test_guild_member_remove_marks_the_member_gone(make_env: MakeEnv) -> None:
    env = await make_env(intents=["message_content", "members"])
    fake, rec = env.fake, env.rec
    alice, bob = fake.person("alice"), fake.person("bob")
    await fake.say(alice, "!count")
    await fake.say(bob, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 2)
    bot = env.tb.bot
    community = bot.communities.get(f"discord:{GUILD_ID}")
    member = await bot.identity.find(community, "discord", alice["id"])
    assert member is not None
    await fake.remove_member(alice)
    await fake.wait_for(lambda: rec.leaves)
    assert [(e.reason, e.user.id, e.room.guild, m) for e, m in rec.leaves] == [
        ("left", alice["id"], str(GUILD_ID), member.id)]
    assert await bot.identity.departed(community.id) == {member.id}
    await fake.remove_member(bob, banned=True)  # GUILD_BAN_ADD, then GUILD_MEMBER_REMOVE
    await fake.wait_for(lambda: len(rec.leaves) == 2)
    await asyncio.sleep(0.1)
    assert [e.reason for e, _m in rec.leaves] == ["left", "banned"]  # reported once
    fake.add_member(GUILD_ID, alice)  # she comes back and writes: the same member, present
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] == 3)
    assert len(await bot.identity.departed(community.id)) == 1
    back = await bot.identity.find(community, "discord", alice["id"])
    assert back is not None and back.id == member.id


async def test_a_command_deleted_before_it_arrives_is_never_run(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    late = fake.message_payload(alice, "!count")
    await fake.delete_message(late["id"])
    await fake.wait_for(lambda: rec.deleted)
    assert rec.deleted[0].message == MessageRef("discord", late["channel_id"], late["id"])
    assert rec.deleted[0].room.guild == str(GUILD_ID)
    await fake.dispatch("MESSAGE_CREATE", late)  # delivered late (or replayed)
    await fake.say(alice, "!count")
    await fake.wait_for(lambda: rec.counts["count"] >= 1)
    await asyncio.sleep(0.1)
    assert rec.counts["count"] == 1 and fake.texts() == ["count 1"]
