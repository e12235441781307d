"""The races that only PostgreSQL can show (concurrent transactions), always run on a real server.

The whole suite also runs on PostgreSQL with `RUCHE_TEST_BACKEND=postgresql`.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.testing.pytest_plugin import fresh_pg_database
from plugins.ideas import store
from plugins.ideas.tests.conftest import Harness, Start


@pytest.fixture
async def pg(start: Start, ruche_pg_url: str) -> Start:
    async def factory(**kwargs: object) -> Harness:
        return await start(storage_url=await fresh_pg_database(ruche_pg_url), **kwargs)

    return factory


async def test_concurrent_supports_count_exactly_and_cross_once(pg: Start) -> None:
    h = await pg(support_threshold=5)
    assert h.bot.db.dialect == "postgresql"
    await h.say("alice", "!idea submit Popular")
    await asyncio.gather(*(h.say(f"member{i}", "!idea support 1") for i in range(20)))
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and (row.supporters, row.status) == (20, "voting")
    assert [(c.old, c.new) for c in h.events.named("status")] == [("open", "review"),
                                                                ("review", "voting")]
    assert len(h.votes.requests) == 1
    assert await store.integrity_problems(h.bot.db) == []


async def test_concurrent_merge_and_supports_keep_counts_right(pg: Start) -> None:
    h = await pg(support_threshold=100)
    await h.say("alice", "!idea submit Target")
    await h.say("bob", "!idea submit Duplicate")
    await asyncio.gather(h.say("mod", "!idea merge 2 1"),
                         *(h.say(f"m{i}", f"!idea support {1 + i % 2}") for i in range(10)))
    assert await store.integrity_problems(h.bot.db) == []


async def test_close_delivered_twice_concurrently(pg: Start) -> None:
    h = await pg(support_threshold=1)
    await h.say("alice", "!idea submit Twice")
    await h.say("bob", "!idea support 1")
    [poll] = h.votes.polls
    await asyncio.gather(*(h.votes.close(h.bot, poll, yes=4, no=0) for _ in range(3)))
    assert len(h.events.named("accepted")) == 1


async def test_search_without_fts(pg: Start) -> None:
    h = await pg()
    await h.say("alice", "!idea submit Café réparation | vélos et grille-pains")
    assert not await store.has_fts(h.bot.db)
    assert "#1 [open] Café réparation" in await h.say("bob", "!idea search CAFE velos")
