"""Core hooks the plugin implements for operators: linked accounts, export, integrity, audit."""

from __future__ import annotations

from plugins.ideas import store
from plugins.ideas.tests.conftest import Harness, Start


async def member_id(h: Harness, name: str) -> int:
    ids: dict[int, str] = await h.bot.identity.names(list(range(1, 50)))
    return next(i for i, n in ids.items() if n == name)


async def test_linked_accounts_become_one_person(start: Start) -> None:
    h = await start(support_threshold=50)
    await h.say("carol", "!idea submit Carol's idea")
    await h.say("alice", "!idea support 1")
    await h.say("alice-matrix", "!idea support 1")  # the same person, not linked yet
    await h.say("alice-matrix", "!idea submit Written on the other account")
    old, new = await member_id(h, "alice-matrix"), await member_id(h, "alice")
    community = h.bot.communities.get("console")
    await h.bot.hooks.notify("on_member_linked", bot=h.bot, community=community,
                             old_member_id=old, member_id=new)
    await h.bot.hooks.notify("on_member_linked", bot=h.bot, community=community,
                             old_member_id=old, member_id=new)  # delivered again: no change
    first = await store.idea_by_number(h.bot.db, "console", 1)
    second = await store.idea_by_number(h.bot.db, "console", 2)
    assert first is not None and second is not None
    assert first.supporters == 1 and second.author_id == new
    assert await store.integrity_problems(h.bot.db) == []


async def test_export_and_integrity(start: Start) -> None:
    h = await start()
    await h.say("mod", "!campaign open Fair --bounty 5")
    await h.say("alice", "!idea submit Exported | with a description --campaign Fair")
    await h.say("bob", "!idea comment 1 nice")
    community = h.bot.communities.get("console")
    assert await h.bot.hooks.collect("export_data", bot=h.bot,
                                     community=h.bot.communities.get("elsewhere"),
                                     fmt="json") == []
    [tables] = await h.bot.hooks.collect("export_data", bot=h.bot, community=community,
                                         fmt="json")
    assert [r["title"] for r in tables["ideas_ideas"]] == ["Exported"]
    assert [r["name"] for r in tables["ideas_campaigns"]] == ["Fair"]
    assert [r["text"] for r in tables["ideas_comments"]] == ["nice"]
    assert await h.bot.hooks.collect("check_integrity", bot=h.bot) == []
    await h.bot.db.execute("UPDATE ideas_ideas SET supporters = 7")
    [problems] = await h.bot.hooks.collect("check_integrity", bot=h.bot)
    assert problems == ["ideas: console #1 stores 7 supporters / 1 comments but has 0 / 1"]


async def test_moderator_actions_are_audited(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Audited")
    await h.say("alice", "!idea submit Twin")
    await h.say("mod", "!idea merge 2 1")
    await h.say("mod", "!idea accept 1 yes")
    await h.say("mod", "!campaign open Later")
    out = await h.say("mod", "!audit")
    for said in ("mod (console:mod): merged ideas #2 → #1",
                 "mod (console:mod): accepted idea #1 “Audited”: yes",
                 "mod (console:mod): opened the campaign “Later”"):
        assert said in out, out
    assert "ideas." not in out
