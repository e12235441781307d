"""Cross-process freshness: a change made in one process drops the others' caches at once.

Several processes on one PostgreSQL database each keep settings, identities, permission rules,
the ignore list and plugin switches in memory. After writing a change, a service calls
`publish(topic, payload)`; every other process hears it through `LISTEN/NOTIFY` (on one
dedicated connection) and runs the callbacks `subscribe`d to the topic, which drop or re-read
what they cached. A process ignores its own notices (its caches are already current).

If the listening connection breaks, it is opened again and every subscriber is called with
the payload `ALL` ("anything may have changed meanwhile"), since notices sent while nobody
listened are lost. On SQLite (one process) both calls do nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bot.storage.db import Database, StorageError, is_postgresql

log = logging.getLogger("ruche.storage.notify")

CHANNEL = "ruche_fresh"
ALL = "*"
"""The payload subscribers get after a reconnect: forget everything of this topic."""
RECONNECT_SECONDS = 1.0

Callback = Callable[[str], Awaitable[None] | None]


class Freshness:
    """`publish(topic, payload)` and `subscribe(topic, callback)` over PostgreSQL NOTIFY."""

    def __init__(self) -> None:
        self.origin = uuid.uuid4().hex[:12]
        self._subs: dict[str, list[Callback]] = {}
        self._db: Database | None = None
        self._url = ""
        self._conn: Any = None
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconnecting: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes may be listening (PostgreSQL); False on SQLite."""
        return self._db is not None and self._db.dialect == "postgresql"

    def subscribe(self, topic: str, callback: Callback) -> None:
        """Call `callback(payload)` (sync or async) when another process publishes `topic`."""
        self._subs.setdefault(topic, []).append(callback)

    async def start(self, db: Database, url: str) -> None:
        """Listen on PostgreSQL (a connection of its own, outside the pool); no-op on SQLite."""
        self._db = db
        self._closed = False
        if not is_postgresql(url):
            return
        self._url = url
        await self._listen()

    async def _listen(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._url)
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    async def publish(self, topic: str, payload: str = "") -> None:
        """Tell the other processes `topic` changed (after the change is committed)."""
        if not self.shared or self._db is None:
            return
        notice = json.dumps({"o": self.origin, "t": topic, "p": payload})
        try:
            await self._db.execute("SELECT pg_notify($1, $2)", CHANNEL, notice)
        except StorageError as exc:  # the change itself is stored: only freshness is late
            log.warning("could not tell other processes that %s changed (%s)", topic, exc)

    def _heard(self, conn: Any, pid: int, channel: str, text: str) -> None:
        try:
            notice = json.loads(text)
            origin, topic, payload = str(notice["o"]), str(notice["t"]), str(notice["p"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notice on %s: %.100r", channel, text)
            return
        if origin != self.origin:
            self._dispatch(topic, payload)

    def _dispatch(self, topic: str, payload: str) -> None:
        for callback in self._subs.get(topic, []):
            try:
                result = callback(payload)
            except Exception:
                log.exception("refreshing %s after another process changed it failed", topic)
                continue
            if result is not None:
                task = asyncio.ensure_future(self._await(topic, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _await(topic: str, result: Awaitable[None]) -> None:
        try:
            await result
        except Exception:
            log.exception("refreshing %s after another process changed it failed", topic)

    def _lost(self, conn: Any) -> None:
        """The listening connection closed (server restart, network): listen again."""
        if self._closed or self._reconnecting is not None:
            return
        self._conn = None
        self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        try:
            while not self._closed:
                await asyncio.sleep(RECONNECT_SECONDS)
                try:
                    await self._listen()
                except Exception as exc:
                    log.warning("listening for other processes' changes failed (%s); retrying",
                                exc)
                    continue
                log.info("listening for other processes' changes again")
                for topic in list(self._subs):
                    self._dispatch(topic, ALL)  # notices sent meanwhile are lost
                return
        finally:
            self._reconnecting = None

    async def close(self) -> None:
        """Stop listening and wait for refreshes in flight; idempotent."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close(timeout=5)
            except Exception:
                conn.terminate()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._db = None
