"""The test kit's `eventually`: wait for a condition with a deadline instead of a fixed sleep."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.testing import eventually


async def test_returns_the_value_as_soon_as_the_condition_holds() -> None:
    box: list[int] = []
    asyncio.get_running_loop().call_later(0.05, box.append, 7)
    started = time.monotonic()
    assert await eventually(lambda: box, within=5) == [7]
    assert time.monotonic() - started < 2


async def test_awaits_async_predicates() -> None:
    async def ready() -> str:
        return "yes"

    assert await eventually(ready) == "yes"


async def test_fails_at_the_deadline() -> None:
    with pytest.raises(AssertionError, match=r"within 0\.05 s"):
        await eventually(lambda: False, within=0.05)
