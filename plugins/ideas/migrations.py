"""The ideas plugin's tables (prefix `ideas_`), and SQLite FTS5 search when the build has it."""

from __future__ import annotations

import logging

from bot.api import Migrations, StorageError, Tx, serial_pk

log = logging.getLogger("ruche.ideas")

migrations = Migrations("ideas")

FTS_TABLE = "ideas_fts"


@migrations.step(1, "ideas, campaigns, supports, co-authors, comments, feedback, history")
async def _schema(tx: Tx) -> None:
    pk = serial_pk(tx.dialect)
    real = "DOUBLE PRECISION"
    for ddl in (
        f"CREATE TABLE ideas_campaigns (id {pk}, community TEXT NOT NULL, name TEXT NOT NULL,"
        " name_key TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
        " bounty BIGINT NOT NULL DEFAULT 0 CHECK (bounty >= 0),"
        f" status TEXT NOT NULL DEFAULT 'open', closes_at {real}, created_by BIGINT,"
        f" created_at {real} NOT NULL, closed_at {real},"
        " room_platform TEXT, room_id TEXT, room_name TEXT, room_guild TEXT,"
        " UNIQUE (community, name_key))",
        "CREATE INDEX ideas_campaigns_due ON ideas_campaigns (status, closes_at)",
        "CREATE TABLE ideas_counters (community TEXT PRIMARY KEY,"
        " last_number INTEGER NOT NULL)",
        f"CREATE TABLE ideas_ideas (id {pk}, community TEXT NOT NULL, number INTEGER NOT NULL,"
        " title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,"
        " search_text TEXT NOT NULL DEFAULT '',"
        " author_id BIGINT NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0,"
        " campaign_id BIGINT REFERENCES ideas_campaigns (id),"
        " supporters INTEGER NOT NULL DEFAULT 0 CHECK (supporters >= 0),"
        " comments INTEGER NOT NULL DEFAULT 0 CHECK (comments >= 0),"
        " merged_into BIGINT, poll_id BIGINT, poll_number INTEGER,"
        " reason TEXT NOT NULL DEFAULT '',"
        " room_platform TEXT, room_id TEXT, room_name TEXT, room_guild TEXT, message_id TEXT,"
        f" created_at {real} NOT NULL, updated_at {real} NOT NULL,"
        " UNIQUE (community, number))",
        "CREATE INDEX ideas_ideas_status ON ideas_ideas (community, status, number)",
        "CREATE INDEX ideas_ideas_author ON ideas_ideas (community, author_id, created_at)",
        "CREATE INDEX ideas_ideas_campaign ON ideas_ideas (campaign_id, number)",
        "CREATE TABLE ideas_supports (idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id),"
        f" member_id BIGINT NOT NULL, created_at {real} NOT NULL,"
        " PRIMARY KEY (idea_id, member_id))",
        "CREATE INDEX ideas_supports_member ON ideas_supports (member_id)",
        "CREATE TABLE ideas_coauthors (idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id),"
        f" member_id BIGINT NOT NULL, added_at {real} NOT NULL,"
        " PRIMARY KEY (idea_id, member_id))",
        "CREATE INDEX ideas_coauthors_member ON ideas_coauthors (member_id)",
        f"CREATE TABLE ideas_comments (id {pk},"
        " idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id), member_id BIGINT NOT NULL,"
        f" text TEXT NOT NULL, created_at {real} NOT NULL)",
        "CREATE INDEX ideas_comments_idea ON ideas_comments (idea_id, id)",
        "CREATE TABLE ideas_feedback (idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id),"
        " member_id BIGINT NOT NULL,"
        " rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),"
        f" text TEXT NOT NULL DEFAULT '', created_at {real} NOT NULL,"
        " PRIMARY KEY (idea_id, member_id))",
        f"CREATE TABLE ideas_history (id {pk},"
        " idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id),"
        " old_status TEXT NOT NULL, new_status TEXT NOT NULL, member_id BIGINT,"
        f" reason TEXT NOT NULL DEFAULT '', at {real} NOT NULL)",
        "CREATE INDEX ideas_history_idea ON ideas_history (idea_id, id)",
    ):
        await tx.execute(ddl)


async def _create_fts(tx: Tx, tokenize: str) -> bool:
    """The FTS5 index over titles and descriptions, filled; False when SQLite lacks FTS5."""
    try:
        await tx.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, description,"
            f" content='ideas_ideas', content_rowid='id', tokenize='{tokenize}')"
        )
    except StorageError as exc:  # this SQLite build lacks FTS5: LIKE search instead
        log.warning("SQLite FTS5 unavailable (%s): idea search falls back to LIKE", exc)
        return False
    # Triggers keep the index in the same transaction as every write to ideas_ideas.
    for ddl in (
        f"CREATE TRIGGER ideas_fts_insert AFTER INSERT ON ideas_ideas BEGIN"
        f" INSERT INTO {FTS_TABLE} (rowid, title, description)"
        " VALUES (new.id, new.title, new.description); END",
        f"CREATE TRIGGER ideas_fts_delete AFTER DELETE ON ideas_ideas BEGIN"
        f" INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, description)"
        " VALUES ('delete', old.id, old.title, old.description); END",
        f"CREATE TRIGGER ideas_fts_update AFTER UPDATE OF title, description ON ideas_ideas"
        f" BEGIN INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, description)"
        " VALUES ('delete', old.id, old.title, old.description);"
        f" INSERT INTO {FTS_TABLE} (rowid, title, description)"
        " VALUES (new.id, new.title, new.description); END",
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')",
    ):
        await tx.execute(ddl)
    return True


@migrations.step(2, "full-text search (SQLite FTS5 when available)")
async def _fts(tx: Tx) -> None:
    if tx.dialect == "sqlite":  # PostgreSQL searches the folded `search_text` with LIKE
        await _create_fts(tx, "unicode61 remove_diacritics 2")


@migrations.step(3, "index-only list pages; stemmed full-text search")
async def _paging_and_stemming(tx: Tx) -> None:
    # Deep pages (OFFSET 50,000) pick ids on this covering index without reading rows.
    await tx.execute("CREATE INDEX ideas_ideas_page ON ideas_ideas (community, number, status)")
    if tx.dialect != "sqlite" or not await tx.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", FTS_TABLE):
        return
    # porter: "bikes" finds "bike" with exact terms; prefix terms ("bike"*) cost 3× more.
    for trigger in ("insert", "delete", "update"):
        await tx.execute(f"DROP TRIGGER ideas_fts_{trigger}")
    await tx.execute(f"DROP TABLE {FTS_TABLE}")
    await _create_fts(tx, "porter unicode61 remove_diacritics 2")


@migrations.step(4, "credited contributors (rewards shared by contribution)")
async def _credits(tx: Tx) -> None:
    await tx.execute(
        "CREATE TABLE ideas_credits (idea_id BIGINT NOT NULL REFERENCES ideas_ideas (id),"
        " member_id BIGINT NOT NULL, share INTEGER NOT NULL CHECK (share >= 1),"
        " credited_by BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (idea_id, member_id))")
    await tx.execute("CREATE INDEX ideas_credits_member ON ideas_credits (member_id)")
