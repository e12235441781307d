"""One bot on the loopback Discord and a real Synapse at once, one community across both.

The fixtures of tests/discord (the fake, the `[storage]` table) and tests/matrix (the session's
Synapse, member clients) are reused as they are: imported, not copied.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "discord", TESTS):  # discord_env & co; the `matrix` test package
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _discord_conftest() -> Any:
    """tests/discord/conftest.py under its own name (every conftest module is `conftest`)."""
    name = "ruche_discord_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / "discord" / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


import matrix.conftest as matrix_fixtures  # noqa: E402
from cross_env import CrossBot, MakeCrossBot  # noqa: E402
from discord_env import discord_section  # noqa: E402
from fake_discord import CHANNEL_ID, FakeDiscord  # noqa: E402
from matrix.member import Member  # noqa: E402
from matrix.synapse import Homeserver  # noqa: E402

from bot.testing import TestBot, make_test_bot  # noqa: E402

fake = _discord_conftest().fake
storage = _discord_conftest().storage
synapse = matrix_fixtures.synapse
make_member = matrix_fixtures.make_member
bot_config = matrix_fixtures.bot_config

COMMUNITY = "garden"
BUILTINS = {"core": "bot.commands.builtin", "discord": "bot.adapters.discord",
            "matrix": "bot.adapters.matrix", "ideas": "plugins.ideas", "votes": "plugins.votes",
            "tips": "plugins.tips", "pulse": "plugins.pulse"}


@pytest_asyncio.fixture
async def make_cross_bot(fake: FakeDiscord, synapse: Homeserver, make_member: Any,
                         tmp_path: Path, storage: Callable[[], Awaitable[dict[str, Any]]]
                         ) -> AsyncIterator[MakeCrossBot]:
    """Factory: a bot whose `[communities.garden]` joins the fake's channel and an encrypted
    Matrix room (created by a Matrix member, `owner`, who invites the bot)."""
    made: list[TestBot] = []

    async def factory(*, plugins: dict[str, Any] | None = None,
                      community: dict[str, Any] | None = None) -> CrossBot:
        account = synapse.register("ruche")
        owner: Member = await make_member("owner")
        room_id = await owner.create_room("garden", encrypted=True, invite=(account.user_id,))
        raw: dict[str, Any] = {
            "platforms": {"discord": discord_section(),
                          "matrix": bot_config(synapse, account)},
            "communities": {COMMUNITY: {
                "name": "Garden", "rooms": [f"discord:{CHANNEL_ID}", f"matrix:{room_id}"],
                **(community or {})}},
            "plugins": plugins or {},
            **(await storage()),
        }
        path = tmp_path / f"bot{len(made)}"
        path.mkdir()
        tb = await make_test_bot(path, raw=raw, builtins=BUILTINS)
        made.append(tb)
        cross = CrossBot(tb, fake, owner, room_id, account.user_id)
        await cross.discord.wait_until_ready(10)
        await asyncio.wait_for(cross.matrix.ready.wait(), 30)
        await owner.joined(room_id, account.user_id, 30)
        return cross

    yield factory
    for tb in made:
        await tb.bot.stop()
