"""The pure translation layer on recorded gateway payloads (no network, no discord.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord.client import Sessions
from bot.adapters.discord.translate import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    Recent,
    RoleConfig,
    deletions_from_payload,
    emoji_text,
    guild_permissions,
    interaction_from_payload,
    interaction_message,
    leave_from_payload,
    message_from_payload,
    parse_channel,
    parse_mention,
    parse_platform_role,
    platform_roles_of,
    quote_arg,
    reaction_event_id,
    reaction_from_payload,
    role_for,
    role_ids_of,
    split_text,
    user_ref,
)
from bot.commands.parser import tokenize
from bot.model import MemberLeave, MessageDeleted, MessageRef, Role, RoomRef, UserRef

PAYLOADS = Path(__file__).parent / "payloads"
BOT = "900000000000000001"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data


def test_guild_message_with_mention_and_reply() -> None:
    msg = message_from_payload(load("message_create"), bot_user_id=BOT, role=Role.MODERATOR,
                               raw="raw")
    assert msg.ref == MessageRef("discord", "1200000000000000002", "1310650920811413504")
    assert msg.author == UserRef("discord", "183019483910238208", "Alice", False)
    assert msg.room.guild == "1200000000000000001" and not msg.is_direct
    assert msg.text == "!tip <@265982737165385729> 5 merci pour l'affiche"
    assert msg.reply_to == MessageRef("discord", "1200000000000000002", "1310650000000000000")
    assert msg.mentions == (UserRef("discord", "265982737165385729", "Bobby", False),)
    assert msg.role is Role.MODERATOR and msg.raw == "raw"


def test_direct_message_maps_to_the_configured_guild() -> None:
    data = load("message_create_dm")
    msg = message_from_payload(data, bot_user_id=BOT)
    assert msg.is_direct and msg.room.guild == "" and msg.author.name == "alice_in_hive"
    mapped = message_from_payload(data, bot_user_id=BOT, dm_guild="1200000000000000001")
    assert mapped.is_direct and mapped.room.guild == "1200000000000000001"


def test_webhooks_and_our_own_account_are_bots() -> None:
    assert message_from_payload(load("message_create_webhook"), bot_user_id=BOT).author.is_bot
    data = load("message_create")
    assert message_from_payload(data, bot_user_id=data["author"]["id"]).author.is_bot
    assert user_ref({"id": "1", "username": "system", "system": True}).is_bot


def test_roles_from_permissions_and_configured_role_ids() -> None:
    none = RoleConfig()
    cfg = RoleConfig(moderator_role_ids=frozenset({11}), admin_role_ids=frozenset({12}))
    assert role_for(0x400, (), none) is Role.MEMBER
    assert role_for(MANAGE_GUILD, (), none) is Role.MODERATOR
    assert role_for(ADMINISTRATOR, (), none) is Role.ADMIN
    assert role_for(0, (), none, owner=True) is Role.ADMIN
    assert role_for(0, (11,), cfg) is Role.MODERATOR
    assert role_for(MANAGE_GUILD, (12,), cfg) is Role.ADMIN
    assert guild_permissions((1, 2, 3), {1: MANAGE_GUILD, 2: 0x40}, 0x400) == \
        MANAGE_GUILD | 0x40 | 0x400
    assert role_ids_of(load("message_create")["member"]) == (1210650918290440100,
                                                              1210650918290440101)


def test_reactions_with_names_emoji_and_replay_safe_ids() -> None:
    data = load("reaction_add")
    user = user_ref(data["member"]["user"], data["member"], BOT)
    assert user.name == "Al"  # the server nickname
    event = reaction_from_payload(data, added=True, user=user, event_id="r:s:7",
                                  message_author=UserRef("discord", "265982737165385729", "Bob"))
    assert (event.emoji, event.added, event.event_id) == ("🪙", True, "r:s:7")
    assert event.message == MessageRef("discord", "1200000000000000002", "1310650920811413504")
    assert event.room.guild == "1200000000000000001"
    removed = load("reaction_remove_custom")
    assert emoji_text(removed["emoji"]) == "<a:hive_vote:1222333444555666777>"
    assert emoji_text({"name": "pin", "id": "5"}) == "<:pin:5>"
    assert reaction_event_id("sess", 9) == "r:sess:9" and reaction_event_id("", 9) == ""


def test_sessions_name_events_per_shard_from_ready() -> None:
    sessions = Sessions()
    sessions.ready(load("ready"))  # shard 1 of 4
    assert sessions.shard_count == 4
    on_shard_1 = {"guild_id": "1200000000000000001"}  # (id >> 22) % 4 == 1
    assert sessions.event_id(on_shard_1, 3) == "6b1ba06d36a4f0f2d0b6d1c2f3e4a5b6:3"
    assert sessions.event_id({"guild_id": "1200000000004194305"}, 3) == ""  # shard 2: unknown
    assert sessions.event_id(on_shard_1, None) == ""


def test_slash_interaction_carries_member_permissions_and_resolved_users() -> None:
    info = interaction_from_payload(load("interaction_slash"), bot_user_id=BOT)
    assert info.type == 2 and info.guild_id == "1200000000000000001"
    assert info.user == UserRef("discord", "300000000000000001", "Marie")
    assert info.permissions is not None
    assert role_for(info.permissions, info.role_ids, RoleConfig()) is Role.MODERATOR
    assert info.resolved_users == (UserRef("discord", "265982737165385729", "Bobby"),)
    assert info.locale == "fr"
    msg = interaction_message(info, "!crowd fund open 42 500", role=Role.MODERATOR)
    assert msg.ref.id == "i1310653000000000000" and msg.author.name == "Marie"
    assert msg.reply_to is None and not msg.is_direct
    assert msg.platform_roles == ("discord:1210650918290440102",)


def test_button_click_in_a_dm() -> None:
    info = interaction_from_payload(load("interaction_button_dm"), bot_user_id=BOT)
    assert info.type == 3 and info.guild_id == "" and info.permissions is None
    assert info.user.id == "183019483910238208" and info.message_id == "1310640000000000000"
    msg = interaction_message(info, "!idea support 42", role=Role.MEMBER,
                              dm_guild="1200000000000000001")
    assert msg.is_direct and msg.room.guild == "1200000000000000001"
    assert msg.reply_to == MessageRef("discord", "1300000000000000009", "1310640000000000000")


def test_mentions_and_quoting() -> None:
    assert parse_mention("<@265982737165385729>") == "265982737165385729"
    assert parse_mention("<@!265982737165385729>") == "265982737165385729"
    assert parse_mention("@bob") is None and parse_mention("<@&265982737165385729>") is None
    assert quote_arg("word") == "word"
    assert quote_arg("two words") == '"two words"'
    assert quote_arg('say "hi" now') == "“say \"hi\" now”"
    assert quote_arg("--anonymous") == '"--anonymous"'
    assert quote_arg("") == '""'


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip() == s and s.strip()))
def test_quoted_arguments_come_back_whole(value: str) -> None:
    tokens = tokenize(quote_arg(value))
    if not any(c in value for c in '"”»\'“’'):
        assert [t.value for t in tokens] == [value]


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=5000))
def test_long_text_splits_into_discord_sized_messages(text: str) -> None:
    chunks = split_text(text, 200)
    assert all(len(c) <= 200 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == \
        text.replace("\n", "").replace(" ", "")


def test_recent_keeps_the_newest() -> None:
    recent: Recent[int, str] = Recent(2)
    for i in range(3):
        recent.put(i, str(i))
    assert recent.get(0) is None and recent.get(2) == "2" and len(recent) == 2


def test_platform_roles_from_member_role_ids_and_names() -> None:
    data = {"id": "5", "channel_id": "7", "guild_id": "9", "content": "!ping", "type": 0,
            "author": {"id": "111111111111111111", "username": "alice"},
            "member": {"roles": ["222222222222222222", "333333333333333333"]}}
    msg = message_from_payload(data, bot_user_id=BOT,
                               role_names={222222222222222222: "Curators"})
    assert msg.platform_roles == ("discord:222222222222222222", "discord:333333333333333333",
                                  "discord-name:curators")
    assert message_from_payload({**data, "member": None}, bot_user_id=BOT).platform_roles == ()
    assert platform_roles_of([1], {1: "  "}) == ("discord:1",)
    # What `!role map` stores for a role mention, an id, or a name typed on Discord.
    assert parse_platform_role("<@&222222222222222222>", True) == "discord:222222222222222222"
    assert parse_platform_role("222222222222222222", False) == "discord:222222222222222222"
    assert parse_platform_role("Curators", True) == "discord-name:curators"
    assert parse_platform_role("Curators", False) is None  # a bare name typed elsewhere
    assert parse_platform_role("power:25", True) is None
    assert parse_channel("<#444444444444444444>") == "444444444444444444"
    assert parse_channel("#general") is None


GUILD = "800000000000000001"
ALICE = {"id": "700000000000000007", "username": "alice", "global_name": "Alice",
         "discriminator": "0", "avatar": None}


def test_member_remove_and_ban_add_become_member_leave() -> None:
    removed = leave_from_payload("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": ALICE},
                                 bot_user_id=BOT, channel_id="1200000000000000002")
    assert removed == MemberLeave(UserRef("discord", ALICE["id"], "Alice"),
                                  RoomRef("discord", "1200000000000000002", "", GUILD), "left")
    banned = leave_from_payload("GUILD_BAN_ADD", {"guild_id": GUILD, "user": ALICE},
                                bot_user_id=BOT)
    assert banned is not None and banned.reason == "banned"
    assert banned.room == RoomRef("discord", GUILD, "", GUILD)  # no system channel: the guild
    robot = {**ALICE, "bot": True}
    assert leave_from_payload("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": robot},
                              bot_user_id=BOT) is None
    itself = {**ALICE, "id": BOT}
    assert leave_from_payload("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": itself},
                              bot_user_id=BOT) is None
    for bad in ({"user": ALICE}, {"guild_id": GUILD}, {"guild_id": GUILD, "user": "x"}):
        assert leave_from_payload("GUILD_MEMBER_REMOVE", bad, bot_user_id=BOT) is None
    assert leave_from_payload("GUILD_MEMBER_ADD", {"guild_id": GUILD, "user": ALICE},
                              bot_user_id=BOT) is None


def test_message_delete_and_bulk_delete() -> None:
    one = deletions_from_payload("MESSAGE_DELETE", {"id": "11", "channel_id": "22",
                                                    "guild_id": GUILD})
    room = RoomRef("discord", "22", "", GUILD)
    assert one == [MessageDeleted(MessageRef("discord", "22", "11"), room)]
    bulk = deletions_from_payload("MESSAGE_DELETE_BULK", {"ids": ["1", "2"], "channel_id": "22",
                                                          "guild_id": GUILD})
    assert [d.message.id for d in bulk] == ["1", "2"] and bulk[0].room == room
    dm = deletions_from_payload("MESSAGE_DELETE", {"id": "3", "channel_id": "44"})
    assert dm[0].room == RoomRef("discord", "44", "", "")
    assert deletions_from_payload("MESSAGE_DELETE", {"id": "3"}) == []
    assert deletions_from_payload("MESSAGE_CREATE", {"id": "3", "channel_id": "44"}) == []
