"""Upgrading a database made by earlier steps keeps its ideas and their search."""

from __future__ import annotations

from pathlib import Path

from bot.storage import Migrations, open_database, run_migrations
from plugins.ideas import store
from plugins.ideas.migrations import migrations


async def test_step_3_rebuilds_the_index_over_existing_ideas(tmp_path: Path) -> None:
    db = await open_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        old = Migrations("ideas")
        for step in migrations.steps[:2]:
            old.step(step.version, step.description)(step.apply)
        await run_migrations(db, [old])
        await db.execute(
            "INSERT INTO ideas_ideas (community, number, title, description, status, author_id,"
            " created_at, updated_at) VALUES ('c', 1, 'Gardens', 'raised beds', 'open', 1, 0, 0)")
        assert await run_migrations(db, [migrations]) == {"ideas": (2, 4)}
        assert [r.number for r in await store.search_fts(
            db, "c", '"garden"', ["open"], limit=5, offset=0)] == [1]  # stemmed, old row
        await db.execute("UPDATE ideas_ideas SET title = 'Orchards' WHERE number = 1")
        assert await store.search_fts(db, "c", '"garden"', ["open"], limit=5, offset=0) == []
        assert len(await store.search_fts(db, "c", '"orchard"', ["open"], limit=5,
                                          offset=0)) == 1
        assert await db.fetchval("SELECT 1 FROM sqlite_master WHERE type = 'index'"
                                 " AND name = 'ideas_ideas_page'")
    finally:
        await db.close()
