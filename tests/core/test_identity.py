"""Members, account linking across platforms, settings and the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.testing import TestBot


@dataclass
class OtherSection:
    enabled: bool = True


class OtherPlatform:
    """Registers a second in-process platform joined to the console community."""

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}


class LinkWatcher:
    def __init__(self) -> None:
        self.links: list[tuple[int, int]] = []

    @hookimpl
    def on_member_linked(self, old_member_id: int, member_id: int) -> None:
        self.links.append((old_member_id, member_id))


@pytest.fixture
async def two(make_bot: Any) -> tuple[TestBot, LocalAdapter, LinkWatcher]:
    watcher = LinkWatcher()
    tb = await make_bot(plugins={"other": OtherPlatform(), "watch": watcher},
                        raw={"communities": {"main": {"rooms": ["console:console",
                                                                "other:room"]}}})
    other = LocalAdapter("other", "room", moderators=["mod"])
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    return tb, other, watcher


def code_of(text: str) -> str:
    match = re.search(r"code is ([A-Z0-9]{8})", text)
    assert match, text
    return match.group(1)


async def say(adapter: LocalAdapter, name: str, text: str) -> str:
    return "\n".join(m.text for m in await adapter.say(name, text))


async def test_link_two_accounts(two: Any) -> None:
    tb, other, watcher = two
    out = await tb.chat.say("alice", "!link")
    assert "private message" in out  # the code itself went by direct message
    dm = next(m for m in tb.chat.sent if m.to == "alice")
    code = code_of(dm.text)
    assert "Linked" in await say(other, "alice_m", f"!link {code.lower()}")
    bot = tb.bot
    console_member = await bot.identity.find(bot.communities.get("main"), "console", "alice")
    other_member = await bot.identity.find(bot.communities.get("main"), "other", "alice_m")
    assert console_member is not None and other_member is not None
    assert console_member.id == other_member.id
    assert len(watcher.links) == 1 and watcher.links[0][1] == console_member.id
    # one-time code
    assert "unknown or expired" in await say(other, "carol", f"!link {code}")
    # the audit log recorded it
    assert "link" in await tb.chat.say("operator", "!audit")


async def test_link_refusals(two: Any) -> None:
    tb, other, watcher = two
    await tb.chat.say("alice", "!link")
    code = code_of(next(m for m in tb.chat.sent if m.to == "alice").text)
    assert "another platform" in await tb.chat.say("bob", f"!link {code}")
    assert "already linked" in await tb.chat.say("alice", f"!link {code}")
    assert "unknown or expired" in await say(other, "x", "!link ZZZZZZZZ")
    assert "not a link code" in await say(other, "x", "!link " + "A" * 40)
    tb.bot.clock = lambda: __import__("time").time() + 601
    assert "unknown or expired" in await say(other, "x", f"!link {code}")
    assert watcher.links == []


async def test_config_from_chat_is_validated_and_audited(make_bot: Any) -> None:
    from tests.core import sample_commands

    tb = await make_bot(plugins={"sample": sample_commands.plugin})
    chat = tb.chat
    assert "not allowed" in await chat.say("alice", "!config bot.locale fr")
    assert "Unknown setting" in await chat.say("mod", "!config bot.nope 1")
    assert "Invalid value" in await chat.say("mod", "!config bot.locale de")
    assert "set to fr" in await chat.say("mod", "!config bot.locale fr")
    assert (await chat.say("alice", "!add")).startswith("Argument manquant")
    assert "?" in await chat.say("mod", "!config bot.command_prefix ?")
    assert await chat.say("alice", "?ping") == "Pong !"
    assert await chat.say("alice", "!ping") == ""
    assert "en" in await chat.say("mod", "?config bot.locale --reset")
    audit = await chat.say("mod", "?audit")
    assert "changed a setting: bot.locale = fr" in audit
    assert "reset a setting: bot.locale" in audit
    tb = await tb.restart()  # overrides are stored, not just cached
    assert await tb.chat.say("alice", "?ping") == "Pong!"


async def test_member_is_renamed_not_duplicated(ruche_bot: TestBot) -> None:
    bot = ruche_bot.bot
    community = bot.communities.get("console")
    from bot.model import UserRef

    first = await bot.identity.member_for(UserRef("console", "u1", "Old"), community)
    second = await bot.identity.member_for(UserRef("console", "u1", "New"), community)
    assert first.id == second.id
    assert (await bot.identity.names([first.id])) == {first.id: "New"}


async def test_an_unknown_name_keeps_the_stored_one(ruche_bot: TestBot) -> None:
    from bot.model import UserRef

    bot = ruche_bot.bot
    community = bot.communities.get("console")
    first = await bot.identity.member_for(UserRef("console", "u2", "Named"), community)
    bot.identity._cache.clear()
    again = await bot.identity.member_for(UserRef("console", "u2", ""), community)
    assert again.id == first.id and again.display_name == "Named"
    assert (await bot.identity.names([first.id])) == {first.id: "Named"}
    fresh = await bot.identity.member_for(UserRef("console", "u3", ""), community)
    assert fresh.display_name == "u3"


async def test_roles_and_member_rules_follow_a_linked_account(two: Any) -> None:
    tb, other, _watcher = two
    other.admins.add("boss")
    await say(other, "alice_m", "hello")
    await say(other, "boss", "!role create curator")
    assert "holds the role curator" in await say(other, "boss", "!role add @alice_m curator")
    assert "allowed" in await say(other, "boss", "!perm allow core.audit @alice_m")
    assert "(core.audit)" in await tb.chat.say("alice", "!audit")
    out = await tb.chat.say("alice", "!link")
    code = code_of(next(m for m in tb.chat.sent if m.to == "alice").text)
    assert "Linked" in await say(other, "alice_m", f"!link {code}")
    assert "Holders of curator: alice" in await tb.chat.say("alice", "!role list curator")
    assert "(core.audit)" not in await tb.chat.say("alice", "!audit"), out
    rows = await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_role_holders")
    assert rows == 1
