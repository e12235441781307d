"""Regression: the `!link` that merges a member away must not bring that member back.

The router notes presence (`on_command_completed`) for the member who ran the command; for
`!link CODE` that member no longer exists once linked, and noting them re-created their
presence row, so the next allowance sweep minted tokens into a wallet nobody can use.
"""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.local import LocalAdapter
from plugins.tips.tests.conftest import Clock
from plugins.tips.tests.test_model_machine import OtherPlatform


async def test_allowance_is_never_paid_to_a_linked_away_member(make_bot: Any) -> None:
    tb = await make_bot(plugins={"other": OtherPlatform()}, raw={
        "plugins": {"tips": {"allowance_amount": 5, "activity_reward": 0}},
        "communities": {"main": {"rooms": ["console:console", "other:room"]}}})
    tb.bot.clock = Clock()
    other = LocalAdapter("other", "room")
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    await tb.chat.say("alice", "hello")
    await other.say("dave", "hello")
    dave = await tb.bot.identity.find(tb.bot.communities.get("main"), "other", "dave")
    await tb.chat.say("alice", "!link")
    code = re.search(r"code is ([A-Z0-9]{8})", "\n".join(tb.chat.texts))
    assert code is not None
    assert "Linked" in "\n".join(m.text for m in await other.say("dave", f"!link {code[1]}"))
    assert await tb.bot.scheduler.run_now("tips.allowance")
    dead = await tb.bot.db.fetchval(
        "SELECT COUNT(*) FROM tips_entries WHERE dst = $1", f"member:{dave.id}")
    assert dead == 0
    rows = await tb.bot.db.fetchval(
        "SELECT COUNT(*) FROM tips_members WHERE member_id = $1", dave.id)
    assert rows == 0
    assert "has 5 BZZ" in "\n".join(m.text for m in await other.say("dave", "!balance"))
