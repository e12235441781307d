"""Regenerates fixtures/events.json: event dicts as a real Synapse serves them to a client.

The contents are what Element and other clients send (pills, reply fallbacks, threads, MSC3381
polls in both namespaces, reactions and their redaction, an encrypted message decrypted); the
envelopes (ids, timestamps, unsigned) come from Synapse. Run from the repo root:

    .venv/bin/python -m tests.matrix.record_events
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from nio import Event

from .member import Member
from .synapse import start_homeserver

OUT = Path(__file__).parent / "fixtures" / "events.json"


def _html_pill(user: str, label: str) -> str:
    return f'<a href="https://matrix.to/#/{user}">{label}</a>'


async def record() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp())
    server = start_homeserver(work)
    try:
        alice = Member(server.url, server.register("alice"), work / "alice")
        bob = Member(server.url, server.register("bob"), work / "bob")
        observer = Member(server.url, server.register("observer"), work / "observer")
        for member in (alice, bob, observer):
            await member.start()
        a, b = alice.user_id, bob.user_id
        room = await alice.create_room("Recorded", invite=(b, observer.user_id),
                                       levels={b: 50})
        await bob.joined(room, b)
        await observer.joined(room, observer.user_id)
        names: dict[str, str] = {}

        async def send(name: str, who: Member, content: dict[str, Any],
                       etype: str = "m.room.message") -> str:
            event_id = await who.send(room, content, etype)
            names[event_id] = name
            return event_id

        root = await send("text", alice, {"msgtype": "m.text", "body": "!idea submit Solar roof"})
        await send("notice", bob, {"msgtype": "m.notice", "body": "!ping from a bot"})
        await send("emote", bob, {"msgtype": "m.emote", "body": "waves"})
        await send("formatted", alice, {
            "msgtype": "m.text", "body": "!help **idea**", "format": "org.matrix.custom.html",
            "formatted_body": "!help <strong>idea</strong>"})
        await send("pill", alice, {
            "msgtype": "m.text", "body": "!tip Bob 5", "format": "org.matrix.custom.html",
            "formatted_body": f"!tip {_html_pill(b, 'Bob')} 5", "m.mentions": {"user_ids": [b]}})
        await send("reply", bob, {
            "msgtype": "m.text",
            "body": f"> <{a}> !idea submit Solar roof\n\n!idea support 1",
            "format": "org.matrix.custom.html",
            "formatted_body": (
                f'<mx-reply><blockquote><a href="https://matrix.to/#/{room}/{root}">In reply to'
                f"</a> {_html_pill(a, a)}<br>!idea submit Solar roof</blockquote></mx-reply>"
                "!idea support 1"),
            "m.relates_to": {"m.in_reply_to": {"event_id": root}}})
        await send("thread", bob, {
            "msgtype": "m.text", "body": "!ping",
            "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                             "m.in_reply_to": {"event_id": root}}})
        await send("edit", alice, {
            "msgtype": "m.text", "body": "* !idea submit Solar roofs",
            "m.new_content": {"msgtype": "m.text", "body": "!idea submit Solar roofs"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": root}})
        reaction = await send("reaction", bob, {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": root, "key": "👍️"}}, "m.reaction")
        await bob.redact(room, reaction)
        poll = await send("poll_start_unstable", alice, {
            "org.matrix.msc3381.poll.start": {
                "kind": "org.matrix.msc3381.poll.disclosed", "max_selections": 1,
                "question": {"org.matrix.msc1767.text": "Lunch?"},
                "answers": [{"id": "pizza", "org.matrix.msc1767.text": "Pizza"},
                            {"id": "salad", "org.matrix.msc1767.text": "Salad"}]},
            "org.matrix.msc1767.text": "Lunch?\n1. Pizza\n2. Salad"},
            "org.matrix.msc3381.poll.start")
        await send("poll_response_unstable", bob, {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll},
            "org.matrix.msc3381.poll.response": {"answers": ["salad"]}},
            "org.matrix.msc3381.poll.response")
        await send("poll_end_unstable", alice, {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll},
            "org.matrix.msc3381.poll.end": {}, "org.matrix.msc1767.text": "Ended"},
            "org.matrix.msc3381.poll.end")
        stable = await send("poll_start_stable", alice, {
            "m.poll": {"kind": "m.disclosed", "max_selections": 2,
                       "question": {"m.text": [{"body": "Which days?"}]},
                       "answers": [{"m.id": "mon", "m.text": [{"body": "Monday"}]},
                                   {"m.id": "tue", "m.text": [{"body": "Tuesday"}]},
                                   {"m.id": "wed", "m.text": [{"body": "Wednesday"}]}]},
            "m.text": [{"body": "Which days? 1. Monday 2. Tuesday 3. Wednesday"}]},
            "m.poll.start")
        await send("poll_response_stable", bob, {
            "m.relates_to": {"rel_type": "m.reference", "event_id": stable},
            "m.selections": ["tue", "nope", "mon", "wed"]}, "m.poll.response")
        await send("poll_end_stable", alice, {
            "m.relates_to": {"rel_type": "m.reference", "event_id": stable},
            "m.text": [{"body": "The poll has ended."}]}, "m.poll.end")
        # Membership: a join (observer leaves and joins again: a real join after a leave).
        await observer.client.room_leave(room)
        await alice.client.room_invite(room, observer.user_id)
        await observer.joined(room, observer.user_id)
        await bob.client.set_displayname("Bobby")
        secret = await alice.create_room("Secret", encrypted=True, invite=(observer.user_id,))
        await observer.joined(secret, observer.user_id)
        encrypted_id = await alice.send(secret, {"msgtype": "m.text", "body": "!ping secret"})
        names[encrypted_id] = "encrypted"
        await observer.wait(lambda: any(
            getattr(e, "event_id", None) == encrypted_id for _r, e in observer.events))
        await asyncio.sleep(0.5)
        recorded: dict[str, Any] = {"room_id": room, "alice": a, "bob": b,
                                    "observer": observer.user_id, "events": {}}
        event: Event
        for room_id, event in observer.events:
            source = dict(event.source)
            name = names.get(source.get("event_id", ""))
            etype, content = source.get("type"), source.get("content", {})
            if name is None and etype == "m.room.redaction":
                name = "redaction"
            elif name is None and etype == "m.room.member" and content.get("membership") == "join":
                if source.get("state_key") == observer.user_id:
                    name = "join" if room_id == room else "join_encrypted_room"
                elif source.get("state_key") == b and content.get("displayname") == "Bobby":
                    name = "rename"
            if name is not None:
                recorded["events"][name] = {"room_id": room_id, "event": source}
        invite = await _record_invite(server, alice, observer, work)
        recorded["events"]["invite"] = invite
        for member in (alice, bob, observer):
            await member.stop()
        return recorded
    finally:
        server.stop()


async def _record_invite(server: Any, alice: Member, observer: Member, work: Path) -> Any:
    """An invite as it appears in invite_state (stripped state; nio keeps only `content`)."""
    carol = Member(server.url, server.register("carol"), work / "carol", auto_join=False)
    await carol.start()
    room = await alice.create_room("Invite", invite=(carol.user_id,), is_direct=True)

    await carol.wait(lambda: any(r == room for r, _e in carol.invites))
    events = [{"type": "m.room.member", "sender": e.sender, "state_key": e.state_key,
               "content": e.content} for r, e in carol.invites if r == room]
    await carol.stop()
    return {"room_id": room, "invite_state": events, "invited": carol.user_id}


def main() -> None:
    recorded = asyncio.run(record())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(recorded['events'])} events to {OUT}")


if __name__ == "__main__":
    main()
