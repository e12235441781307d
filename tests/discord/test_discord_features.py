"""Reactions, permissions, DMs, uploads, edits and threads through the real client."""

from __future__ import annotations

import asyncio
from typing import Any

from discord_env import Env, MakeEnv
from fake_discord import (
    ADMIN_ROLE_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    HELPER_ROLE_ID,
    MOD_ROLE_ID,
)

from bot.model import MessageRef, Role


async def test_reaction_add_and_remove_reach_on_reaction(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!tally")
    message = (await fake.wait_for(lambda: fake.bot_messages()))[0]
    await fake.react(alice, message["id"], "👍")
    await fake.wait_for(lambda: rec.reactions)
    await fake.react(alice, message["id"], "👍", added=False)
    await fake.wait_for(lambda: len(rec.reactions) == 2)
    added, removed = rec.reactions
    assert (added.added, removed.added) == (True, False)
    assert added.emoji == removed.emoji == "👍"
    assert added.user.name == removed.user.name == "alice"  # removal payloads carry no name
    assert added.message.id == message["id"] and added.room.guild == message["guild_id"]
    assert added.message_author is not None and added.message_author.id == str(BOT_ID)
    assert added.message_author.is_bot
    assert removed.message_author == added.message_author  # remembered from MESSAGE_CREATE
    assert added.event_id != removed.event_id and added.event_id


async def test_bot_reactions_ignored_and_replayed_reactions_deduplicated(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!ping")
    message = (await fake.wait_for(lambda: fake.bot_messages()))[0]
    ref_text = message["id"]
    await env.adapter.react(MessageRef("discord", message["channel_id"], ref_text), "🅰️")
    await fake.wait_for(lambda: fake.reactions)
    await fake.react(fake.person("robot", bot=True), ref_text, "👍")
    await fake.react(alice, ref_text, "👍")
    await fake.wait_for(lambda: rec.reactions)
    await fake.drop()
    fake.redeliver = 3  # the reaction is delivered again on RESUME
    await fake.wait_for(lambda: fake.resumes and fake.connected())
    await fake.react(alice, ref_text, "👍", added=False)
    await fake.react(alice, ref_text, "👍")  # the same reaction again is a new event
    await fake.wait_for(lambda: len(rec.reactions) == 3)
    await asyncio.sleep(0.1)
    assert [(r.user.name, r.added) for r in rec.reactions] == [
        ("alice", True), ("alice", False), ("alice", True)]


async def test_member_without_manage_server_is_refused(env: Env) -> None:
    fake = env.fake
    await fake.say(fake.person("alice"), "!audit")
    await fake.wait_for(lambda: any("not allowed" in t for t in fake.texts()))
    bob = fake.person("bob")
    interaction = await fake.slash(bob, "modonly")
    await fake.wait_for(lambda: interaction.callbacks)
    assert "not allowed" in interaction.callbacks[0]["data"]["content"]


async def test_moderators_and_admins_from_permissions_and_roles(make_env: MakeEnv) -> None:
    env = await make_env(moderator_role_ids=[HELPER_ROLE_ID])
    fake, rec = env.fake, env.rec
    mod = fake.person("mod", roles=[MOD_ROLE_ID])
    await fake.say(mod, "!audit")
    await fake.wait_for(lambda: "The audit log is empty." in fake.texts())
    helper = fake.person("helper", roles=[HELPER_ROLE_ID])  # configured role id, no permission
    interaction = await fake.slash(helper, "modonly")
    await fake.wait_for(lambda: interaction.callbacks)
    assert interaction.callbacks[0]["data"]["content"] == "moderator ok"
    owner = fake.users[int(fake.guilds[next(iter(fake.guilds))]["owner_id"])]
    fake.add_member(next(iter(fake.guilds)), owner)
    for user in (fake.person("admin", roles=[ADMIN_ROLE_ID]), owner, fake.person("plain"),
                 mod):
        await fake.say(user, "!count")
    await fake.wait_for(lambda: len(rec.roles) == 4)
    assert sorted(rec.roles) == [Role.MEMBER, Role.MODERATOR, Role.ADMIN, Role.ADMIN]


async def test_direct_messages_both_ways(env: Env) -> None:
    fake = env.fake
    alice = fake.person("alice")
    asked = await fake.dm(alice, "!ping")
    await fake.wait_for(lambda: "Pong!" in fake.texts(int(asked["channel_id"])))
    await fake.say(alice, "!notify")
    await fake.wait_for(lambda: "psst" in fake.texts(int(asked["channel_id"])))
    assert "notified True" in await fake.wait_for(lambda: "\n".join(fake.texts()))
    in_dm = await fake.slash(alice, "count", guild_id=None, channel_id=int(asked["channel_id"]))
    await fake.wait_for(lambda: in_dm.callbacks)
    assert in_dm.callbacks[0]["data"]["content"] == "count 1"
    assert env.rec.roles == [Role.MEMBER]
    bob = fake.person("bob")
    fake.dm_closed.add(int(bob["id"]))
    await fake.say(bob, "!notify")
    await fake.wait_for(lambda: "@bob psst" in fake.texts())  # fell back to the room


async def test_file_upload(env: Env) -> None:
    fake = env.fake
    await fake.say(fake.person("alice"), "!export")
    upload = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["attachments"]]))
    assert upload[0]["content"] == "Ledger export"
    assert upload[0]["_files"] == [("ledger.csv", b"member,balance\nalice,5\n")]


async def test_edit_in_place_keeps_buttons(env: Env) -> None:
    fake, rec = env.fake, env.rec
    await fake.say(fake.person("alice"), "!tally")
    await fake.wait_for(lambda: fake.edits and rec.posted)
    message = fake.messages[int(rec.posted[0].id)]
    assert message["components"][0]["components"][0]["custom_id"] == "cmd:tally"
    assert message["content"] == "tally: 1"
    assert fake.calls("PATCH", rf"^/channels/{CHANNEL_ID}/messages/{message['id']}$")
    assert "components" not in fake.edits[0]  # an edit without buttons keeps the old ones


async def test_thread_under_a_message(env: Env) -> None:
    fake, rec = env.fake, env.rec
    await fake.say(fake.person("alice"), "!discuss")
    await fake.wait_for(lambda: len(fake.texts(None)) >= 3)
    parent = rec.posted[0]
    thread = fake.channels[int(parent.id)]
    assert thread["type"] == 11 and thread["name"] == "Idea #7: bee hotel"
    assert fake.texts(int(parent.id)) == ["first comment", "second comment"]
    assert len(fake.calls("POST", r"/threads$")) == 1


async def test_member_join_with_the_members_intent(make_env: MakeEnv) -> None:
    env = await make_env(intents=["message_content", "members"])
    fake = env.fake
    newbie = fake.add_user("newbie")
    member = fake.add_member(GUILD_ID, newbie)
    await fake.dispatch("GUILD_MEMBER_ADD", {**member, "guild_id": str(GUILD_ID)})
    await fake.dispatch("GUILD_MEMBER_ADD", {**fake.add_member(GUILD_ID, fake.add_user(
        "another-bot", bot=True)), "guild_id": str(GUILD_ID)})
    await fake.wait_for(lambda: env.rec.joins)
    await asyncio.sleep(0.05)
    assert [(j.user.name, j.room.id, j.room.guild) for j in env.rec.joins] == [
        ("newbie", str(CHANNEL_ID), str(GUILD_ID))]  # the system channel; bots never join


async def test_a_mapped_discord_role_grants_a_custom_role(env: Env) -> None:
    fake = env.fake
    admin = fake.person("admin", roles=[ADMIN_ROLE_ID])
    helper = fake.person("helper", roles=[HELPER_ROLE_ID])  # "Helpers": no permission bits
    plain = fake.person("plain")

    async def said(user: dict[str, Any], text: str, answer: str) -> None:
        before = len(fake.texts())
        await fake.say(user, text)
        await fake.wait_for(lambda: fake.texts()[before:])
        assert answer in fake.texts()[before], (text, fake.texts()[before:])

    await said(admin, "!role create curator", "Role curator created")
    await said(admin, "!perm allow core.audit curator", "core.audit is now allowed")
    await said(admin, "!role map curator Helpers",
               "Everyone with discord-name:helpers now holds the role curator")
    await said(helper, "!audit", "Latest moderator actions:")
    await said(plain, "!audit", "You are not allowed to do that (core.audit).")
    await said(admin, "!role unmap curator helpers", "no longer gives the role curator")
    await said(helper, "!audit", "You are not allowed to do that (core.audit).")
    await said(admin, f"!role map curator <@&{HELPER_ROLE_ID}>",
               f"Everyone with discord:{HELPER_ROLE_ID} now holds the role curator")
    await said(helper, "!audit", "Latest moderator actions:")
    await said(admin, f"!perm deny core.audit <#{CHANNEL_ID}>",
               "core.audit is now denied to everyone in #")
    await said(admin, "!audit", "You are not allowed to do that (core.audit).")


async def test_a_guild_id_is_no_room_to_post_announcements_in(env: Env) -> None:
    assert env.adapter.is_room(str(CHANNEL_ID))
    assert not env.adapter.is_room(str(GUILD_ID))  # `rooms = ["discord:GUILD"]`: no copies
    assert not env.adapter.is_room("general")
