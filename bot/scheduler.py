"""Periodic jobs per plugin: sweeps run once at startup, then every interval, until shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


class Scheduler:
    """Runs jobs in one task group; one failing run is logged and the job keeps its schedule."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.jobs: dict[str, Job] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._locks: dict[str, asyncio.Lock] = {}

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

    async def start(self) -> None:
        """Run startup sweeps (catching up on downtime), then start the periodic loops."""
        for job in self.jobs.values():
            if job.run_at_startup:
                await self.run_now(job.name)
        for job in self.jobs.values():
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job:{job.name}"))

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.jobs[job.name].interval)  # a reload may change it
            await self.run_now(job.name)

    async def stop(self) -> None:
        """Cancel every loop and wait for runs in flight to finish cancelling."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
