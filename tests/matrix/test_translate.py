"""The translation layer on event dicts recorded from a real Synapse (fixtures/events.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.matrix.text import html_to_text, normalize_emoji, strip_reply_fallback
from bot.adapters.matrix.translate import (
    CREATOR_LEVEL,
    MatrixRaw,
    Policy,
    ReactionRecord,
    RoomView,
    ballot_reactions,
    event_kind,
    invite_for,
    parse_poll_response,
    parse_poll_start,
    parse_power_role,
    parse_room_id,
    poll_reference,
    privileged_creators,
    reaction_record,
    redacted_id,
    role_for,
    selection,
    to_deleted,
    to_join,
    to_leave,
    to_message,
    to_reaction,
    tombstone_successor,
)
from bot.model import Member, MessageDeleted, MessageRef, Role
from bot.permissions import CommunityRules

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "events.json").read_text())
EVENTS: dict[str, Any] = RECORDED["events"]
ROOM: str = RECORDED["room_id"]
ALICE, BOB = RECORDED["alice"], RECORDED["bob"]
BOT = "@ruche:localhost"
POLICY = Policy(BOT, moderator_level=50, admin_level=100, bots=frozenset({"@otherbot:localhost"}))
VIEW = RoomView(ROOM, name="Recorded", levels={ALICE: 100, BOB: 50},
                names={ALICE: "Alice", BOB: "Bob"})


def event(name: str) -> dict[str, Any]:
    return copy.deepcopy(EVENTS[name]["event"])


def test_every_recorded_event_is_classified() -> None:
    kinds = {name: event_kind(entry["event"]) for name, entry in EVENTS.items()
             if "event" in entry}
    assert kinds["text"] == kinds["notice"] == kinds["pill"] == kinds["reply"] == "message"
    assert kinds["edit"] == "edit"
    assert kinds["reaction"] == "reaction" and kinds["redaction"] == "redaction"
    assert kinds["poll_start_unstable"] == kinds["poll_start_stable"] == "poll.start"
    assert kinds["poll_response_unstable"] == kinds["poll_response_stable"] == "poll.response"
    assert kinds["poll_end_unstable"] == kinds["poll_end_stable"] == "poll.end"
    assert kinds["join"] == kinds["rename"] == "member"
    assert event_kind({"type": "m.room.encrypted"}) == "encrypted"
    assert event_kind({"type": "m.room.topic"}) == "other"


def test_text_message() -> None:
    msg = to_message(event("text"), VIEW, POLICY)
    assert msg is not None
    assert msg.text == "!idea submit Solar roof"
    assert msg.author.id == ALICE and msg.author.name == "Alice" and not msg.author.is_bot
    assert msg.ref == MessageRef("matrix", ROOM, event("text")["event_id"])
    assert msg.room.platform == "matrix" and msg.room.id == ROOM and msg.room.name == "Recorded"
    assert msg.role is Role.ADMIN and msg.reply_to is None and msg.mentions == ()
    assert isinstance(msg.raw, MatrixRaw) and msg.raw.msgtype == "m.text"


def test_notice_and_emote_are_messages_with_their_type() -> None:
    notice = to_message(event("notice"), VIEW, POLICY)
    emote = to_message(event("emote"), VIEW, POLICY)
    assert notice is not None and isinstance(notice.raw, MatrixRaw)
    assert notice.raw.msgtype == "m.notice" and notice.text == "!ping from a bot"
    assert notice.role is Role.MODERATOR
    assert emote is not None and emote.text == "waves"


def test_formatted_body_without_pills_keeps_the_plain_body() -> None:
    msg = to_message(event("formatted"), VIEW, POLICY)
    assert msg is not None and msg.text == "!help **idea**"


def test_pill_becomes_the_user_id_and_a_mention() -> None:
    msg = to_message(event("pill"), VIEW, POLICY)
    assert msg is not None
    assert msg.text == f"!tip {BOB} 5"
    assert [(m.id, m.name) for m in msg.mentions] == [(BOB, "Bob")]


def test_reply_strips_the_fallback_and_points_at_the_original() -> None:
    msg = to_message(event("reply"), VIEW, POLICY)
    assert msg is not None
    assert msg.text == "!idea support 1"
    assert msg.reply_to == MessageRef("matrix", ROOM, event("text")["event_id"])
    assert msg.mentions == ()  # the quoted pill inside <mx-reply> is not a mention


def test_thread_message_is_no_reply_but_remembers_its_root() -> None:
    msg = to_message(event("thread"), VIEW, POLICY)
    assert msg is not None and msg.text == "!ping"
    assert msg.reply_to is None  # is_falling_back: Element's thread fallback, not a reply
    assert isinstance(msg.raw, MatrixRaw) and msg.raw.thread_root == event("text")["event_id"]
    explicit = event("thread")
    explicit["content"]["m.relates_to"]["is_falling_back"] = False
    replied = to_message(explicit, VIEW, POLICY)
    assert replied is not None and replied.reply_to is not None


def test_edits_are_not_dispatched_as_new_messages() -> None:
    assert to_message(event("edit"), VIEW, POLICY) is None


def test_decrypted_event_translates_like_a_clear_one() -> None:
    entry = EVENTS["encrypted"]
    view = RoomView(entry["room_id"], encrypted=True)
    msg = to_message(entry["event"], view, POLICY)
    assert msg is not None and msg.text == "!ping secret" and msg.role is Role.MEMBER


def test_bare_user_ids_and_m_mentions_are_mentions() -> None:
    source = event("text")
    source["content"] = {"msgtype": "m.text", "body": f"!tip {BOB}, thanks",
                         "m.mentions": {"user_ids": ["@carol:localhost"]}}
    msg = to_message(source, VIEW, POLICY)
    assert msg is not None
    assert [m.id for m in msg.mentions] == ["@carol:localhost", BOB]
    assert msg.mentions[0].name == "carol"


def test_known_bots_and_the_bot_itself_are_flagged() -> None:
    source = event("text")
    source["sender"] = "@otherbot:localhost"
    other = to_message(source, VIEW, POLICY)
    source["sender"] = BOT
    own = to_message(source, VIEW, POLICY)
    assert other is not None and other.author.is_bot
    assert own is not None and own.author.is_bot


@pytest.mark.parametrize("content", [
    {}, {"msgtype": "m.text"}, {"msgtype": "m.text", "body": 42},
    {"msgtype": "m.text", "body": "x", "format": "org.matrix.custom.html",
     "formatted_body": "<a href='https://matrix.to/#/@x:y'><b>unclosed"},
    {"msgtype": "m.text", "body": "x", "m.relates_to": "nope"},
    {"msgtype": "m.text", "body": "x", "m.mentions": {"user_ids": "@a:b"}},
    {"msgtype": "m.image", "body": "cat.png", "url": "mxc://x/y"},
])
def test_malformed_messages_never_raise(content: dict[str, Any]) -> None:
    source = event("text")
    source["content"] = content
    msg = to_message(source, VIEW, POLICY)
    assert msg is None or isinstance(msg.text, str)


def test_media_caption_is_text_but_a_file_name_is_not() -> None:
    source = event("text")
    source["content"] = {"msgtype": "m.file", "body": "!ping", "filename": "a.csv"}
    captioned = to_message(source, VIEW, POLICY)
    source["content"] = {"msgtype": "m.file", "body": "!ping"}
    bare = to_message(source, VIEW, POLICY)
    assert captioned is not None and captioned.text == "!ping"
    assert bare is not None and bare.text == ""


def test_missing_sender_or_id_is_dropped() -> None:
    source = event("text")
    del source["sender"]
    assert to_message(source, VIEW, POLICY) is None


def test_roles_from_power_levels() -> None:
    assert role_for(0, 50, 100) is Role.MEMBER
    assert role_for(49, 50, 100) is Role.MEMBER
    assert role_for(50, 50, 100) is Role.MODERATOR
    assert role_for(100, 50, 100) is Role.ADMIN
    assert role_for(10, 10, 20) is Role.MODERATOR
    view = RoomView(ROOM, levels={BOB: 50}, default_level=60)
    assert view.role("@new:localhost", POLICY) is Role.MODERATOR


def test_room_v12_creators_outrank_every_level() -> None:
    create = {"type": "m.room.create", "sender": ALICE, "state_key": "",
              "content": {"room_version": "12", "additional_creators": [BOB, 7]}}
    creators = privileged_creators(create)
    assert creators == {ALICE, BOB}
    view = RoomView(ROOM, levels={BOB: 0}, creators=creators)
    assert view.level(BOB) == CREATOR_LEVEL and view.role(ALICE, POLICY) is Role.ADMIN
    classic = {"type": "m.room.create", "sender": ALICE, "content": {"room_version": "10"}}
    assert privileged_creators(classic) == frozenset()
    assert privileged_creators({"type": "m.room.create", "sender": ALICE}) == frozenset()


def test_reaction_added_then_redacted() -> None:
    record = reaction_record(event("reaction"), ROOM)
    assert record is not None
    assert record.emoji == "👍"  # Element's 👍️ (with VS16) is the same emoji as everyone's 👍
    assert record.target_id == event("text")["event_id"] and record.sender == BOB
    record = ReactionRecord(record.event_id, ROOM, record.target_id, record.emoji, BOB, ALICE)
    added = to_reaction(record, VIEW, POLICY)
    assert added.added and added.emoji == "👍" and added.user.id == BOB
    assert added.message_author is not None and added.message_author.id == ALICE
    assert added.event_id == record.event_id and added.role is Role.MODERATOR
    redaction = event("redaction")
    assert redacted_id(redaction) == record.event_id
    removed = to_reaction(record, VIEW, POLICY, added=False, event_id=redaction["event_id"])
    assert not removed.added and removed.message == added.message
    assert removed.event_id == redaction["event_id"]  # its own id: de-duplicated separately


def test_redaction_in_room_v11_content() -> None:
    redaction = event("redaction")
    del redaction["redacts"]
    assert redacted_id(redaction) == redaction["content"]["redacts"]
    assert redacted_id(event("text")) is None


def test_malformed_reactions_are_ignored() -> None:
    source = event("reaction")
    source["content"]["m.relates_to"]["rel_type"] = "m.reference"
    assert reaction_record(source, ROOM) is None
    source = event("reaction")
    source["content"]["m.relates_to"]["key"] = ""
    assert reaction_record(source, ROOM) is None


def test_join_but_not_a_rename() -> None:
    join = to_join(event("join"), VIEW, POLICY)
    assert join is not None and join.user.id == RECORDED["observer"] and join.room.id == ROOM
    assert to_join(event("rename"), VIEW, POLICY) is None
    own = event("join")
    own["state_key"] = own["sender"] = BOT
    assert to_join(own, VIEW, POLICY) is None


def membership(user: str, now: str, before: str, sender: str | None = None) -> dict[str, Any]:
    """The recorded join turned into another membership change of `user`, as Synapse sends it."""
    source = event("join")
    source["state_key"], source["sender"] = user, sender or user
    source["content"]["membership"] = now
    source["unsigned"]["prev_content"] = {"displayname": "x", "membership": before}
    return source


def test_leave_kick_and_ban() -> None:
    left = to_leave(membership(BOB, "leave", "join"), VIEW, POLICY)
    assert left is not None and (left.user.id, left.user.name, left.reason) == (BOB, "Bob", "left")
    assert left.room.id == ROOM
    kicked = to_leave(membership(BOB, "leave", "join", sender=ALICE), VIEW, POLICY)
    assert kicked is not None and kicked.reason == "kicked"
    banned = to_leave(membership(BOB, "ban", "join", sender=ALICE), VIEW, POLICY)
    assert banned is not None and banned.reason == "banned"
    banned_first = to_leave(membership(BOB, "ban", "leave", sender=ALICE), VIEW, POLICY)
    assert banned_first is not None and banned_first.reason == "banned"
    # nobody departed: a declined invite, a withdrawn knock, an unban; the bot; joins, renames
    for before in ("invite", "knock", "ban", "leave"):
        assert to_leave(membership(BOB, "leave", before), VIEW, POLICY) is None
    assert to_leave(membership(BOT, "leave", "join", sender=ALICE), VIEW, POLICY) is None
    assert to_leave(event("join"), VIEW, POLICY) is None
    assert to_leave(event("rename"), VIEW, POLICY) is None
    assert to_leave(event("text"), VIEW, POLICY) is None


def test_a_redaction_of_a_message_is_a_deletion() -> None:
    redaction = event("redaction")
    deleted = to_deleted(redaction, VIEW, POLICY)
    assert deleted == MessageDeleted(MessageRef("matrix", ROOM, redaction["redacts"]), VIEW.ref(),
                                     VIEW.user(BOB, POLICY))
    assert to_deleted(event("text"), VIEW, POLICY) is None


def test_tombstone_points_to_the_successor_room() -> None:
    tombstone = {"type": "m.room.tombstone", "state_key": "", "sender": ALICE,
                 "event_id": "$tomb", "room_id": ROOM,
                 "content": {"body": "This room has been replaced",
                             "replacement_room": "!new:localhost"}}
    assert event_kind(tombstone) == "tombstone"
    assert tombstone_successor(tombstone) == "!new:localhost"
    assert tombstone_successor({**tombstone, "state_key": "x"}) is None
    assert tombstone_successor({**tombstone, "content": {"replacement_room": "#alias"}}) is None
    assert tombstone_successor({**tombstone, "content": {}}) is None
    assert tombstone_successor(event("text")) is None


def test_invite_of_the_bot_read_from_invite_state() -> None:
    entry = EVENTS["invite"]
    invited = entry["invited"]
    found = [invite_for(e, entry["room_id"], invited) for e in entry["invite_state"]]
    invites = [i for i in found if i is not None]
    assert len(invites) == 1
    assert invites[0].inviter == ALICE and invites[0].is_direct
    assert invites[0].room_id == entry["room_id"]
    assert all(invite_for(e, entry["room_id"], BOT) is None for e in entry["invite_state"])


def test_polls_in_both_namespaces() -> None:
    unstable = parse_poll_start(event("poll_start_unstable"), ROOM)
    stable = parse_poll_start(event("poll_start_stable"), ROOM)
    assert unstable is not None and stable is not None
    assert unstable.question == "Lunch?" and unstable.answers == ("pizza", "salad")
    assert unstable.labels == ("Pizza", "Salad") and unstable.max_selections == 1
    assert stable.question == "Which days?" and stable.answers == ("mon", "tue", "wed")
    assert stable.max_selections == 2
    response = parse_poll_response(event("poll_response_unstable"))
    assert response is not None and response.poll_id == unstable.event_id
    assert response.answers == ("salad",) and response.sender == BOB
    assert selection(response, unstable) == (1,)
    stable_response = parse_poll_response(event("poll_response_stable"))
    assert stable_response is not None
    # unknown ids dropped, then cut to max_selections (2)
    assert selection(stable_response, stable) == (1, 0)
    assert poll_reference(event("poll_end_unstable")) == unstable.event_id
    assert poll_reference(event("poll_end_stable")) == stable.event_id


def test_poll_response_becomes_keycap_reactions_replacing_the_previous_ballot() -> None:
    poll = parse_poll_start(event("poll_start_stable"), ROOM)
    response = parse_poll_response(event("poll_response_stable"))
    assert poll is not None and response is not None
    first = ballot_reactions(response, poll, (), VIEW, POLICY)
    assert [(r.emoji, r.added) for r in first] == [("2️⃣", True), ("1️⃣", True)]
    assert all(r.message.id == poll.event_id and r.user.id == BOB for r in first)
    assert len({r.event_id for r in first}) == 2
    assert first[0].message_author is not None and first[0].message_author.id == ALICE
    changed = ballot_reactions(response, poll, (2, 1), VIEW, POLICY)
    assert [(r.emoji, r.added) for r in changed] == [("3️⃣", False), ("1️⃣", True)]
    assert ballot_reactions(response, poll, (1, 0), VIEW, POLICY) == []


def test_malformed_polls_are_ignored() -> None:
    source = event("poll_start_unstable")
    source["content"]["org.matrix.msc3381.poll.start"]["answers"] = [{"id": "a"}, {"id": "a"}]
    assert parse_poll_start(source, ROOM) is None
    source["content"] = {}
    assert parse_poll_start(source, ROOM) is None
    response = event("poll_response_unstable")
    response["content"]["m.relates_to"] = {}
    assert parse_poll_response(response) is None


def test_text_helpers() -> None:
    assert strip_reply_fallback("> <@a:b> hi\n> more\n\nreal") == "real"
    assert strip_reply_fallback("no quote") == "no quote"
    text, pills = html_to_text("a<br>b<p>c</p><a href='https://matrix.to/#/%40x%3Ay'>X</a>")
    assert text == "a\nb\nc\n@x:y" and pills == [("@x:y", "X")]
    assert html_to_text("<a href='https://matrix.to/#/!room:y'>room</a>")[0] == "room"
    assert normalize_emoji("👍️") == "👍" and normalize_emoji("❤️") == "❤️"
    assert normalize_emoji("1️⃣") == "1️⃣"


def test_power_levels_travel_as_platform_roles_for_mapped_roles() -> None:
    view = RoomView(ROOM, levels={ALICE: 30, BOB: 10})
    msg = to_message(event("text"), view, POLICY)
    assert msg is not None
    level = view.level(msg.author.id)
    assert msg.platform_roles == (f"matrix-power:{level}",)
    record = reaction_record(event("reaction"), ROOM)
    assert record is not None
    reaction = to_reaction(record, view, POLICY)
    assert reaction.platform_roles == (f"matrix-power:{view.level(record.sender)}",)
    # `!role map steward power:25` stores this key; the core matches levels at or above it.
    assert parse_power_role("power:25") == "matrix-power>=25"
    assert parse_power_role("matrix-power:0") == "matrix-power>=0"
    assert parse_power_role("power:lots") is None and parse_power_role("Helpers") is None
    rules = CommunityRules(roles={"steward"}, maps={"steward": {"matrix-power>=25"}})
    at_30 = Member(1, "c", "Alice", platform_roles=("matrix-power:30",))
    at_10 = Member(2, "c", "Bob", platform_roles=("matrix-power:10",))
    assert "steward" in rules.roles_of(at_30) and "steward" not in rules.roles_of(at_10)
    assert parse_room_id("!abc:localhost") == "!abc:localhost"
    assert parse_room_id("#alias:localhost") is None
