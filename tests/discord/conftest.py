"""Fixtures: a fresh loopback Discord per test, and Ruche bots connected to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
import yarl
from discord_env import BUILTINS, Env, MakeEnv, discord_section, start_bot
from discord_recorder import Recorder
from fake_discord import FakeDiscord

from bot.adapters.discord.client import GatewayClient
from bot.testing.pytest_plugin import BACKEND_ENV, fresh_pg_database


async def _no_identify_delay(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py sleeps 5 s before every IDENTIFY but the first (recipe pitfall 7)."""
    return None


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://{server.host}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(server.ws_url))
    monkeypatch.setattr(GatewayClient, "before_identify_hook", _no_identify_delay)
    try:
        yield server
    finally:
        await server.stop()



@pytest_asyncio.fixture
async def storage(request: pytest.FixtureRequest) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A `[storage]` table: a fresh PostgreSQL database with RUCHE_TEST_BACKEND=postgresql."""

    async def table() -> dict[str, Any]:
        if os.environ.get(BACKEND_ENV, "sqlite") != "postgresql":
            return {}
        url = await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
        return {"storage": {"url": url}}

    return table


@pytest_asyncio.fixture
async def make_env(fake: FakeDiscord, tmp_path: Path,
                   storage: Callable[[], Awaitable[dict[str, Any]]]) -> AsyncIterator[MakeEnv]:
    envs: list[Env] = []

    async def factory(*, plugins: dict[str, str] | None = None,
                      settings: dict[str, Any] | None = None, **section: Any) -> Env:
        """`plugins` adds built-ins (ideas, tips…); `settings` adds other config tables."""
        path = tmp_path / f"bot{len(envs)}"
        path.mkdir()
        raw = {"platforms": {"discord": discord_section(**section)}, **(await storage()),
               **(settings or {})}
        builtins = {**BUILTINS, **(plugins or {})}
        rec = Recorder()
        tb = await start_bot(path, raw, rec, builtins)
        env = Env(fake, tb, rec, path, raw, [tb], builtins)
        envs.append(env)
        return env

    yield factory
    for env in envs:
        for tb in env.made:
            await tb.bot.stop()


@pytest_asyncio.fixture
async def env(make_env: MakeEnv) -> Env:
    return await make_env()
