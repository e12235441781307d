"""Job leases: with several processes on one PostgreSQL, each scheduled job runs in one of them.

A row of `core_job_leases` per job names the process holding it until `expires_at`. A process
claims a job with one upsert that succeeds only if the row is free, expired or already its own,
renews it while it holds it, and gives it back when it stops; a process that dies stops
renewing, so another claims the job once the lease has run out. `last_run_at` travels with the
row, so the process taking a job over keeps its period instead of starting a new one.

SQLite serves one process: `JobLeases.for_database` returns the always-held `SoleLeases`, which
never touches the database. Hosts sharing a database need their clocks in sync (NTP): expiry
times are written by one process and read by another.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable

from bot.storage.db import Database

LEASE_SECONDS = 20.0
"""How long a claim lasts without renewal; a dead holder's jobs move within this plus a tick."""


def holder_id() -> str:
    """Who holds a lease: host and pid for operators, plus a nonce (two bots in one process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SoleLeases:
    """The only process (SQLite): every job is always its own, at no cost."""

    shared = False

    def __init__(self) -> None:
        self.holder = holder_id()

    async def claim(self, job: str, seconds: float) -> bool:
        """Always granted: nobody else can run jobs on this database."""
        return True

    async def last_run(self, job: str) -> float | None:
        """Unknown: a single process keeps its schedule in memory."""
        return None

    async def ran(self, job: str, at: float) -> None:
        """Nothing to share."""

    async def release(self) -> None:
        """Nothing to give back."""

    async def release_dead(self, alive: Callable[[int], bool]) -> int:
        """Nothing can be held by another process."""
        return 0


class JobLeases(SoleLeases):
    """Leases in `core_job_leases`, shared by every process on the database."""

    shared = True

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    @staticmethod
    def for_database(db: Database) -> SoleLeases:
        """Shared leases on PostgreSQL; the free, always-held kind on SQLite."""
        return JobLeases(db) if db.dialect == "postgresql" else SoleLeases()

    async def claim(self, job: str, seconds: float) -> bool:
        """Take or renew `job` for `seconds`; False while another live process holds it."""
        now = time.time()
        claimed = await self.db.execute(
            "INSERT INTO core_job_leases (job, holder, expires_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE core_job_leases.holder = excluded.holder OR core_job_leases.expires_at < $4",
            job,
            self.holder,
            now + seconds,
            now,
        )
        return claimed == 1

    async def last_run(self, job: str) -> float | None:
        """When any process last started `job`, so a new holder keeps the job's period."""
        value = await self.db.fetchval(
            "SELECT last_run_at FROM core_job_leases WHERE job = $1", job
        )
        return None if value is None else float(value)

    async def ran(self, job: str, at: float) -> None:
        """Record a run started at `at` (only while still holding the job)."""
        await self.db.execute(
            "UPDATE core_job_leases SET last_run_at = $3 WHERE job = $1 AND holder = $2",
            job,
            self.holder,
            at,
        )

    async def release_dead(self, alive: Callable[[int], bool]) -> int:
        """At startup: free the leases of dead processes of this host (a crash, then a
        restart), so their jobs run now rather than once the leases expire."""
        host, pid = socket.gethostname(), os.getpid()
        rows = await self.db.fetch(
            "SELECT DISTINCT holder FROM core_job_leases WHERE expires_at >= $1", time.time()
        )
        freed = 0
        for row in rows:
            their_host, _sep, rest = str(row["holder"]).rpartition(":")[0].rpartition(":")
            if their_host != host or not rest.isdigit() or int(rest) == pid or alive(int(rest)):
                continue
            freed += await self.db.execute(
                "UPDATE core_job_leases SET expires_at = 0 WHERE holder = $1", row["holder"]
            )
        return freed

    async def release(self) -> None:
        """Give every job back at a clean stop, so others take them at their next tick."""
        await self.db.execute(
            "UPDATE core_job_leases SET expires_at = 0 WHERE holder = $1", self.holder
        )
