"""Merging duplicates: supports counted once, comments and co-authors move, the event is emitted."""

from __future__ import annotations

from plugins.ideas import store
from plugins.ideas.tests.conftest import Start, known


async def supporters(h: object, idea_id: int) -> set[int]:
    rows = await h.bot.db.fetch(  # type: ignore[attr-defined]
        "SELECT member_id FROM ideas_supports WHERE idea_id = $1", idea_id)
    return {int(r[0]) for r in rows}


async def test_merge_moves_everything_without_double_counting(start: Start) -> None:
    h = await start(support_threshold=50)
    await known(h, "erin", "frank")
    await h.say("alice", "!idea submit Night market")
    await h.say("bob", "!idea submit Evening market")
    await h.say("alice", "!idea coauthor 1 @erin")
    await h.say("bob", "!idea coauthor 2 @frank")
    await h.say("bob", "!idea coauthor 2 @erin")  # erin co-writes both
    for name in ("carol", "dave"):
        await h.say(name, "!idea support 1")
    for name in ("carol", "gina", "alice"):  # carol supports both; alice is #1's author
        await h.say(name, "!idea support 2")
    await h.say("gina", "!idea comment 2 Fridays?")
    await h.say("hugo", "!idea comment 1 Saturdays!")

    out = await h.say("mod", "!idea merge 2 1")
    assert out.splitlines()[-1] == "Idea #2 is merged into idea #1, which now has 4 supports."
    src = await store.idea_by_number(h.bot.db, "console", 2)
    dst = await store.idea_by_number(h.bot.db, "console", 1)
    assert src is not None and dst is not None
    assert (src.status, src.merged_into, src.supporters, src.comments) == ("merged", dst.id, 0, 0)
    ids = {n: m for m, n in (await h.bot.identity.names(list(range(1, 20)))).items()}
    # carol once, dave, gina, and bob (the duplicate's author); not alice (her own idea)
    assert await supporters(h, dst.id) == {ids["carol"], ids["dave"], ids["gina"], ids["bob"]}
    assert dst.supporters == 4 and dst.comments == 2
    coauthors = set(await store.coauthor_ids(h.bot.db, dst.id))
    assert coauthors == {ids["erin"], ids["frank"]}
    [merge] = h.events.named("merged")
    assert (merge.source.number, merge.target.number) == (2, 1)
    assert merge.source.status == "merged" and merge.target.supporters == 4
    assert set(merge.target.coauthor_ids) == coauthors
    show = await h.say("zoe", "!idea show 1")
    assert "Supports: 4" in show and "Comments: 2" in show and "Fridays?" in show
    assert "Merged into idea #1." in await h.say("zoe", "!idea show 2")
    assert "Your idea #2 “Night market”" not in "\n".join(h.dms("alice"))
    assert h.dms("bob")[-1] == ("Your idea #2 “Evening market” was merged into idea #1; its "
                                "supporters and comments moved there.")
    assert h.dms("alice")[-1] == ("Idea #2 was merged into your idea #1 “Night market”: it now "
                                  "has 4 supporters.")


async def test_merge_refusals(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit A")
    await h.say("alice", "!idea submit B")
    await h.say("alice", "!idea submit C")
    assert await h.say("mod", "!idea merge 1 1") == "An idea cannot be merged into itself."
    assert await h.say("mod", "!idea merge 1 9") == "There is no idea #9."
    await h.say("mod", "!idea merge 1 2")
    assert await h.say("mod", "!idea merge 3 1") == (
        "Cannot merge into idea #1: it is merged (only possible when pending, open, in review, "
        "being voted on, accepted).")
    assert await h.say("mod", "!idea merge 1 3") == (
        "Cannot merge idea #1: it is merged (only possible when pending, open, in review).")
    assert "You are not allowed to do that (ideas.moderate)." in await h.say(
        "alice", "!idea merge 3 2")
    assert len(h.events.named("merged")) == 1
