"""A bot on the loopback Discord and a real Synapse: its parts, and how members talk to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fake_discord import CHANNEL_ID, FakeDiscord
from matrix.member import Member

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.matrix.adapter import MatrixAdapter
from bot.testing import TestBot


@dataclass
class CrossBot:
    """The bot, the fake Discord, the Matrix room its community shares, and its Matrix owner."""

    tb: TestBot
    fake: FakeDiscord
    owner: Member
    room_id: str
    bot_user: str

    @property
    def discord(self) -> DiscordAdapter:
        adapter = self.tb.bot.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        return adapter

    @property
    def matrix(self) -> MatrixAdapter:
        adapter = self.tb.bot.adapters["matrix"]
        assert isinstance(adapter, MatrixAdapter)
        return adapter

    async def on_discord(self, user: dict[str, Any], text: str, within: float = 15.0) -> str:
        """Say something in the community's Discord channel; the bot's next message there."""
        before = len(self.fake.bot_messages(CHANNEL_ID))
        await self.fake.say(user, text)
        sent = await self.fake.wait_for(
            lambda: self.fake.bot_messages(CHANNEL_ID)[before:], within)
        return str(sent[0]["content"])

    def matrix_texts(self, member: Member) -> list[str]:
        """What the bot posted in the community's Matrix room, as `member` received it."""
        return [str(e.source.get("content", {}).get("body", ""))
                for e in member.from_user(self.room_id, self.bot_user)]


MakeCrossBot = Callable[..., Awaitable[CrossBot]]
