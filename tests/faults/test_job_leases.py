"""Two bots on one PostgreSQL database: each job runs in one of them, and moves when it dies."""

from __future__ import annotations

import asyncio
import itertools
import socket
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot import hookimpl
from bot.scheduler import Job
from bot.storage import leases
from bot.testing import TestBot, make_test_bot
from bot.testing.pytest_plugin import fresh_pg_database

LEASE = 1.5
INTERVAL = 0.3


class Sweeper:
    """A plugin whose job notes which bot ran it, when, and whether two runs overlapped."""

    def __init__(self, runs: list[tuple[str, float]], running: list[str], name: str,
                 duration: float = 0.0) -> None:
        self.runs, self.running, self.name, self.duration = runs, running, name, duration
        self.overlaps = 0

    @hookimpl
    def register_jobs(self, bot: Any) -> list[Job]:
        return [Job("sweeper.sweep", self.sweep, INTERVAL, plugin="sweeper")]

    async def sweep(self, bot: Any) -> None:
        if self.running:
            self.overlaps += 1
        self.running.append(self.name)
        try:
            self.runs.append((self.name, time.monotonic()))
            await asyncio.sleep(self.duration)
        finally:
            self.running.remove(self.name)


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leases, "LEASE_SECONDS", LEASE)


async def two_bots(tmp_path: Path, request: pytest.FixtureRequest, duration: float = 0.0,
                   ) -> tuple[TestBot, TestBot, list[tuple[str, float]], list[Sweeper]]:
    url = await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
    runs: list[tuple[str, float]] = []
    running: list[str] = []
    sweepers = [Sweeper(runs, running, name, duration) for name in ("a", "b")]
    made = []
    for name, sweeper in zip(("a", "b"), sweepers, strict=True):
        (tmp_path / name).mkdir()
        made.append(await make_test_bot(tmp_path / name, storage_url=url,
                                        plugins={"sweeper": sweeper}))
    return made[0], made[1], runs, sweepers


@pytest.mark.usefixtures("short_lease")
async def test_a_job_runs_in_one_process_and_moves_when_it_dies(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    a, b, runs, _ = await two_bots(tmp_path, request)
    try:
        await asyncio.sleep(3 * LEASE)
        assert {name for name, _at in runs} == {"a"}  # b started second: a holds the job
        assert len(runs) >= 5  # and a keeps running it at its interval
        await a.bot.scheduler.stop(release=False)  # a dies: its lease is only left to expire
        died = time.monotonic()
        await asyncio.sleep(LEASE + LEASE / 3 + 1.0)
        taken = [at for name, at in runs if name == "b"]
        assert taken, "b never took the job over"
        assert taken[0] - died <= LEASE + LEASE / 3 + 0.5
        assert all(name == "a" for name, at in runs if at < died)
        assert all(name == "b" for name, at in runs if at > died)
        # b keeps the period, not a burst: the runs after takeover are INTERVAL apart
        gaps = [later - earlier for earlier, later in itertools.pairwise(taken)]
        assert gaps and min(gaps) >= INTERVAL * 0.8
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.usefixtures("short_lease")
async def test_a_clean_stop_hands_the_job_over_at_the_next_tick(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    a, b, runs, _ = await two_bots(tmp_path, request)
    try:
        await asyncio.sleep(LEASE)
        await a.stop()  # gives its leases back
        stopped = time.monotonic()
        await asyncio.sleep(LEASE)
        taken = [at for name, at in runs if name == "b" and at > stopped]
        assert taken and taken[0] - stopped <= LEASE / 3 + 0.5
    finally:
        await b.stop()


@pytest.mark.usefixtures("short_lease")
async def test_a_run_longer_than_the_lease_keeps_it(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    a, b, runs, sweepers = await two_bots(tmp_path, request, duration=2 * LEASE)
    try:
        await asyncio.sleep(5 * LEASE)
        assert {name for name, _at in runs} == {"a"}  # renewed while running: b never started
        assert sum(s.overlaps for s in sweepers) == 0
    finally:
        await a.stop()
        await b.stop()


async def test_sqlite_runs_jobs_without_storing_leases(tmp_path: Path) -> None:
    """One process on SQLite: the job runs at its interval and no lease is ever written."""
    runs: list[tuple[str, float]] = []
    tb = await make_test_bot(tmp_path, plugins={"sweeper": Sweeper(runs, [], "a")})
    try:
        await asyncio.sleep(4 * INTERVAL)
        assert len(runs) >= 3
        assert not tb.bot.scheduler.leases.shared
        assert await tb.bot.db.fetchval("SELECT count(*) FROM core_job_leases") == 0
    finally:
        await tb.stop()


async def test_a_restart_after_a_crash_runs_the_jobs_at_once(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A dead process of this host still holding a lease does not delay the startup sweep."""
    url = await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
    first = await make_test_bot(tmp_path, storage_url=url)  # migrates
    await first.stop()
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO core_job_leases (job, holder, expires_at) VALUES ($1, $2, $3)",
            "sweeper.sweep", f"{socket.gethostname()}:{dead.pid}:deadbeef", time.time() + 600)
    finally:
        await conn.close()
    runs: list[tuple[str, float]] = []
    tb = await make_test_bot(tmp_path, storage_url=url,
                             plugins={"sweeper": Sweeper(runs, [], "a")})
    try:
        assert runs  # the startup sweep ran: the dead holder's lease was taken back
    finally:
        await tb.stop()
