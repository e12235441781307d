"""The announcement outbox: recorded in the caller's transaction, delivered at least once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.announcement import decode_ref
from bot.i18n import translatable
from bot.model import MessageRef, OutgoingMessage, RoomRef
from bot.outbox import RunOwner, pid_alive
from bot.storage import Tx
from bot.testing import TestBot

_ = translatable("core")
ROOM = RoomRef("console", "console")
CORE_ONLY = {"core": "bot.commands.builtin"}


class Renderer:
    """A plugin that renders its `demo` announcements from their payload, or fails on demand."""

    def __init__(self) -> None:
        self.fail = False
        self.calls: list[str] = []

    @hookimpl
    def render_announcement(self, announcement: Any) -> Any:
        if announcement.namespace != "demo":
            return None
        self.calls.append(announcement.key)
        if self.fail:
            raise RuntimeError("renderer down")
        return OutgoingMessage(f"rendered {announcement.payload['n']}")


async def _bot(make_bot: Any, renderer: Renderer | None = None) -> TestBot:
    return await make_bot(builtins=CORE_ONLY, plugins={"demo": renderer or Renderer()})


async def _add(tb: TestBot, key: str, **kwargs: Any) -> None:
    async def op(tx: Tx) -> None:
        await tb.bot.outbox.add(tx, "demo", key, community="console", **kwargs)

    await tb.bot.db.atomic(op)


async def test_delivered_once_with_its_message_ref(make_bot: Any) -> None:
    tb = await _bot(make_bot)
    await _add(tb, "k1", room=ROOM, payload={"n": 1})
    await _add(tb, "k1", room=ROOM, payload={"n": 2})  # the same key is recorded once
    assert await tb.bot.outbox.deliver(["k1"]) == 1
    assert await tb.bot.outbox.deliver(["k1"]) == 0
    assert await tb.bot.outbox.drain() == 0
    assert tb.chat.texts == ["rendered 1"]
    ref = await tb.bot.db.fetchval("SELECT message_ref FROM core_announcements WHERE key = 'k1'")
    assert ref is not None and await tb.bot.outbox.pending() == []


async def test_rolled_back_transaction_records_nothing(make_bot: Any) -> None:
    tb = await _bot(make_bot)

    async def op(tx: Tx) -> None:
        await tb.bot.outbox.add(tx, "demo", "k", community="console", room=ROOM, text="hi")
        raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        await tb.bot.db.atomic(op)
    assert await tb.bot.outbox.pending() == []


async def test_unsent_after_a_crash_goes_out_at_the_next_start(make_bot: Any) -> None:
    tb = await _bot(make_bot)
    await _add(tb, "k", room=ROOM, text=_("Hello {who}", who=_("world")))
    # The process "dies" after the commit: nothing delivered it.
    tb = await tb.restart()
    assert tb.chat.texts == ["Hello world"]
    assert await tb.bot.outbox.pending() == []


async def test_a_dead_runs_lease_is_released_at_start_a_live_hosts_is_not(make_bot: Any) -> None:
    tb = await _bot(make_bot)
    await _add(tb, "mine", room=ROOM, text="from a dead run")
    await _add(tb, "theirs", room=ROOM, text="from another host")
    far = tb.bot.now() + 3600
    dead = RunOwner(tb.bot.outbox.owner.host, os.getpid(), "previous-run").encode()
    other = RunOwner("another-host", 1, "run").encode()
    for key, owner in (("mine", dead), ("theirs", other)):
        await tb.bot.db.execute("UPDATE core_announcements SET lease_owner = $1, "
                                "lease_until = $2 WHERE key = $3", owner, far, key)
    tb = await tb.restart()
    assert tb.chat.texts == ["from a dead run"]
    assert [a.key for a in await tb.bot.outbox.pending()] == ["theirs"]


def test_owner_encoding_and_liveness() -> None:
    assert pid_alive(os.getpid())
    assert RunOwner.parse(RunOwner("h/with/slash", 12, "r").encode()) == RunOwner(
        "h/with/slash", 12, "r")


async def test_failed_render_is_retried_later(make_bot: Any) -> None:
    renderer = Renderer()
    tb = await _bot(make_bot, renderer)
    renderer.fail = True
    await _add(tb, "k", room=ROOM, payload={"n": 7})
    assert await tb.bot.outbox.deliver(["k"]) == 0
    row = await tb.bot.db.fetchrow("SELECT attempts, last_error, next_try_at, lease_owner "
                                   "FROM core_announcements WHERE key = 'k'")
    assert row is not None and row["attempts"] == 1 and "renderer down" in row["last_error"]
    assert row["lease_owner"] is None and row["next_try_at"] > tb.bot.now()
    renderer.fail = False
    assert await tb.bot.outbox.drain() == 0  # not due yet: backoff
    await tb.bot.db.execute("UPDATE core_announcements SET next_try_at = 0")
    assert await tb.bot.outbox.drain() == 1
    assert tb.chat.texts == ["rendered 7"]


async def test_edit_and_member_targets(make_bot: Any) -> None:
    tb = await _bot(make_bot)
    await tb.chat.say("alice", "hello")
    ref = await tb.bot.send(ROOM, OutgoingMessage("draft"))
    await _add(tb, "edit", edit=ref, text="final")
    assert await tb.bot.outbox.deliver(["edit"]) == 1
    number = tb.chat.adapter.number_of(ref)
    assert number is not None and tb.chat.adapter.message(number).edits == ["final"]
    community = tb.bot.communities.get("console")
    alice = await tb.bot.identity.find(community, "console", "alice")
    assert alice is not None
    await _add(tb, "dm", member_id=alice.id, room=ROOM, text=_("psst"))
    assert await tb.bot.outbox.deliver(["dm"]) == 1
    assert tb.chat.last().to == "alice" and tb.chat.last().text == "psst"


async def test_nowhere_to_go_is_refused(make_bot: Any) -> None:
    tb = await _bot(make_bot)
    with pytest.raises(ValueError):
        await _add(tb, "k", text="lost")
    assert await tb.bot.outbox.pending() == []


@dataclass
class OtherSection:
    enabled: bool = True


class OtherPlatform:
    """Declares the `other` platform so `[communities.*] rooms` may name its rooms."""

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}


async def _two_rooms(make_bot: Any, **community: Any) -> tuple[TestBot, LocalAdapter]:
    tb = await make_bot(builtins=CORE_ONLY, plugins={"demo": Renderer(), "p": OtherPlatform()},
                        raw={"communities": {"main": {
                            "rooms": ["console:console", "other:room", "other:hall"],
                            **community}}})
    other = LocalAdapter("other", "room")
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    return tb, other


async def _copies(tb: TestBot) -> list[tuple[str, str]]:
    """(room, key) of each copy posted on the `other` platform, from the refs stored."""
    rows = await tb.bot.db.fetch("SELECT key, message_ref FROM core_announcements "
                                 "WHERE sent_at IS NOT NULL ORDER BY id")
    refs = [(r["key"], decode_ref(r["message_ref"])) for r in rows]
    return [(ref.room_id, key) for key, ref in refs if ref is not None and ref.platform == "other"]


async def _add_main(tb: TestBot, key: str, **kwargs: Any) -> None:
    async def op(tx: Tx) -> None:
        await tb.bot.outbox.add(tx, "demo", key, community="main", **kwargs)

    await tb.bot.db.atomic(op)


async def test_a_post_is_mirrored_to_every_room_of_its_community(make_bot: Any) -> None:
    tb, other = await _two_rooms(make_bot)
    await _add_main(tb, "m1", room=ROOM, payload={"n": 1})
    assert await tb.bot.outbox.deliver(["m1"]) == 3
    assert tb.chat.texts == ["rendered 1"]
    assert [m.text for m in other.sent] == ["rendered 1", "rendered 1"]
    assert await _copies(tb) == [("room", "m1|mirror|other:room"), ("hall", "m1|mirror|other:hall")]
    assert await tb.bot.outbox.deliver(["m1"]) == 0  # each copy once
    await _add_main(tb, "m2", member_id=1, room=ROOM, payload={"n": 2})  # private: no copies
    await _add_main(tb, "m3", edit=MessageRef("console", "console", "1"), payload={"n": 3})
    keys = await tb.bot.db.fetch("SELECT key FROM core_announcements ORDER BY id")
    assert [r["key"] for r in keys] == ["m1", "m1|mirror|other:room", "m1|mirror|other:hall",
                                        "m2", "m3"]


async def test_announce_rooms_chooses_the_copies(make_bot: Any) -> None:
    tb, other = await _two_rooms(make_bot, announce_rooms=["other:hall"])
    await _add_main(tb, "m1", room=ROOM, payload={"n": 1})
    assert await tb.bot.outbox.deliver(["m1"]) == 2
    assert [m.text for m in other.sent] == ["rendered 1"]
    assert await _copies(tb) == [("hall", "m1|mirror|other:hall")]
    tb2, other2 = await _two_rooms(make_bot, announce_rooms=[])
    await _add_main(tb2, "m1", room=ROOM, payload={"n": 1})
    assert await tb2.bot.outbox.deliver(["m1"]) == 1 and other2.sent == []


async def test_a_copy_that_fails_is_retried_alone(make_bot: Any) -> None:
    tb, other = await _two_rooms(make_bot, announce_rooms=["other:room"])
    sent = other.send

    async def down(room: RoomRef, message: OutgoingMessage) -> Any:
        raise RuntimeError("other platform down")

    other.send = down  # type: ignore[method-assign]
    await _add_main(tb, "m1", room=ROOM, payload={"n": 1})
    assert await tb.bot.outbox.deliver(["m1"]) == 1
    assert [a.key for a in await tb.bot.outbox.pending()] == ["m1|mirror|other:room"]
    other.send = sent  # type: ignore[method-assign]
    await tb.bot.db.execute("UPDATE core_announcements SET next_try_at = 0")
    assert await tb.bot.outbox.drain() == 1
    assert tb.chat.texts == ["rendered 1"] and [m.text for m in other.sent] == ["rendered 1"]
