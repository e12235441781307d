"""The live hub: bursts coalesce, unchanged sections are not resent, slow clients catch up."""

from __future__ import annotations

import asyncio
import json

from plugins.pulse.sse import QUEUE_SIZE, Hub


def _sections(item: bytes | None) -> dict[str, str]:
    assert item is not None
    return dict(json.loads(item.decode().split("data: ", 1)[1])["sections"])


async def test_burst_coalesces_and_only_changes_are_sent() -> None:
    state = {"a": "1", "b": "x"}
    renders = 0

    async def render(community: str, langs: set[str]) -> dict[str, dict[str, str]]:
        nonlocal renders
        renders += 1
        return {lang: dict(state) for lang in langs}

    hub = Hub(render, coalesce=0.01)
    hub.start()
    sub, first = await hub.subscribe("c", "en")
    assert _sections(first) == {"a": "1", "b": "x"}
    state["a"] = "2"
    for _ in range(50):
        hub.touch("c")
    update = await asyncio.wait_for(sub.queue.get(), 1)
    assert _sections(update) == {"a": "2"}
    assert renders == 2  # the subscription's render and one for the whole burst
    hub.touch("elsewhere")  # nobody watches it: nothing is rendered
    await asyncio.sleep(0.05)
    assert renders == 2 and sub.queue.empty()
    await hub.close()
    assert await sub.queue.get() is None


async def test_a_slow_client_gets_one_full_update_instead_of_a_backlog() -> None:
    counter = 0

    async def render(community: str, langs: set[str]) -> dict[str, dict[str, str]]:
        return {lang: {"a": str(counter), "b": "same"} for lang in langs}

    hub = Hub(render)
    sub, _first = await hub.subscribe("c", "en")
    for counter in range(1, QUEUE_SIZE + 5):  # noqa: B007 — render reads it
        await hub.publish("c")
    assert sub.queue.qsize() <= QUEUE_SIZE
    items = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert _sections(items[0]) == {"a": str(QUEUE_SIZE + 1), "b": "same"}  # the catch-up
    assert _sections(items[-1]) == {"a": str(QUEUE_SIZE + 4)}
    hub.unsubscribe(sub)
    assert hub.clients == 0
