"""Members leaving and coming back, deleted commands and upgraded rooms, through the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.model import (
    IncomingMessage,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    RoomMoved,
    RoomRef,
)
from bot.testing import TestBot


@dataclass
class OtherSection:
    enabled: bool = True


class Watcher:
    """A second platform in the console community, and a record of departures."""

    def __init__(self) -> None:
        self.left: list[tuple[int, str]] = []

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}

    @hookimpl
    def on_member_leave(self, event: MemberLeave, member: Any) -> None:
        self.left.append((member.id, event.reason))


RAW = {"communities": {"main": {"rooms": ["console:console", "other:room"]}}}


@pytest.fixture
async def two(make_bot: Any) -> tuple[TestBot, LocalAdapter, Watcher]:
    watcher = Watcher()
    tb = await make_bot(plugins={"watch": watcher}, raw=RAW)
    other = LocalAdapter("other", "room")
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    return tb, other, watcher


async def departed(tb: TestBot) -> set[int]:
    return await tb.bot.identity.departed("main")  # type: ignore[no-any-return]


async def test_leaving_and_coming_back_is_the_same_member(two: Any) -> None:
    tb, _other, watcher = two
    chat = tb.chat
    await chat.say("alice", "hello")
    alice = await tb.bot.identity.find(tb.bot.communities.get("main"), "console", "alice")
    assert alice is not None
    room = chat.adapter.room()
    await tb.bot.dispatch_leave(MemberLeave(chat.adapter.user("alice"), room, "kicked"))
    assert await departed(tb) == {alice.id}
    assert watcher.left == [(alice.id, "kicked")]
    # a stranger leaving, or a repeated leave, changes nothing visible
    await tb.bot.dispatch_leave(MemberLeave(chat.adapter.user("nobody"), room))
    assert watcher.left == [(alice.id, "kicked")] and await departed(tb) == {alice.id}
    await tb.bot.dispatch_join(MemberJoin(chat.adapter.user("alice"), room))
    assert await departed(tb) == set()
    again = await tb.bot.identity.find(tb.bot.communities.get("main"), "console", "alice")
    assert again is not None and again.id == alice.id
    # gone again, then back by writing, across a restart
    await tb.bot.dispatch_leave(MemberLeave(chat.adapter.user("alice"), room, "banned"))
    tb = await tb.restart()
    assert await departed(tb) == {alice.id}
    assert await tb.chat.say("alice", "!ping") == "Pong!"
    assert await departed(tb) == set()


async def test_a_linked_member_is_present_while_one_account_is(two: Any) -> None:
    tb, other, watcher = two
    chat = tb.chat
    await chat.say("alice", "!link")
    dm = next(m for m in chat.sent if m.to == "alice")
    code = dm.text.split("code is ")[1][:8]
    assert "Linked" in "\n".join(m.text for m in await other.say("alice_m", f"!link {code}"))
    await tb.bot.dispatch_leave(MemberLeave(chat.adapter.user("alice"), chat.adapter.room()))
    assert await departed(tb) == set() and watcher.left == []
    await tb.bot.dispatch_leave(MemberLeave(other.user("alice_m"), other.room(), "left"))
    member = await tb.bot.identity.find(tb.bot.communities.get("main"), "other", "alice_m")
    assert member is not None
    assert await departed(tb) == {member.id} and watcher.left == [(member.id, "left")]


async def test_a_deleted_command_is_never_run(two: Any) -> None:
    tb, _other, _watcher = two
    chat = tb.chat
    adapter = chat.adapter
    ref = MessageRef("console", "console", "late-1")
    await tb.bot.dispatch_deleted(MessageDeleted(ref, adapter.room()))
    before = len(chat.sent)
    await tb.bot.dispatch_message(IncomingMessage(ref, adapter.user("alice"), adapter.room(),
                                                  "!ping"))
    assert len(chat.sent) == before  # deleted before it was handled: no answer
    fresh = MessageRef("console", "console", "late-2")
    await tb.bot.dispatch_message(IncomingMessage(fresh, adapter.user("alice"), adapter.room(),
                                                  "!ping"))
    assert chat.sent[-1].text == "Pong!"


async def test_an_upgraded_room_stays_in_its_community(two: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    tb, _other, _watcher = two
    new = RoomRef("other", "room2")
    lonely, lonely2 = RoomRef("other", "lonely"), RoomRef("other", "lonely2")
    assert tb.bot.communities.id_for(new) == "other:room2"
    await tb.bot.dispatch_room_moved(RoomMoved(RoomRef("other", "room"), new))
    await tb.bot.dispatch_room_moved(RoomMoved(lonely, lonely2))
    await tb.bot.dispatch_room_moved(RoomMoved(lonely2, RoomRef("other", "lonely3")))
    assert tb.bot.communities.id_for(new) == "main"
    assert tb.bot.communities.id_for(RoomRef("other", "lonely3")) == "other:lonely"
    assert any("put other:room2 in [communities.main] rooms" in r.getMessage()
               for r in caplog.records)
    tb = await tb.restart()
    assert tb.bot.communities.id_for(new) == "main"  # the move was stored
    assert tb.bot.communities.id_for(RoomRef("other", "lonely3")) == "other:lonely"
