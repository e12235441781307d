"""Pure helpers: $n rewriting, read/write classification, urls."""

from __future__ import annotations

import pytest

from bot.storage.db import mask_url, pg_rowcount, prepare_sqlite, rewrite_placeholders
from bot.storage.sqlite import parse_sqlite_url


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT $1", "SELECT ?1"),
        ("SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = ?1 AND b = ?2"),
        (
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        ),
        ("SELECT $10, $1", "SELECT ?10, ?1"),
        ("SELECT '$1', $1", "SELECT '$1', ?1"),
        ("SELECT 'it''s $2 here', $2", "SELECT 'it''s $2 here', ?2"),
        ('SELECT "col$1" FROM t WHERE x = $1', 'SELECT "col$1" FROM t WHERE x = ?1'),
        ("SELECT $1 -- not $2\n, $3", "SELECT ?1 -- not $2\n, ?3"),
        ("SELECT /* $1 */ $2", "SELECT /* $1 */ ?2"),
        ("SELECT 'a$' || $1", "SELECT 'a$' || ?1"),
        ("SELECT $$", "SELECT $$"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_rewrite_placeholders(sql: str, expected: str) -> None:
    assert rewrite_placeholders(sql) == expected


@pytest.mark.parametrize(
    ("sql", "is_read"),
    [
        ("SELECT * FROM t", True),
        ("  select 1", True),
        ("WITH x AS (SELECT 1) SELECT * FROM x", True),
        ("VALUES (1)", True),
        ("SELECT 'INSERT' AS word", True),
        ('SELECT "update" FROM t', True),
        ("INSERT INTO t VALUES ($1) RETURNING id", False),
        ("UPDATE t SET a = 1 RETURNING a", False),
        ("DELETE FROM t RETURNING *", False),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT count(*) FROM x", False),
        ("PRAGMA synchronous", False),
        ("CREATE TABLE t (a INT)", False),
    ],
)
def test_read_classification(sql: str, is_read: bool) -> None:
    assert prepare_sqlite(sql)[1] is is_read


@pytest.mark.parametrize(
    ("status", "count"),
    [("INSERT 0 3", 3), ("UPDATE 2", 2), ("DELETE 0", 0), ("SELECT 7", 7), ("CREATE TABLE", 0)],
)
def test_pg_rowcount(status: str, count: int) -> None:
    assert pg_rowcount(status) == count


def test_parse_sqlite_url() -> None:
    rel = parse_sqlite_url("sqlite:///data/ruche.sqlite3")
    assert (rel.path, rel.memory, rel.synchronous) == ("data/ruche.sqlite3", False, "FULL")
    assert parse_sqlite_url("sqlite:////abs/path.db").path == "/abs/path.db"
    assert parse_sqlite_url("sqlite://:memory:").memory
    assert parse_sqlite_url("sqlite:///x.db?synchronous=normal").synchronous == "NORMAL"
    assert parse_sqlite_url("sqlite:///x.db?busy_timeout=100").busy_timeout_ms == 100
    for bad in (
        "sqlite://",
        "sqlite://rel.db",
        "sqlite:///x.db?synchronous=fast",
        "sqlite:///x?y=1",
    ):
        with pytest.raises(ValueError):
            parse_sqlite_url(bad)


def test_mask_url() -> None:
    assert mask_url("postgresql://bot:s3cret@db:5432/ruche") == "postgresql://bot:***@db:5432/ruche"
    assert mask_url("postgresql://bot@db/ruche") == "postgresql://bot@db/ruche"
    assert "s3cret" not in mask_url("postgresql://db/ruche?user=bot&password=s3cret")
    assert mask_url("sqlite:///data/x.db") == "sqlite:///data/x.db"


async def test_open_database_rejects_unknown_scheme() -> None:
    from bot.storage import open_database

    with pytest.raises(ValueError, match="unsupported"):
        await open_database("mysql://u:pw@h/db")
