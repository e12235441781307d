"""Pytest fixtures for plugin authors: `ruche_bot`, `chat`, `make_bot` (see docs/plugins.md)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.testing import Chat, MakeBot, TestBot, make_test_bot

#: `RUCHE_TEST_BACKEND=postgresql` runs every `make_bot` test on a real PostgreSQL server.
BACKEND_ENV = "RUCHE_TEST_BACKEND"


@pytest.fixture(scope="session")
def ruche_pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (pgserver) for the session; fails loudly, never skips.

    pgserver runs postgres as its own `pgserver` user when started as root. The data folder is
    not under pytest's basetemp: every pytest run resets /tmp/pytest-of-<user> to 0700, which
    would lock that user out of a server another run started.
    """
    try:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as exc:
        pytest.fail(f"pgserver is required for the PostgreSQL tests: {exc}")
    base = Path(tempfile.mkdtemp(prefix="ruche-pg-"))
    pgdata = base / "data"
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]
    except Exception as exc:
        log = pgdata / "log"
        detail = log.read_text() if log.exists() else "(no server log)"
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL with pgserver in {pgdata}: {exc!r}\n{detail}")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


async def fresh_pg_database(server_url: str) -> str:
    """Create an empty database on the session server and return its url."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _sep, query = server_url.partition("?")
    head = base.rsplit("/", 1)[0]
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest_asyncio.fixture
async def make_bot(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[MakeBot]:
    """Factory: `tb = await make_bot(raw={...}, plugins={"name": plugin})`; all closed at the end."""
    made: list[TestBot] = []
    on_pg = os.environ.get(BACKEND_ENV, "sqlite") == "postgresql"

    async def factory(**kwargs: Any) -> TestBot:
        path = tmp_path / f"bot{len(made)}"
        path.mkdir()
        if on_pg and "storage_url" not in kwargs:
            kwargs["storage_url"] = await fresh_pg_database(request.getfixturevalue(
                "ruche_pg_url"))
        tb = await make_test_bot(path, **kwargs)
        tb._made = made
        made.append(tb)
        return tb

    yield factory
    for tb in made:
        await tb.bot.stop()


@pytest_asyncio.fixture
async def ruche_bot(make_bot: MakeBot) -> TestBot:
    """A started bot with every built-in plugin and the in-memory chat."""
    return await make_bot()


@pytest.fixture
def chat(ruche_bot: TestBot) -> Chat:
    """The in-memory chat of `ruche_bot`: `await chat.say("alice", "!ping")`."""
    return ruche_bot.chat


@pytest_asyncio.fixture
async def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database for bots run in child processes: SQLite, or PostgreSQL on request."""
    if os.environ.get(BACKEND_ENV, "sqlite") == "postgresql":
        return await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
    return f"sqlite:///{tmp_path / 'ruche.sqlite3'}"
