"""Ruche against a real Synapse, with nio clients acting as members (plain and encrypted rooms)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from nio.crypto import decrypt_attachment

from bot.model import MessageRef, OutgoingMessage, RoomRef, UserRef
from tests.core.test_reload import write_config

from .conftest import MakeMatrixBot, MakeMember, MatrixBot
from .member import Member


async def room_with_bot(member: Member, mb: MatrixBot, *, encrypted: bool = False,
                        levels: dict[str, int] | None = None,
                        invite: tuple[str, ...] = ()) -> str:
    """A room created by `member` (its creator: admin) that the bot joined by invite."""
    room = await member.create_room("test", encrypted=encrypted, levels=levels,
                                    invite=(mb.user_id, *invite))
    await member.joined(room, mb.user_id)
    await member.wait(lambda: room in mb.adapter.client.rooms)  # type: ignore[union-attr]
    return room


def messages(member: Member, room: str, sender: str) -> list[object]:
    return [e for e in member.from_user(room, sender)
            if e.source.get("type") == "m.room.message"]


def relation(event: object) -> dict[str, object]:
    return dict(getattr(event, "source", {}).get("content", {}).get("m.relates_to", {}))


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_ping_is_answered(make_matrix_bot: MakeMatrixBot, make_member: MakeMember,
                                encrypted: bool) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb, encrypted=encrypted)
    command = await alice.say(room, "!ping")
    reply = await alice.reply_to(room, command, mb.user_id)
    assert reply.source["content"]["body"].lower().startswith("pong")
    assert reply.source["content"]["msgtype"] == "m.notice"
    assert getattr(reply, "decrypted", False) is encrypted  # really encrypted on the wire


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_help_and_permissions_from_power_levels(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb = await make_matrix_bot()
    alice, bob, carol = [await make_member(n) for n in ("alice", "bob", "carol")]
    room = await room_with_bot(alice, mb, encrypted=encrypted, levels={carol.user_id: 50},
                               invite=(bob.user_id, carol.user_id))
    await bob.joined(room, bob.user_id)
    await carol.joined(room, carol.user_id)
    assert "!ping" in await alice.ask(room, "!help", mb.user_id)
    refused = await bob.ask(room, "!audit", mb.user_id)
    assert "not allowed" in refused and "core.audit" in refused
    assert "audit log" in (await carol.ask(room, "!audit", mb.user_id)).lower()  # moderator (50)
    assert "audit log" in (await alice.ask(room, "!audit", mb.user_id)).lower()  # creator


async def test_thresholds_are_configurable(make_matrix_bot: MakeMatrixBot,
                                           make_member: MakeMember) -> None:
    mb = await make_matrix_bot(moderator_power_level=10)
    alice, bob = await make_member("alice"), await make_member("bob")
    room = await room_with_bot(alice, mb, levels={bob.user_id: 10}, invite=(bob.user_id,))
    await bob.joined(room, bob.user_id)
    assert "audit log" in (await bob.ask(room, "!audit", mb.user_id)).lower()


async def test_reloaded_power_levels_apply_without_a_restart(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, tmp_path: Path) -> None:
    mb = await make_matrix_bot()
    alice, bob = await make_member("alice"), await make_member("bob")
    room = await room_with_bot(alice, mb, levels={bob.user_id: 10}, invite=(bob.user_id,))
    await bob.joined(room, bob.user_id)
    assert "not allowed" in await bob.ask(room, "!audit", mb.user_id)
    write_config(mb.tb, tmp_path / "ruche.toml", {"platforms": {
        "console": {"enabled": False},
        "matrix": {**mb.raw["platforms"]["matrix"], "moderator_power_level": 10}}})
    result = await mb.tb.bot.reload_config()
    assert (result.applied, result.restart) == (["platforms.matrix.moderator_power_level"], [])
    assert "audit log" in (await bob.ask(room, "!audit", mb.user_id)).lower()


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_reaction_added_and_redacted_reaches_on_reaction(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb, encrypted=encrypted)
    command = await alice.say(room, "!ping")
    reply = await alice.reply_to(room, command, mb.user_id)
    reaction = await alice.react(room, reply.event_id, "👍️")
    await alice.wait(lambda: mb.recorder.reactions)
    added = mb.recorder.reactions[0]
    assert added.added and added.emoji == "👍" and added.user.id == alice.user_id
    assert added.message == MessageRef("matrix", room, reply.event_id)
    assert added.message_author is not None and added.message_author.id == mb.user_id
    assert added.event_id == reaction
    await alice.redact(room, reaction)
    await alice.wait(lambda: len(mb.recorder.reactions) == 2)
    removed = mb.recorder.reactions[1]
    assert not removed.added and removed.emoji == "👍" and removed.message == added.message
    # A reaction on a member's message names that member as the author (tips need it).
    await alice.react(room, command, "🪙")
    await alice.wait(lambda: len(mb.recorder.reactions) == 3)
    author = mb.recorder.reactions[2].message_author
    assert author is not None and author.id == alice.user_id
    # What is on a message now (the votes plugin reconciles ballots with it after a restart).
    await alice.react(room, reply.event_id, "1️⃣")
    await alice.wait(lambda: len(mb.recorder.reactions) == 4)
    listed = await mb.adapter.list_reactions(added.message)
    assert {emoji: [u.id for u in users] for emoji, users in listed.items()} == {
        "1️⃣": [alice.user_id]}  # the redacted 👍 is gone
    assert mb.adapter.message_link(added.message).startswith("https://matrix.to/#/")
    assert mb.adapter.capabilities.list_reactions


async def test_threads_mentions_joins_and_notices(make_matrix_bot: MakeMatrixBot,
                                                  make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice, bob = await make_member("alice"), await make_member("bob")
    room = await room_with_bot(alice, mb, invite=(bob.user_id,))
    await bob.joined(room, bob.user_id)
    await alice.wait(lambda: any(j.user.id == bob.user_id for j in mb.recorder.joins))
    root = await alice.say(room, "Shall we paint the hive?")
    in_thread = await bob.say(room, "!ping", **{"m.relates_to": {
        "rel_type": "m.thread", "event_id": root, "is_falling_back": True,
        "m.in_reply_to": {"event_id": root}}})
    reply = await bob.reply_to(room, in_thread, mb.user_id)
    assert relation(reply)["rel_type"] == "m.thread" and relation(reply)["event_id"] == root
    # A pill in the HTML body is a mention of the user id (Element shows only the name).
    pill = f'<a href="https://matrix.to/#/{bob.user_id}">Bob</a>'
    await alice.say(room, "thanks Bob", format="org.matrix.custom.html",
                    formatted_body=f"thanks {pill}")
    await alice.wait(lambda: any(m.text == f"thanks {bob.user_id}"
                                 for m in mb.recorder.messages))
    message = next(m for m in mb.recorder.messages if m.text.startswith("thanks"))
    assert [u.id for u in message.mentions] == [bob.user_id]
    assert mb.adapter.parse_mention(f"https://matrix.to/#/{bob.user_id}") is not None
    localpart = "@" + bob.user_id.split(":")[0].lstrip("@")
    found = mb.adapter.parse_mention(localpart)
    assert found is not None and found.id == bob.user_id
    assert mb.adapter.parse_mention("@nobody-here") is None
    # Bots answer notices never: a notice "!ping" gets nothing, the next text "!ping" one reply.
    notice = await alice.send(room, {"msgtype": "m.notice", "body": "!ping"})
    text = await alice.say(room, "!ping")
    await alice.reply_to(room, text, mb.user_id)
    assert not [e for r, e in alice.events if r == room and e.sender == mb.user_id
                and relation(e).get("m.in_reply_to") == {"event_id": notice}]


async def test_bot_sends_edits_files_and_direct_messages(make_matrix_bot: MakeMatrixBot,
                                                         make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    plain = await room_with_bot(alice, mb)
    secret = await room_with_bot(alice, mb, encrypted=True)
    bot = mb.tb.bot
    for room in (plain, secret):
        ref = await bot.send(RoomRef("matrix", room), OutgoingMessage("Tally: **1** vote"))
        sent = await alice.wait(lambda room=room: messages(alice, room, mb.user_id))
        assert sent[0].source["content"]["formatted_body"] == "Tally: <strong>1</strong> vote"
        await bot.edit(ref, OutgoingMessage("Tally: **2** votes"))
        edit = await alice.wait(lambda room=room: [
            e for e in messages(alice, room, mb.user_id)
            if relation(e).get("rel_type") == "m.replace"])
        assert relation(edit[0])["event_id"] == ref.id
        assert edit[0].source["content"]["m.new_content"]["body"] == "Tally: 2 votes"
        data = b"entry,amount\n1,5\n" * 20
        await mb.adapter.send_file(RoomRef("matrix", room), "ledger.csv", data, "Ledger export")
        files = await alice.wait(lambda room=room: [
            e for e in messages(alice, room, mb.user_id)
            if e.source["content"].get("msgtype") == "m.file"])
        content = files[0].source["content"]
        assert content["filename"] == "ledger.csv" and content["body"] == "Ledger export"
        if room == secret:
            info = content["file"]
            download = await alice.client.download(info["url"])
            plaintext = decrypt_attachment(download.body, info["key"]["k"],
                                           info["hashes"]["sha256"], info["iv"])
            assert plaintext == data and "url" not in content
        else:
            download = await alice.client.download(content["url"])
            assert download.body == data
    # A direct message opens (then reuses) an encrypted DM room the member is invited to.
    user = UserRef("matrix", alice.user_id, "alice")
    first = await mb.adapter.send_direct(user, OutgoingMessage("Your idea #1 was accepted"))
    assert first is not None
    dm = await alice.wait(lambda: messages(alice, first.room_id, mb.user_id))
    assert dm[0].source["content"]["body"] == "Your idea #1 was accepted"
    assert getattr(dm[0], "decrypted", False)
    again = await mb.adapter.send_direct(user, OutgoingMessage("and #2"))
    assert again is not None and again.room_id == first.room_id


async def test_poll_responses_are_ballots(make_matrix_bot: MakeMatrixBot,
                                          make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await room_with_bot(alice, mb)
    poll = await mb.adapter.send_poll(RoomRef("matrix", room), "Paint colour?",
                                      ["Yellow", "Black"])
    await alice.wait(lambda: any(e.event_id == poll.id for r, e in alice.events))

    async def respond(answers: list[str]) -> None:
        await alice.send(room, {"m.relates_to": {"rel_type": "m.reference", "event_id": poll.id},
                                "org.matrix.msc3381.poll.response": {"answers": answers}},
                         "org.matrix.msc3381.poll.response")

    await respond(["2"])
    await alice.wait(lambda: mb.recorder.reactions)
    assert [(r.emoji, r.added) for r in mb.recorder.reactions] == [("2️⃣", True)]
    assert mb.recorder.reactions[0].message == poll
    await respond(["1"])  # a new response replaces the ballot
    await alice.wait(lambda: len(mb.recorder.reactions) == 3)
    assert [(r.emoji, r.added) for r in mb.recorder.reactions[1:]] == [("2️⃣", False),
                                                                       ("1️⃣", True)]
    listed = await mb.adapter.list_reactions(poll)
    assert {e: [u.id for u in users] for e, users in listed.items()} == {"1️⃣": [alice.user_id]}
    # The poll creator ends it; later responses no longer count.
    await mb.adapter.end_poll(poll, "The poll is closed.")
    await respond(["2"])
    await alice.ask(room, "!ping", mb.user_id)  # processed after the response
    assert len(mb.recorder.reactions) == 3


async def test_invites_follow_auto_join(make_matrix_bot: MakeMatrixBot,
                                        make_member: MakeMember) -> None:
    alice = await make_member("alice")
    mb = await make_matrix_bot(auto_join=[f"{alice.user_id}"])
    bob = await make_member("bob")
    refused = await bob.create_room("nope", invite=(mb.user_id,))
    accepted = await room_with_bot(alice, mb)
    assert "pong" in (await alice.ask(accepted, "!ping", mb.user_id)).lower()
    room = bob.client.rooms[refused]
    assert mb.user_id in room.invited_users and mb.user_id not in [
        u for u, m in room.users.items() if not m.invited]


async def test_space_rooms_form_one_community(make_matrix_bot: MakeMatrixBot,
                                              make_member: MakeMember) -> None:
    alice = await make_member("alice")
    # Room v11: the core's room specs still require `!id:server` (room v12 ids have no server).
    space_resp = await alice.client.room_create(name="Hive", space=True, room_version="11")
    space = space_resp.room_id  # type: ignore[union-attr]
    room = await alice.create_room("general")
    await alice.client.room_put_state(space, "m.space.child", {"via": ["localhost"]},
                                      state_key=room)
    mb = await make_matrix_bot(raw={"communities": {"hive": {"rooms": [f"matrix-space:{space}"]}}})
    await alice.client.room_invite(space, mb.user_id)
    await alice.client.room_invite(room, mb.user_id)
    await alice.joined(room, mb.user_id)
    await alice.joined(space, mb.user_id)
    await alice.wait(lambda: space in mb.adapter.client.rooms)  # type: ignore[union-attr]
    await alice.say(room, "hello hive")  # the space's children are read live
    await alice.wait(lambda: mb.recorder.messages)
    message = mb.recorder.messages[0]
    assert message.room.guild == space
    assert mb.tb.bot.communities.for_room(message.room).id == "hive"


async def test_password_login_keeps_its_device(make_matrix_bot: MakeMatrixBot,
                                               make_member: MakeMember,
                                               synapse: object) -> None:
    from .synapse import Homeserver

    assert isinstance(synapse, Homeserver)
    account = synapse.register("pwbot")
    mb = await make_matrix_bot(access_token=None, password=account.password,
                               user_id=account.user_id)
    session = mb.adapter.store_path / "session.json"
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o600
    device = mb.adapter.client.device_id  # type: ignore[union-attr]
    assert device != account.device_id  # its own device, not the registration's
    await mb.restart()
    assert mb.adapter.client.device_id == device  # type: ignore[union-attr]
    alice = await make_member("alice")
    room = await alice.create_room("pw", encrypted=True, invite=(account.user_id,))
    await alice.joined(room, account.user_id)
    assert "pong" in (await alice.ask(room, "!ping", account.user_id)).lower()


async def test_verified_only_trusts_listed_devices_alone(make_matrix_bot: MakeMatrixBot,
                                                         make_member: MakeMember) -> None:
    alice, bob = await make_member("alice"), await make_member("bob")
    mb = await make_matrix_bot(trust="verified-only",
                               trusted_devices=[f"{alice.user_id} {alice.account.device_id}"])
    room = await room_with_bot(alice, mb, encrypted=True, invite=(bob.user_id,))
    await bob.joined(room, bob.user_id)
    ignored = await bob.say(room, "!ping")  # an untrusted device: the bot does not act on it
    command = await alice.say(room, "!ping")
    reply = await alice.reply_to(room, command, mb.user_id)
    assert getattr(reply, "decrypted", False)
    await bob.wait(lambda: any(e.event_id == reply.event_id for _r, e in bob.events))
    seen_by_bob = next(e for _r, e in bob.events if e.event_id == reply.event_id)
    assert type(seen_by_bob).__name__ == "MegolmEvent"  # bob's device got no room key
    assert not [e for r, e in alice.events if r == room and e.sender == mb.user_id
                and relation(e).get("m.in_reply_to") == {"event_id": ignored}]
