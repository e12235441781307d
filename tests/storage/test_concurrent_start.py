"""Several processes starting on one empty database at once: all come up, each step runs once."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from bot.storage import Migrations, Tx, open_database, run_migrations
from bot.testing.pytest_plugin import fresh_pg_database

PROCESSES = 5
ROOT = Path(__file__).resolve().parents[2]
_MIGRATE = (  # `ruche db migrate` at time argv[2], with the migration log lines on stderr
    "import logging, sys, time; logging.basicConfig(level=logging.INFO);"
    " from bot.cli import main; import bot.app, asyncpg;"
    " time.sleep(max(0.0, float(sys.argv[2]) - time.time()));"
    " raise SystemExit(main(['db', 'migrate', '--config', sys.argv[1]]))"
)
_APPLIED = re.compile(r"migration applied namespace=(\w+) version=(\d+)")


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "ruche.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n[logging]\nlevel = "INFO"\n'
                    '[platforms.console]\nenabled = false\n')
    return path


def _migrate_together(tmp_path: Path, config: Path) -> list[subprocess.CompletedProcess[str]]:
    """`ruche db migrate` in PROCESSES processes released at the same moment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("RUCHE_CONFIG", None)
    at = str(time.time() + 6)  # every process imported by then: they really start together
    procs = [subprocess.Popen([sys.executable, "-c", _MIGRATE, str(config), at], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env=env) for _ in range(PROCESSES)]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _applied_steps(results: list[subprocess.CompletedProcess[str]]) -> Counter[tuple[str, int]]:
    return Counter((ns, int(v)) for r in results for ns, v in _APPLIED.findall(r.stderr))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_processes_migrate_an_empty_database_together(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":
        url = await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
    else:
        url = f"sqlite:///{tmp_path / 'ruche.sqlite3'}"
    results = _migrate_together(tmp_path, _config(tmp_path, url))
    for r in results:
        assert r.returncode == 0, r.stderr[-3000:]
        assert "Traceback" not in r.stderr
    applied = _applied_steps(results)
    assert applied[("core", 1)] == 1
    assert set(applied.values()) == {1}, applied  # every step applied by exactly one process
    if backend == "postgresql":
        conn = await asyncpg.connect(url)
        try:
            versions = {r["namespace"]: r["version"]
                        for r in await conn.fetch("SELECT * FROM schema_versions")}
        finally:
            await conn.close()
        assert {ns: max(v for n, v in applied if n == ns) for ns, _ in applied} == versions


async def test_connections_migrate_an_empty_database_together(
    db_url: str, pg_reset: Callable[[str], Awaitable[None]]
) -> None:
    """The same race, many rounds, cheaply: eight pools started at once in one process."""
    from bot.schema import migrations as core

    for _round in range(4):
        if db_url.startswith("postgresql"):
            await pg_reset(db_url)
        else:
            Path(db_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        dbs = await asyncio.gather(*(open_database(db_url) for _ in range(8)))
        try:
            calls: list[str] = []
            await asyncio.gather(
                *(run_migrations(d, [core, _counted(calls)]) for d in dbs))
            assert calls == ["extra1", "extra2"]
            assert await dbs[0].fetchval(
                "SELECT version FROM schema_versions WHERE namespace = 'core'") == core.latest
        finally:
            await asyncio.gather(*(d.close() for d in dbs))


def _counted(calls: list[str]) -> Migrations:
    m = Migrations("extra")

    @m.step(1, "a table")
    async def _(tx: Tx) -> None:
        calls.append("extra1")
        await tx.execute("CREATE TABLE extra_things (id INTEGER PRIMARY KEY)")

    @m.step(2, "an index")
    async def _(tx: Tx) -> None:
        calls.append("extra2")
        await tx.execute("CREATE INDEX extra_things_id ON extra_things (id)")

    return m
