"""Periodic jobs per plugin: sweeps run once at startup, then every interval, until shutdown.

With several processes on one PostgreSQL database, each job runs in the one process holding
its lease (bot/storage/leases.py); the others keep trying every third of the lease time, so a
dead holder's jobs move within LEASE_SECONDS plus one tick. Jobs marked `every_process` (the
outbox, which can only deliver to the platforms its own process runs) skip the lease. On
SQLite nothing changes: the lease is always held and never stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.outbox import pid_alive
from bot.storage import StorageError
from bot.storage import leases as _leases
from bot.storage.leases import JobLeases, SoleLeases

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.scheduler")

JobFunc = Callable[["Bot"], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic task; business deadlines live in the database, so a job is a sweep."""

    name: str
    func: JobFunc
    interval: float
    plugin: str = ""
    run_at_startup: bool = True
    every_process: bool = False
    """Run in every process, not only the lease holder's (work bound to a process's platforms)."""


class Scheduler:
    """Runs jobs in one task group; one failing run is logged and the job keeps its schedule."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.jobs: dict[str, Job] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self.leases: SoleLeases = SoleLeases()
        self._held_until: dict[str, float] = {}
        self._since = 0.0

    def add(self, job: Job) -> None:
        if job.name in self.jobs:
            raise ValueError(f"job {job.name!r} registered twice")
        if job.interval <= 0:
            raise ValueError(f"job {job.name!r} needs a positive interval")
        self.jobs[job.name] = job
        self._locks[job.name] = asyncio.Lock()

    def update_intervals(self, jobs: list[Job]) -> list[str]:
        """Take the intervals of re-registered jobs (a config reload); the next wait uses them."""
        changed = []
        for job in jobs:
            known = self.jobs.get(job.name)
            if known is not None and job.interval > 0 and job.interval != known.interval:
                self.jobs[job.name] = dataclasses.replace(known, interval=job.interval)
                changed.append(job.name)
        return changed

    async def run_now(self, name: str) -> bool:
        """Run a job once (never two runs of one job at a time); False if it failed."""
        job = self.jobs[name]
        async with self._locks[name]:
            try:
                await job.func(self.bot)
                return True
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed", name, extra={"plugin": job.plugin, "job": name})
                return False

    @property
    def lease_seconds(self) -> float:
        """Read at each use, so tests may shorten bot.storage.leases.LEASE_SECONDS."""
        return _leases.LEASE_SECONDS

    async def start(self) -> None:
        """Run startup sweeps (catching up on downtime), then start the periodic loops."""
        self.leases = JobLeases.for_database(self.bot.db)
        self._since = time.time()
        if self.leases.shared:
            freed = await self.leases.release_dead(pid_alive)
            if freed:
                log.info("took back %d job leases of a dead process of this host", freed)
        for job in self.jobs.values():
            if job.run_at_startup and await self._claim(job):
                await self._run_held(job)
        for job in self.jobs.values():
            loop = self._shared_loop(job) if self._shared(job) else self._loop(job)
            self._tasks.append(asyncio.create_task(loop, name=f"job:{job.name}"))

    def _shared(self, job: Job) -> bool:
        return self.leases.shared and not job.every_process

    async def _claim(self, job: Job) -> bool:
        """Whether this process may run `job` now (taking or renewing its lease)."""
        if not self._shared(job):
            return True
        now = time.time()
        if self._held_until.get(job.name, 0.0) - now > self.lease_seconds * 2 / 3:
            return True  # renewed less than a tick ago
        try:
            held = await self.leases.claim(job.name, self.lease_seconds)
        except StorageError as exc:
            log.warning("job %s: cannot claim its lease (%s)", job.name, exc,
                        extra={"plugin": job.plugin, "job": job.name})
            held = False
        if held:
            self._held_until[job.name] = now + self.lease_seconds
        else:
            self._held_until.pop(job.name, None)
        return held

    async def _run_held(self, job: Job) -> None:
        """Run a job whose lease this process holds, renewing it until the run ends."""
        if not self._shared(job):
            await self.run_now(job.name)
            return
        started = time.time()
        renew = asyncio.create_task(self._renew(job), name=f"lease:{job.name}")
        try:
            await self.run_now(job.name)
        finally:
            renew.cancel()
            await asyncio.gather(renew, return_exceptions=True)
        try:
            await self.leases.ran(job.name, started)
        except StorageError as exc:
            log.warning("job %s: cannot record its run (%s)", job.name, exc,
                        extra={"plugin": job.plugin, "job": job.name})

    async def _renew(self, job: Job) -> None:
        """Keep a long run's lease alive, so no other process starts the job meanwhile."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self._claim(job):
                log.warning("job %s: lease lost during a run (the database was unreachable?)",
                            job.name, extra={"plugin": job.plugin, "job": job.name})

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.jobs[job.name].interval)  # a reload may change it
            await self.run_now(job.name)

    async def _shared_loop(self, job: Job) -> None:
        """Every tick: claim or renew; the holder runs the job when its period (shared) is due."""
        while True:
            tick = self.lease_seconds / 3
            if not await self._claim(job):
                await asyncio.sleep(tick)
                continue
            try:
                last = await self.leases.last_run(job.name)
            except StorageError:
                await asyncio.sleep(tick)
                continue
            due = (last if last is not None else self._since) + self.jobs[job.name].interval
            wait = due - time.time()
            if wait <= 0:
                await self._run_held(job)
            else:
                await asyncio.sleep(min(tick, wait))

    async def stop(self, *, release: bool = True) -> None:
        """Cancel every loop, wait for runs in flight, and give the leases back (unless a
        test plays a process that dies: then they only expire)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._held_until.clear()
        if release and self.leases.shared:
            try:
                await self.leases.release()
            except StorageError as exc:
                log.warning("job leases not released (%s); they expire on their own", exc)
