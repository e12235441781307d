"""Per-community plugin switches: a plugin off in one community is gone there, kept elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.config import Config, ConfigErrors
from bot.testing import MakeBot, ManualClock, TestBot, future_time
from plugins.tips import TipsPlugin
from plugins.votes import store as votes_store

HOUR = 3600.0
RAW: dict[str, Any] = {"plugins": {"tips": {"allowance_amount": 0, "activity_reward": 0},
                                   "votes": {"tally_edit_interval": 0.0}}}


@dataclass
class OtherSection:
    enabled: bool = True


class OtherPlatform:
    """A second in-process platform; its room is a community of its own (`other:room`)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}

    @hookimpl
    def on_message(self, community: Any) -> None:
        self.messages.append(community.id)


@pytest.fixture
async def two(make_bot: MakeBot) -> tuple[TestBot, LocalAdapter]:
    tb = await make_bot(raw=RAW, plugins={"other-platform": OtherPlatform()})
    other = LocalAdapter("other", "room", admins=["operator"])
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    tb.bot.clock = ManualClock(future_time())
    return tb, other


async def say(adapter: LocalAdapter, name: str, text: str) -> str:
    return "\n".join(m.text for m in await adapter.say(name, text))


async def test_a_disabled_plugin_is_unknown_in_its_community_only(
        two: tuple[TestBot, LocalAdapter]) -> None:
    tb, other = two
    chat = tb.chat
    await chat.say("bob", "hello")
    tips = tb.bot.plugin(TipsPlugin).service
    bob = await tb.bot.identity.find(tb.bot.communities.get("console"), "console", "bob")
    assert bob is not None
    await tips.treasury.award("console", bob.id, 7, "test_fund", "fund:bob")
    assert "7 BZZ" in await chat.say("bob", "!balance")
    listed = await chat.say("operator", "!plugin list")
    assert "• tips 0.1.0 — on" in listed and "• core 0.1.0 — always on" in listed
    refused = await chat.say("mod", "!plugin disable tips")
    assert "(plugins.manage)" in refused
    out = await chat.say("operator", "!plugin disable tips")
    assert out == "tips is off in console: its commands and jobs stop here, its data stays."
    unknown = await chat.say("bob", "!balance")
    assert unknown == (await chat.say("bob", "!nosuchthing")).replace("nosuchthing", "balance")
    assert "Unknown command" in await chat.say("bob", "!tip @alice 1")
    help_text = await chat.say("bob", "!help")
    assert "!balance" not in help_text and "!tip " not in help_text and "!poll" in help_text
    assert "Unknown command" in await chat.say("bob", "!help balance")
    assert "— off" in await chat.say("operator", "!plugin list")
    # the other community still has it
    assert "!balance" in await say(other, "carol", "!help")
    assert "0 BZZ" in await say(other, "carol", "!balance")
    # back on: the data was kept
    assert "its data was kept" in await chat.say("operator", "!plugin enable tips")
    assert "7 BZZ" in await chat.say("bob", "!balance")
    assert await chat.say("operator", "!plugin enable tips") == "tips is already on here."
    audit = await chat.say("mod", "!audit 2")
    assert "switched a plugin on: tips" in audit and "switched a plugin off: tips" in audit


async def test_what_cannot_be_switched(two: tuple[TestBot, LocalAdapter]) -> None:
    tb, _other = two
    chat = tb.chat
    assert "the core" in await chat.say("operator", "!plugin disable core")
    assert "connects a platform" in await chat.say("operator", "!plugin disable test-chat")
    out = await chat.say("operator", "!plugin disable tipz")
    assert "There is no plugin tipz here" in out and "tips" in out
    assert await chat.say("operator", "!plugin disable votes") != ""
    assert await chat.say("operator", "!plugin disable votes") == "votes is already off here."
    assert (await chat.say("mod", "!audit 5")).count("switched a plugin") == 1


async def test_a_job_skips_the_community_where_its_plugin_is_off(
        two: tuple[TestBot, LocalAdapter]) -> None:
    tb, other = two
    bot, chat = tb.bot, tb.chat
    clock = bot.clock
    assert isinstance(clock, ManualClock)
    await chat.say("alice", '!poll new "Q" "A" "B" --duration 2h')
    await say(other, "carol", '!poll new "Q" "A" "B" --duration 2h')
    await chat.say("operator", "!plugin disable votes")
    clock.advance(seconds=2 * HOUR + 1)
    assert await bot.scheduler.run_now("votes.sweep")

    async def status(community: str) -> str:
        poll = await votes_store.find_poll(bot.db, community, 1)
        assert poll is not None
        return poll.status

    assert await status("console") == "open"  # skipped: votes is off here
    assert await status("other:room") == "closed"
    await chat.say("operator", "!plugin enable votes")
    assert await bot.scheduler.run_now("votes.sweep")
    assert await status("console") == "closed"


async def test_the_allowance_sweep_skips_a_disabled_community(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"plugins": {"tips": {"allowance_amount": 10,
                                                  "activity_reward": 0}}})
    chat = tb.chat
    await chat.say("alice", "hello")
    await chat.say("operator", "!plugin disable tips")
    assert await tb.bot.scheduler.run_now("tips.allowance")
    await chat.say("operator", "!plugin enable tips")
    assert "0 BZZ" in await chat.say("alice", "!balance")
    assert await tb.bot.scheduler.run_now("tips.allowance")
    assert "10 BZZ" in await chat.say("alice", "!balance")


async def test_event_hooks_skip_a_disabled_plugin(two: tuple[TestBot, LocalAdapter]) -> None:
    tb, other = two
    recorder = next(p for _n, p in tb.bot.pm.list_name_plugin() if isinstance(p, OtherPlatform))
    await tb.chat.say("alice", "hello")
    await say(other, "carol", "hello")
    assert recorder.messages == ["console", "other:room"]
    await tb.chat.say("operator", "!plugin disable other-platform")
    await tb.chat.say("alice", "hello again")
    await say(other, "carol", "hello again")
    assert recorder.messages == ["console", "other:room", "other:room"]


async def test_the_operator_default_and_its_validation(make_bot: MakeBot, tmp_path: Any) -> None:
    tb = await make_bot(raw={**RAW, "communities": {"console": {
        "rooms": ["console:console"], "disabled_plugins": ["funding"]}}})
    chat = tb.chat
    assert "Unknown command" in await chat.say("alice", "!fund list")
    assert "— off" in (await chat.say("operator", "!plugin list")).split("funding")[1]
    assert "funding is on again" in await chat.say("operator", "!plugin enable funding")
    assert "Unknown command" not in await chat.say("alice", "!fund list")
    tb = await tb.restart()  # chat's choice outlives a restart, over the file's default
    assert "Unknown command" not in await tb.chat.say("alice", "!fund list")
    from bot.app import Bot

    for names, words in ((["fundin"], "not a known plugin; did you mean 'funding'"),
                         (["core"], "cannot be disabled"), (["console"], "cannot be disabled")):
        config = Config({"storage": {"url": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
                         "communities": {"c": {"disabled_plugins": names}}})
        with pytest.raises(ConfigErrors) as info:
            await Bot(config, use_entry_points=False).load()
        assert "communities.c.disabled_plugins" in str(info.value)
        assert words in str(info.value)
