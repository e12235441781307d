"""Pytest fixtures for plugin authors: `ruche_bot`, `chat`, `make_bot` (see docs/plugins.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.testing import Chat, TestBot, make_test_bot

MakeBot = Callable[..., Awaitable[TestBot]]


@pytest_asyncio.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[MakeBot]:
    """Factory: `tb = await make_bot(raw={...}, plugins={"name": plugin})`; all closed at the end."""
    made: list[TestBot] = []

    async def factory(**kwargs: Any) -> TestBot:
        path = tmp_path / f"bot{len(made)}"
        path.mkdir()
        tb = await make_test_bot(path, **kwargs)
        tb._made = made
        made.append(tb)
        return tb

    yield factory
    for tb in made:
        await tb.bot.stop()


@pytest_asyncio.fixture
async def ruche_bot(make_bot: MakeBot) -> TestBot:
    """A started bot with every built-in plugin and the in-memory chat."""
    return await make_bot()


@pytest.fixture
def chat(ruche_bot: TestBot) -> Chat:
    """The in-memory chat of `ruche_bot`: `await chat.say("alice", "!ping")`."""
    return ruche_bot.chat
