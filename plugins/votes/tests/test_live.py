"""The live tally message: edited in place, coalesced to one edit per interval, final at close."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from bot import hookimpl
from bot.adapters.base import Capabilities
from bot.adapters.local import LocalAdapter
from bot.testing import TestBot
from plugins.votes.live import LiveTally
from plugins.votes.tests.conftest import BUILTINS, service, settle

INTERVAL = 0.2


async def test_unit_coalescing_leading_and_trailing_edge() -> None:
    rendered: list[float] = []

    async def render(poll_id: int) -> None:
        rendered.append(time.monotonic())

    live = LiveTally(render, INTERVAL)
    start = time.monotonic()
    for _ in range(100):
        live.touch(7)
        await asyncio.sleep(0.005)
    await live.idle()
    elapsed = time.monotonic() - start
    assert 2 <= len(rendered) <= elapsed / INTERVAL + 1
    gaps = [b - a for a, b in itertools.pairwise(rendered)]
    assert all(g >= INTERVAL * 0.95 for g in gaps)
    assert rendered[-1] >= start + 0.5  # the trailing edit came after the last touch
    live.touch(7)
    await live.final(7)  # the final edit does not wait for the interval
    await live.close()
    live.touch(7)  # after close nothing is scheduled
    assert live._tasks == {}


async def test_the_last_change_is_always_rendered() -> None:
    """A touch landing just as the edit task finishes must not be lost."""
    state = {"now": 0, "shown": -1}

    async def render(poll_id: int) -> None:
        state["shown"] = state["now"]

    live = LiveTally(render, 0.0)
    for rounds in range(1, 40):
        for i in range(rounds):
            state["now"] += 1
            live.touch(1)
            for _ in range(i % 3):
                await asyncio.sleep(0)
        for _ in range(rounds % 5):
            await asyncio.sleep(0)
        await live.idle()
        assert state["shown"] == state["now"]


async def test_burst_of_ballots_edits_at_most_once_per_interval(make_bot: Any) -> None:
    raw = {"plugins": {"votes": {"tally_edit_interval": INTERVAL}}}
    tb: TestBot = await make_bot(raw=raw, builtins=BUILTINS)
    chat = tb.chat
    await chat.say("alice", '!poll new "Burst" "A" "B" "C"')
    message = chat.last()
    start = time.monotonic()
    await asyncio.gather(*(chat.say(f"m{i}", f"!vote 1 {'ABC'[i % 3]}") for i in range(60)))
    for i in range(60, 90):
        await chat.say(f"m{i}", "!vote 1 A")
        await asyncio.sleep(0.01)
    await settle(tb)
    elapsed = time.monotonic() - start
    assert 1 <= len(message.edits) <= elapsed / INTERVAL + 1, (len(message.edits), elapsed)
    assert "90 ballots" in message.current and "A · A  ██████░░░░ 50 (56%)" in message.current
    edits_before_close = len(message.edits)
    await chat.say("alice", "!poll close 1")
    assert len(message.edits) == edits_before_close + 1  # the final edit, at once
    assert "Winner: A · A" in message.current


async def test_edits_go_to_the_poll_message_not_new_messages(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    for i in range(5):
        await chat.say(f"m{i}", "!vote 1 A")
    await settle(tb)
    poll_messages = [m for m in chat.sent if m.text.startswith("📊 Poll #1")]
    assert len(poll_messages) == 1 and "5 ballots" in poll_messages[0].current
    assert service(tb).live.edits >= 1


async def test_an_edit_lost_to_a_restart_is_made_after_it(make_bot: Any) -> None:
    raw = {"plugins": {"votes": {"tally_edit_interval": 30.0}}}
    tb: TestBot = await make_bot(raw=raw, builtins=BUILTINS)
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    await tb.chat.say("bob", "!vote 1 A")
    for _ in range(500):  # the leading edit goes out at once
        if tb.chat.adapter.message(1).edits:
            break
        await asyncio.sleep(0.01)
    await tb.chat.say("carol", "!vote 1 A")  # this one waits for the 30 s interval…
    assert "1 ballot" in tb.chat.adapter.message(1).current
    tb = await tb.restart()  # …and the stop drops it
    await settle(tb)
    # the new in-memory room has no message #1, so the edit shows up as a message
    assert any("📊 Poll #1" in t and "2 ballots" in t for t in tb.chat.texts)


class NoEdits(LocalAdapter):
    capabilities = Capabilities(reactions=True, edits=False)


class NoEditsPlatform:
    def __init__(self) -> None:
        self.adapter = NoEdits("plain", "room")

    @hookimpl
    def register_adapters(self, bot: Any) -> list[LocalAdapter]:
        return [self.adapter]


async def test_platforms_without_edits_get_no_live_tally(make_bot: Any) -> None:
    platform = NoEditsPlatform()
    tb: TestBot = await make_bot(raw={"plugins": {"votes": {"tally_edit_interval": 0.0}}},
                                 builtins=BUILTINS, plugins={"plain": platform})
    room = platform.adapter
    await room.say("alice", '!poll new "Q" "A" "B"')
    for i in range(3):
        await room.say(f"m{i}", "!vote 1 B")
    await settle(tb)
    assert [m for m in room.sent if m.text.startswith("📊")] == [room.sent[0]]
    await room.say("alice", "!poll close 1")
    await settle(tb)
    assert room.sent[0].edits == []
    assert "Winner: B" in room.sent[-1].text
