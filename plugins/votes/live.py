"""The live tally: at most one message edit per poll per interval, however many ballots arrive.

`touch(poll)` after a ballot marks the poll dirty. If no edit task runs for it, one starts: it
edits at once when the last edit is older than the interval, otherwise sleeps until then, and
loops while ballots kept arriving meanwhile — so a burst of N ballots over D seconds costs at
most D / interval + 1 edits, and the last edit always shows the last ballot. `final(poll)`
cancels the pending edit and edits right away (the close must show at once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("ruche.votes.live")

Render = Callable[[int], Awaitable[None]]


class LiveTally:
    """Per-poll pending-edit tasks, one per poll at most; `render(poll_id)` does the edit."""

    def __init__(self, render: Render, interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.render = render
        self.interval = interval
        self.clock = clock
        self.edits = 0  # edits done (for tests and benchmarks)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()
        self._last: dict[int, float] = {}
        self._closed = False

    def touch(self, poll_id: int) -> None:
        """A ballot changed the poll: make sure an edit follows, coalesced with others."""
        if self._closed:
            return
        self._dirty.add(poll_id)
        if poll_id not in self._tasks:
            self._tasks[poll_id] = asyncio.get_running_loop().create_task(
                self._run(poll_id), name=f"votes:live:{poll_id}")

    async def _run(self, poll_id: int) -> None:
        try:
            while poll_id in self._dirty:
                wait = self._last.get(poll_id, float("-inf")) + self.interval - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._dirty.discard(poll_id)
                await self._edit(poll_id)
        finally:
            # No await between the last dirty check and this: a touch that comes after it
            # finds no task and starts one (a done-callback would leave a gap that loses it).
            if self._tasks.get(poll_id) is asyncio.current_task():
                del self._tasks[poll_id]

    async def _edit(self, poll_id: int) -> None:
        self._last[poll_id] = self.clock()
        self.edits += 1
        try:
            await self.render(poll_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live tally edit failed", extra={"plugin": "votes", "poll": poll_id})

    async def final(self, poll_id: int) -> None:
        """The poll ended: drop any pending edit and show the final state now."""
        task = self._tasks.pop(poll_id, None)
        self._dirty.discard(poll_id)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._edit(poll_id)
        self._last.pop(poll_id, None)

    async def drop(self, poll_id: int) -> None:
        """The poll ended and its final edit is on its way: no pending edit may follow it."""
        task = self._tasks.pop(poll_id, None)
        self._dirty.discard(poll_id)
        self._last.pop(poll_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until no edit is pending (tests, benchmarks, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Shutdown: pending edits are dropped (the next start re-renders open polls)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
