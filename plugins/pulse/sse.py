"""Live updates over server-sent events: one snapshot per burst, fragments sent only if changed.

Clients subscribe per (community, language). An event only marks its community dirty; the
publisher waits a few milliseconds so a burst becomes one rebuild, renders each section once
per language in use, and hands every subscriber the same pre-encoded bytes. A client too slow
to keep up gets its backlog replaced by one full update instead of growing memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("ruche.pulse")

#: render(community, languages) → {language: {section id: html}}
Render = Callable[[str, set[str]], Awaitable[dict[str, dict[str, str]]]]
QUEUE_SIZE = 16
COALESCE = 0.03  # seconds a burst of events may gather before one rebuild


def encode(sections: dict[str, str], version: int) -> bytes:
    """One SSE `update` event; JSON keeps the HTML on a single `data:` line."""
    data = json.dumps({"version": version, "sections": sections}, separators=(",", ":"))
    return f"event: update\ndata: {data}\n\n".encode()


@dataclass(eq=False)
class Subscriber:
    community: str
    lang: str
    queue: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


class Hub:
    """Subscribers by community and language, and the task that publishes their updates."""

    def __init__(self, render: Render, *, coalesce: float = COALESCE,
                 on_send: Callable[[int], None] | None = None) -> None:
        self.render = render
        self.coalesce = coalesce
        self.on_send = on_send
        self.version = 0
        self._subs: dict[str, set[Subscriber]] = {}
        self._last: dict[tuple[str, str], dict[str, str]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def clients(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pulse:hub")

    async def close(self) -> None:
        """Shutdown: every stream ends (browsers reconnect to the next process)."""
        self._closed = True
        for subs in self._subs.values():
            for sub in subs:
                _drain(sub)
                _put(sub, None)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def subscribe(self, community: str, lang: str) -> tuple[Subscriber, bytes]:
        """A new stream and its first message: the full current state."""
        sub = Subscriber(community, lang)
        self._subs.setdefault(community, set()).add(sub)  # first: no change slips between
        try:
            rendered = await self.render(community, {lang})
        except BaseException:
            self.unsubscribe(sub)
            raise
        sections = rendered.get(lang, {})
        self._last[(community, lang)] = sections
        return sub, encode(sections, self.version)

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subs.get(sub.community)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._subs[sub.community]
            for key in [k for k in self._last if k[0] == sub.community]:
                del self._last[key]

    def touch(self, community: str) -> None:
        """Something changed in this community: rebuild soon if anyone is watching."""
        if community in self._subs and not self._closed:
            self._dirty.add(community)
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.coalesce)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            for community in dirty:
                try:
                    await self.publish(community)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("pulse: live update of %s failed", community,
                                  extra={"plugin": "pulse", "community": community})

    async def publish(self, community: str) -> None:
        """Render what changed and queue it for every subscriber of the community."""
        subs = self._subs.get(community)
        if not subs:
            return
        langs = {s.lang for s in subs}
        rendered = await self.render(community, langs)
        self.version += 1
        for lang, sections in rendered.items():
            last = self._last.get((community, lang), {})
            changed = {k: v for k, v in sections.items() if last.get(k) != v}
            self._last[(community, lang)] = sections
            if not changed:
                continue
            payload = encode(changed, self.version)
            full: bytes | None = None
            sent = 0
            for sub in list(self._subs.get(community, ())):
                if sub.lang != lang:
                    continue
                if not _put(sub, payload):
                    # Too slow: drop its backlog, give it the whole state in one message.
                    full = full or encode(sections, self.version)
                    _drain(sub)
                    _put(sub, full)
                sent += 1
            if self.on_send is not None:
                self.on_send(sent)


def _put(sub: Subscriber, item: bytes | None) -> bool:
    try:
        sub.queue.put_nowait(item)
        return True
    except asyncio.QueueFull:
        return False


def _drain(sub: Subscriber) -> None:
    while not sub.queue.empty():
        sub.queue.get_nowait()
