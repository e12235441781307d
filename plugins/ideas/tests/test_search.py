"""Search: FTS5 where SQLite has it (kept in sync by the same transaction), LIKE otherwise."""

from __future__ import annotations

import pytest

from plugins.ideas import store
from plugins.ideas.tests.conftest import Harness, Start


async def seed(h: Harness) -> None:
    for text in ("Vegetable garden | raised beds behind the school",
                 "Repair café | fix bikes and toasters together",
                 "Bike lanes | safer streets for children",
                 "Idée fraîche | un jardin partagé au café"):
        await h.say("alice", f"!idea submit {text}")


@pytest.fixture(params=["fts", "like"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "like":
        async def no_fts(q: object) -> bool:
            return False

        monkeypatch.setattr(store, "has_fts", no_fts)
    return str(request.param)


async def numbers(h: Harness, words: str) -> list[int]:
    out = await h.say("bob", f"!idea search {words}")
    return [int(line.split(" ")[0][1:]) for line in out.splitlines() if line.startswith("#")]


async def test_search_finds_words_in_title_and_description(start: Start, mode: str) -> None:
    h = await start()
    await seed(h)
    assert await numbers(h, "garden") == [1]
    assert sorted(await numbers(h, "bike")) == [2, 3]  # prefix / substring: "bikes"
    assert await numbers(h, "bike streets") == [3]  # every word must match
    assert sorted(await numbers(h, "CAFÉ")) == [2, 4]
    assert sorted(await numbers(h, "cafe")) == [2, 4]  # accents folded both ways
    assert await h.say("bob", "!idea search zeppelin") == "No idea matches “zeppelin”."
    assert await h.say("bob", "!idea search !!! ???") == "Search for at least one word."


async def test_sqlite_here_has_fts5(start: Start) -> None:
    h = await start()
    if h.bot.db.dialect == "sqlite":
        assert await store.has_fts(h.bot.db)
    await seed(h)
    assert await numbers(h, "idee fraiche") == [4]
    if h.bot.db.dialect == "sqlite":  # the porter stemmer: plural finds singular
        assert await numbers(h, "gardens") == [1] and await numbers(h, "toaster") == [2]


async def test_query_syntax_is_not_interpreted(start: Start, mode: str) -> None:
    h = await start()
    await seed(h)
    for words in ('"garden', "garden*", "NEAR(garden bike)", "garden OR bike", "-garden",
                  "garden AND", "%", "_", "\\", "title:garden"):
        out = await h.say("bob", f"!idea search {words}")
        assert "Sorry" not in out, (words, out)
    assert await numbers(h, "garden OR bike") == []  # "or" is just another word


async def test_index_follows_edits_and_hides_pending(start: Start, mode: str) -> None:
    h = await start(premoderation=True)
    await h.say("alice", "!idea submit Solar panels")
    assert await numbers(h, "solar") == []  # pending: only moderators see it
    assert "Solar panels" in await h.say("mod", "!idea search solar")
    await h.say("mod", "!idea approve 1")
    await h.say("alice", "!idea edit 1 Wind turbine | on the hill")
    assert await numbers(h, "solar") == []
    assert await numbers(h, "turbine hill") == [1]


async def test_search_pages(start: Start, mode: str) -> None:
    h = await start(page_size=2, submissions_per_day=0)
    for i in range(5):
        await h.say("alice", f"!idea submit Compost bin {i}")
    out = await h.say("bob", "!idea search compost")
    assert out.splitlines()[0] == "Ideas matching “compost”, page 1:"
    assert out.splitlines()[-1] == "More: !idea search compost --page 2"
    seen = [n for p in (1, 2, 3) for n in await numbers(h, f"compost --page {p}")]
    assert sorted(seen) == [1, 2, 3, 4, 5]
