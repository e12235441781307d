"""Every permission of the plugin refuses whom it should, server-side, before anything changes."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from plugins.ideas import store
from plugins.ideas.tests.conftest import Start, known

MODERATOR_ONLY = [
    ("!idea approve 1", "ideas.moderate"),
    ("!idea accept 1", "ideas.moderate"),
    ("!idea reject 1 because", "ideas.moderate"),
    ("!idea implement 1", "ideas.moderate"),
    ("!idea merge 1 2", "ideas.moderate"),
    ("!idea poll 1", "ideas.moderate"),
    ("!campaign open Fair", "ideas.campaigns"),
    ("!campaign close Fair", "ideas.campaigns"),
]

MEMBER_LEVEL = [
    ("!idea submit Another", "ideas.submit"),
    ("!idea edit 1 New title", "ideas.submit"),
    ("!idea withdraw 1", "ideas.submit"),
    ("!idea coauthor 1 @bob", "ideas.submit"),
    ("!idea support 2", "ideas.support"),
    ("!idea unsupport 2", "ideas.support"),
    ("!idea comment 2 hi", "ideas.comment"),
    ("!idea feedback 2 5", "ideas.feedback"),
]


@pytest.mark.parametrize(("command", "permission"), MODERATOR_ONLY)
async def test_members_cannot_moderate(start: Start, command: str, permission: str) -> None:
    h = await start()
    await h.say("alice", "!idea submit One")
    await h.say("alice", "!idea submit Two")
    await h.say("mod", "!campaign open Fair")
    out = await h.say("alice", command)
    assert out == f"You are not allowed to do that ({permission})."
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and row.status == "open"
    assert [n for n, _ in h.events.events] == ["submitted", "submitted"]


class Sanctions:
    """An operator's plugin that takes the member permissions away from `banned`."""

    @hookimpl
    def permission_allowed(self, member: Any, permission: str) -> bool | None:
        return False if member.display_name == "banned" else None


@pytest.mark.parametrize(("command", "permission"), MEMBER_LEVEL)
async def test_member_permissions_can_be_withdrawn(make_bot: Any, command: str,
                                                   permission: str) -> None:
    from plugins.ideas.tests.conftest import IDEAS_ONLY

    tb = await make_bot(plugins={"sanctions": Sanctions()}, builtins=IDEAS_ONLY)
    chat = tb.chat
    await chat.say("bob", "hi")
    await chat.say("banned", "!idea submit Before the ban")  # refused as well
    await chat.say("alice", "!idea submit Alice's")
    await chat.say("alice", "!idea submit Alice's second")
    out = await chat.say("banned", command)
    assert out == f"You are not allowed to do that ({permission})."


async def test_help_shows_moderators_their_subcommands_only(start: Start) -> None:
    h = await start()
    member = await h.say("alice", "!help idea")
    moderator = await h.say("mod", "!help idea")
    for sub in ("approve", "accept", "reject", "implement", "merge", "poll"):
        assert f"!idea {sub} " not in member
        assert f"• !idea {sub} <" in moderator
    assert "• !idea merge <duplicate> <target> — Merge a duplicate" in moderator
    assert "Reserved to: moderators" in await h.say("alice", "!help idea merge")


async def test_bots_cannot_take_part(start: Start) -> None:
    h = await start(support_threshold=1)
    await known(h, "alice")
    await h.say("alice", "!idea submit Humans only")
    assert await h.chat.say("robot", "!idea support 1", is_bot=True) == ""
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and (row.supporters, row.status) == (0, "open")
