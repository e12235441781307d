"""What real Discord refuses, served by the fake, and how the bot copes with each refusal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import discord
import pytest
from discord_env import Env, MakeEnv
from discord_types import shape
from fake_discord import (
    CHANNEL_ID,
    GUILD_ID,
    MESSAGE_LIMIT,
    MOD_ROLE_ID,
    FakeDiscord,
)

SUB_COMMAND, STRING = 1, 3


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def received_words(texts: list[str]) -> list[str]:
    return [w.strip("'\"") for t in texts for w in t.split() if w.strip("'\"").startswith("w")]


# -- payload field names --------------------------------------------------------------------------

#: Fields Discord sends that discord.py's TypedDicts leave out (checked in Discord's API docs).
UNDECLARED = {
    "Interaction": {"member", "user", "message"},  # declared on the subtypes discord.py reads
    "ReadyEvent": {"private_channels"},
}
#: Fields discord.py's TypedDicts require that Discord no longer sends (deprecated).
NOT_SENT = {"Guild": {"region"}, "DMChannel": {"name"}, "InteractionDMChannel": {"name"}}


def check(payload: dict[str, Any], module: str, name: str) -> None:
    declared = shape(module, name)
    extra = set(payload) - declared.keys - UNDECLARED.get(name, set()) \
        - (UNDECLARED["Interaction"] if name.endswith("Interaction") else set())
    assert not extra, f"{name}: the fake sends fields Discord does not: {sorted(extra)}"
    missing = declared.required - set(payload) - NOT_SENT.get(name, set())
    assert not missing, f"{name}: the fake leaves out required fields: {sorted(missing)}"


async def test_fake_payloads_use_discords_field_names(env: Env) -> None:
    """Every payload the fake sends has the keys discord.py's own types declare, no others."""
    fake = env.fake
    alice = fake.person("alice")
    check(fake.message_payload(alice, "hi"), "message", "Message")
    check(fake.members[(GUILD_ID, int(alice["id"]))], "member", "MemberWithUser")
    check(alice, "user", "User")
    check(fake.guilds[GUILD_ID], "guild", "Guild")
    check(fake.channels[CHANNEL_ID], "channel", "TextChannel")
    check(fake.guilds[GUILD_ID]["roles"][0], "role", "Role")
    check(fake.reaction_payload(alice, 1, "👍"), "gateway", "MessageReactionAddEvent")
    check(fake.reaction_payload(alice, 1, "👍", added=False), "gateway",
          "MessageReactionRemoveEvent")
    slash = fake.interaction_payload(alice, 2, {"id": "1", "name": "count", "type": 1})
    check(slash.payload, "interactions", "ApplicationCommandInteraction")
    check(slash.payload["guild"], "interactions", "PartialInteractionGuild")
    dm = fake.interaction_payload(alice, 2, {"id": "1", "name": "count", "type": 1},
                                  guild_id=None)
    check(dm.payload["channel"], "channel", "InteractionDMChannel")
    check(fake._dm_channel(alice), "channel", "DMChannel")
    await fake.say(alice, "!post")
    poll = await fake.wait_for(lambda: next((m for m in fake.bot_messages()
                                             if m["content"].startswith("Poll")), None))
    click = fake.interaction_payload(alice, 3, {"custom_id": "x", "component_type": 2},
                                     message=fake._public(poll))
    check(click.payload, "interactions", "MessageComponentInteraction")
    check(fake._public(poll), "message", "Message")
    await fake.say(alice, "!discuss")  # a thread under a new message
    thread = await fake.wait_for(lambda: next((c for c in fake.channels.values()
                                               if c["type"] == 11), None))
    check(thread, "threads", "Thread")
    check(thread["thread_metadata"], "threads", "ThreadMetadata")
    await fake.say(alice, "!export")  # an attachment
    upload = await fake.wait_for(lambda: next((m for m in fake.bot_messages()
                                               if m["attachments"]), None))
    check(upload["attachments"][0], "message", "Attachment")
    asked = await fake.say(alice, "!count")
    reply = await fake.wait_for(lambda: next((m for m in fake.bot_messages()
                                              if m.get("message_reference")), None))
    assert reply["message_reference"]["message_id"] == asked["id"]
    check(reply["message_reference"], "message", "MessageReference")
    await fake.react(alice, poll["id"], "👍")
    check(fake._with_reactions(poll)["reactions"][0], "message", "Reaction")
    ready = await fake.wait_for(lambda: next(
        (f for _, f in fake.live_session().events if '"t":"READY"' in f), None))
    check(json.loads(ready)["d"], "gateway", "ReadyEvent")
    fake.make_large()
    session = fake.live_session()
    assert session is not None
    await fake._chunk(session, {"guild_id": str(GUILD_ID), "user_ids": [alice["id"], "1"],
                                "nonce": "n"})
    chunk = json.loads(session.events[-1][1])["d"]
    check(chunk, "gateway", "GuildMembersChunkEvent")
    assert chunk["not_found"] == ["1"]


# -- 2,000 characters ----------------------------------------------------------------------------

async def test_fake_refuses_content_over_2000_characters(env: Env) -> None:
    channel = env.adapter.client.get_partial_messageable(CHANNEL_ID)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * (MESSAGE_LIMIT + 1))
    assert refused.value.status == 400 and refused.value.code == 50035
    assert "2000 or fewer" in str(refused.value)  # discord.py could read the nested errors
    sent = await channel.send("x" * MESSAGE_LIMIT)
    assert len(sent.content) == MESSAGE_LIMIT


async def test_long_replies_are_split_under_the_limit(env: Env) -> None:
    fake = env.fake
    alice = fake.person("alice")
    text = words(700)  # about 3,400 characters (a command may have 4,000)
    await fake.say(alice, f"!tools echo {text}")
    await fake.wait_for(lambda: len(received_words(fake.texts())) == 700)
    assert len(fake.texts()) >= 2
    assert all(len(t) <= MESSAGE_LIMIT for t in fake.texts())
    assert received_words(fake.texts()) == text.split()  # nothing lost, in order
    assert not fake.refused


async def test_channel_messages_carry_distinct_nonces(env: Env) -> None:
    """The adapter makes each message's nonce itself (no entropy read per send): all differ."""
    fake = env.fake
    alice = fake.person("alice")
    for n in range(5):
        await fake.say(alice, f"!tools echo n{n}")
    await fake.wait_for(lambda: len(fake.bot_messages(CHANNEL_ID)) >= 5)
    nonces = [m.get("nonce") for m in fake.bot_messages(CHANNEL_ID)]
    assert all(n is not None and 0 <= int(n) < 2**64 for n in nonces), nonces
    assert len(set(nonces)) == len(nonces)


async def test_long_interaction_replies_are_split_into_follow_ups(env: Env) -> None:
    fake = env.fake
    text = words(700)
    interaction = await fake.slash(fake.person("alice"), "tools", [
        {"name": "echo", "type": SUB_COMMAND, "options": [
            {"name": "text", "type": STRING, "value": text}]}])
    await fake.wait_for(lambda: interaction.callbacks and len(interaction.followups) >= 1)
    parts = [interaction.callbacks[0]["data"]["content"],
             *(m["content"] for m in interaction.followups)]
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert received_words(parts) == text.split()
    assert not fake.refused


# -- the 3-second deadline and the 15-minute token -------------------------------------------------

async def test_fake_refuses_an_interaction_answered_after_3_seconds(env: Env) -> None:
    """A command that reached the bot too late (gateway lag): its reply still reaches the channel."""
    fake = env.fake
    late = fake.interaction_payload(fake.person("alice"), 2,
                                    {"id": str(fake.next_id()), "name": "count", "type": 1})
    late.created_at -= 3.5
    await fake.dispatch("INTERACTION_CREATE", late.payload)
    await fake.wait_for(lambda: "count 1" in fake.texts())
    assert not late.callbacks  # Discord refused it: 404 Unknown interaction
    assert fake.refused[0].path == f"/interactions/{late.id}/{late.token}/callback"


async def test_a_command_slower_than_3_seconds_is_deferred_in_time(env: Env) -> None:
    fake = env.fake  # defer_after = 1.0 s in the test config
    interaction = await fake.slash(fake.person("alice"), "slow", [
        {"name": "seconds", "type": STRING, "value": "3.3"}])
    await fake.wait_for(lambda: interaction.callbacks)
    assert interaction.callbacks[0]["type"] == 5  # deferred, inside the deadline
    original = interaction.original
    assert original is not None
    await fake.wait_for(lambda: original["content"] == "slow done", within=10)
    assert not fake.refused


async def test_a_reply_after_the_15_minute_token_is_posted_in_the_channel(make_env: MakeEnv
                                                                         ) -> None:
    env = await make_env(defer_after=0.2)
    fake = env.fake
    interaction = await fake.slash(fake.person("alice"), "slow", [
        {"name": "seconds", "type": STRING, "value": "2"}])
    await fake.wait_for(lambda: interaction.callbacks)  # deferred
    interaction.created_at -= fake.token_lifetime  # the command ran past the token's life
    await fake.wait_for(lambda: "slow done" in fake.texts(), within=10)
    assert any(r.path.endswith("/messages/@original") for r in fake.refused)  # 401 50027


# -- per-channel rate limits ---------------------------------------------------------------------

async def test_channel_bucket_headers_are_honoured_and_nothing_is_lost(env: Env) -> None:
    fake = env.fake
    fake.limit_channel(sends=3, per=1.0)
    alice = fake.person("alice")
    for _ in range(7):
        await fake.say(alice, "!count")
    await fake.wait_for(lambda: len(fake.texts()) == 7, within=15)
    assert sorted(fake.texts()) == sorted(f"count {n}" for n in range(1, 8))
    bucket = fake.buckets[("POST", CHANNEL_ID)]
    posts = [r.at for r in fake.calls("POST", rf"^/channels/{CHANNEL_ID}/messages$")]
    assert bucket.most_in_window(posts) <= 3


async def test_channel_429s_are_backed_off_and_every_reply_arrives(env: Env) -> None:
    """No headers (the bucket was spent elsewhere): discord.py meets 429s and waits them out."""
    fake = env.fake
    fake.limit_channel(sends=2, edits=1, per=0.5, headers=False)
    alice = fake.person("alice")
    for _ in range(3):
        await fake.say(alice, "!tally")  # posts "tally: 0", then edits it to "tally: 1"
    for _ in range(3):
        await fake.say(alice, "!count")
    await fake.wait_for(lambda: fake.texts().count("tally: 1") == 3 and len(
        [t for t in fake.texts() if t.startswith("count")]) == 3, within=15)
    assert fake.served_429  # Discord did refuse some
    assert fake.buckets[("POST", CHANNEL_ID)].refused or fake.buckets[
        ("PATCH", CHANNEL_ID)].refused
    posts = [r.at for r in fake.calls("POST", rf"^/channels/{CHANNEL_ID}/messages$")]
    edits = [r.at for r in fake.calls("PATCH", rf"^/channels/{CHANNEL_ID}/messages/\d+$")]
    assert fake.buckets[("POST", CHANNEL_ID)].most_in_window(posts) <= 2
    assert fake.buckets[("PATCH", CHANNEL_ID)].most_in_window(edits) <= 1
    assert not fake.refused


# -- member chunking ------------------------------------------------------------------------------

async def test_member_lookup_in_a_large_guild_asks_the_gateway(fake: FakeDiscord,
                                                               make_env: MakeEnv) -> None:
    fake.make_large()
    mia = fake.person("mia", roles=[MOD_ROLE_ID])
    env = await make_env(intents=["message_content", "members"])
    guild = env.adapter.client.get_guild(GUILD_ID)
    assert guild is not None and guild.get_member(int(mia["id"])) is None  # not in GUILD_CREATE
    await fake.dm(mia, "!modonly")  # a DM carries no roles: the bot must look the member up
    dm = fake._dm_channel(mia)
    await fake.wait_for(lambda: "moderator ok" in fake.texts(int(dm["id"])))
    assert [r["user_ids"] for r in fake.chunk_requests] == [[int(mia["id"])]]
    assert not fake.calls("GET", r"^/guilds/\d+/members/")  # no REST quota spent
    assert guild.get_member(int(mia["id"])) is not None  # and it is cached now


async def test_member_lookup_without_the_members_intent_uses_rest(fake: FakeDiscord,
                                                                  make_env: MakeEnv) -> None:
    fake.make_large()
    mia = fake.person("mia", roles=[MOD_ROLE_ID])
    await make_env()
    await fake.dm(mia, "!modonly")
    dm = fake._dm_channel(mia)
    await fake.wait_for(lambda: "moderator ok" in fake.texts(int(dm["id"])))
    assert not fake.chunk_requests
    assert fake.calls("GET", rf"^/guilds/{GUILD_ID}/members/{mia['id']}$")


async def test_a_large_guild_is_chunked_1000_members_at_a_time(fake: FakeDiscord,
                                                               make_env: MakeEnv) -> None:
    fake.make_large()
    for n in range(2100):
        fake.add_user(f"m{n}")
    guild_members = fake.guilds[GUILD_ID]["members"]
    for uid, user in list(fake.users.items()):
        if (GUILD_ID, uid) not in fake.members:  # add_member, without its O(n) rebuild
            member = {"user": user, "roles": [], "nick": None, "joined_at": "2026-11-25T12:00:00Z",
                      "deaf": False, "mute": False, "flags": 0, "avatar": None,
                      "premium_since": None, "pending": False}
            fake.members[(GUILD_ID, uid)] = member
            guild_members.append(member)
    env = await make_env(intents=["message_content", "members"])
    guild = env.adapter.client.get_guild(GUILD_ID)
    assert guild is not None and len(guild.members) < 10
    members = await asyncio.wait_for(guild.chunk(), 10)
    assert len(members) == len(guild_members) > 2100
    chunks = [f for _, f in fake.live_session().events if "GUILD_MEMBERS_CHUNK" in f]
    assert len(chunks) == 3
