"""Fixtures for the storage tests: a real PostgreSQL (pgserver) and a `db` over both backends.

pgserver under root: PostgreSQL refuses to run as root, so pgserver itself creates a system
user `pgserver` (useradd), chowns the data folder to it and makes the folders above it
world-traversable (go+rx) before running initdb/pg_ctl as that user. The one trap: the data
folder must not live under pytest's basetemp, because every pytest run on the machine resets
/tmp/pytest-of-root to 0700 and so locks `pgserver` out of a server it is running (flaky
"Permission denied" in initdb/pg_ctl when runs overlap). If starting fails anyway (no useradd,
noexec /tmp…) the tests fail, never skip, with the server log's reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from bot.storage import Database, open_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_url(ruche_pg_url: str) -> str:
    """The session's PostgreSQL server from the `bot.testing` plugin (started on first use)."""
    return ruche_pg_url


async def reset_pg(url: str) -> None:
    """Give each test an empty database: dropping the schema is much faster than a new db."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_reset() -> Callable[[str], Awaitable[None]]:
    """`reset_pg` for tests that open databases themselves (test modules can't import conftest)."""
    return reset_pg


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """The url of an empty database of each backend (PostgreSQL is started only if needed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """An open, empty database of each backend, closed after the test."""
    if db_url.startswith("postgresql"):
        await reset_pg(db_url)
    database = await open_database(db_url)
    try:
        yield database
    finally:
        await database.close()
