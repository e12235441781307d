"""Migrations on both backends: from zero, idempotent, refusing too-new databases."""

from __future__ import annotations

import pytest

from bot.storage import (
    Database,
    DatabaseTooNew,
    Migrations,
    StorageError,
    Tx,
    migration_status,
    run_migrations,
    serial_pk,
)


def tips_migrations(calls: list[str], steps: int = 2) -> Migrations:
    m = Migrations("tips")

    @m.step(1, "create accounts")
    async def _(tx: Tx) -> None:
        calls.append("tips1")
        await tx.execute(
            f"CREATE TABLE tips_accounts (id {serial_pk(tx.dialect)},"
            " member TEXT NOT NULL UNIQUE, balance BIGINT NOT NULL CHECK (balance >= 0))"
        )

    if steps >= 2:

        @m.step(2, "add index")
        async def _(tx: Tx) -> None:
            calls.append("tips2")
            await tx.execute("CREATE INDEX tips_accounts_balance ON tips_accounts (balance)")

    return m


def votes_migrations(calls: list[str]) -> Migrations:
    m = Migrations("votes")

    @m.step(1, "create polls")
    async def _(tx: Tx) -> None:
        calls.append("votes1")
        await tx.execute("CREATE TABLE votes_polls (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")

    return m


async def tables(db: Database) -> set[str]:
    if db.dialect == "sqlite":
        rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = await db.fetch("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    return {r["name"] for r in rows}


async def test_apply_from_zero_then_noop(db: Database) -> None:
    calls: list[str] = []
    migrations = [tips_migrations(calls), votes_migrations(calls)]
    assert await migration_status(db, migrations) == [("tips", 0, 2), ("votes", 0, 1)]
    assert "schema_versions" not in await tables(db)  # status only reads
    assert await run_migrations(db, migrations) == {"tips": (0, 2), "votes": (0, 1)}
    assert calls == ["tips1", "tips2", "votes1"]
    assert {"tips_accounts", "votes_polls", "schema_versions"} <= await tables(db)
    assert await migration_status(db, migrations) == [("tips", 2, 2), ("votes", 1, 1)]
    assert await run_migrations(db, migrations) == {"tips": (2, 2), "votes": (1, 1)}
    assert calls == ["tips1", "tips2", "votes1"]
    # serial_pk really auto-increments on both dialects
    first = await db.fetchval(
        "INSERT INTO tips_accounts (member, balance) VALUES ('a', 1) RETURNING id"
    )
    second = await db.fetchval(
        "INSERT INTO tips_accounts (member, balance) VALUES ('b', 1) RETURNING id"
    )
    assert second > first


async def test_resumes_where_it_stopped(db: Database) -> None:
    calls: list[str] = []
    assert await run_migrations(db, [tips_migrations(calls, steps=1)]) == {"tips": (0, 1)}
    assert await run_migrations(db, [tips_migrations(calls, steps=2)]) == {"tips": (1, 2)}
    assert calls == ["tips1", "tips2"]


async def test_refuses_too_new_database_without_changing_anything(db: Database) -> None:
    calls: list[str] = []
    await run_migrations(db, [tips_migrations(calls, steps=2)])
    calls.clear()
    older_code = [votes_migrations(calls), tips_migrations(calls, steps=1)]
    with pytest.raises(DatabaseTooNew) as info:
        await run_migrations(db, older_code)
    assert (info.value.namespace, info.value.db_version, info.value.code_version) == ("tips", 2, 1)
    assert isinstance(info.value, StorageError)
    assert calls == []  # votes (listed first, pending) was not applied either
    assert "votes_polls" not in await tables(db)
    assert await migration_status(db, older_code) == [("votes", 0, 1), ("tips", 2, 1)]


async def test_failed_step_rolls_back_with_its_version(db: Database) -> None:
    m = Migrations("ideas")

    @m.step(1, "ok")
    async def _(tx: Tx) -> None:
        await tx.execute("CREATE TABLE ideas_a (id INTEGER PRIMARY KEY)")

    @m.step(2, "fails halfway")
    async def _(tx: Tx) -> None:
        await tx.execute("CREATE TABLE ideas_b (id INTEGER PRIMARY KEY)")
        raise RuntimeError("bug in step 2")

    with pytest.raises(RuntimeError, match="bug in step 2"):
        await run_migrations(db, [m])
    assert await migration_status(db, [m]) == [("ideas", 1, 2)]
    found = await tables(db)
    assert "ideas_a" in found and "ideas_b" not in found


def test_steps_must_be_contiguous() -> None:
    m = Migrations("polls")
    with pytest.raises(ValueError):
        m.step(0, "zero")
    with pytest.raises(ValueError):
        m.step(2, "gap")

    @m.step(1, "one")
    async def _(tx: Tx) -> None: ...

    with pytest.raises(ValueError):
        m.step(1, "again")
    with pytest.raises(ValueError):
        m.step(3, "gap")
    assert m.latest == 1


def test_namespace_rules() -> None:
    with pytest.raises(ValueError):
        Migrations("Tips-2")


async def test_duplicate_namespaces_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="twice"):
        await run_migrations(db, [Migrations("a"), Migrations("a")])


def test_serial_pk() -> None:
    assert serial_pk("sqlite") == "INTEGER PRIMARY KEY AUTOINCREMENT"
    assert serial_pk("postgresql") == "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    with pytest.raises(ValueError):
        serial_pk("mysql")
