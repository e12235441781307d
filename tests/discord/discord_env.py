"""A Ruche bot connected to the loopback fake: building, restarting, reading its parts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discord_recorder import Recorder
from fake_discord import GUILD_ID, FakeDiscord

from bot.adapters.discord.adapter import DiscordAdapter
from bot.testing import TestBot, make_test_bot

BUILTINS = {"core": "bot.commands.builtin", "discord": "bot.adapters.discord"}


def discord_section(**overrides: Any) -> dict[str, Any]:
    """A [platforms.discord] section for the fake: fast ready, guild sync to the test guild."""
    section: dict[str, Any] = {"token": "test-token", "guild_ready_timeout": 0.05,
                               "dev_guild_ids": [GUILD_ID], "defer_after": 1.0}
    section.update(overrides)
    return section


@dataclass
class Env:
    """A started bot on the fake: its adapter, its recorder plugin and the fake itself."""

    fake: FakeDiscord
    tb: TestBot
    rec: Recorder
    path: Path
    raw: dict[str, Any]
    made: list[TestBot] = field(default_factory=list)
    builtins: dict[str, str] = field(default_factory=lambda: dict(BUILTINS))

    @property
    def adapter(self) -> DiscordAdapter:
        adapter = self.tb.bot.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        return adapter

    async def restart(self, while_down: Callable[[], Any] | None = None) -> None:
        """Stop the bot (gateway closed) and start a new one on the same database.

        `while_down` runs between the two: what members write while the bot is away."""
        await self.tb.bot.stop()
        if while_down is not None:
            while_down()
        self.tb = await start_bot(self.path, self.raw, self.rec, self.builtins)
        self.made.append(self.tb)


async def start_bot(path: Path, raw: dict[str, Any], rec: Recorder,
                    builtins: dict[str, str] | None = None) -> TestBot:
    tb = await make_test_bot(path, raw=raw, builtins=builtins or BUILTINS, plugins={"rec": rec})
    adapter = tb.bot.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    try:
        await adapter.wait_until_ready(5)
    except BaseException:
        await tb.bot.stop()
        raise
    return tb


MakeEnv = Callable[..., Awaitable[Env]]
