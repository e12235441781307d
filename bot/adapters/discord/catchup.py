"""Catch-up after downtime: each channel's messages sent while the bot was away, in order."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.translate import message_from_payload
from bot.model import IncomingMessage

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger("ruche.discord")

PAGE = 100  # Discord's largest page of channel history


def sent_at(message_id: str) -> float:
    """A snowflake carries its creation time: the age bound needs no other field."""
    return discord.utils.snowflake_time(int(message_id)).timestamp()


async def read_back(http: discord.http.HTTPClient, channel_id: int, count: int,
                    oldest: float) -> list[Mapping[str, Any]]:
    """The channel's newest `count` messages, oldest first; pages stop at the age bound.

    Discord lists a page newest first; `before` walks back from the newest message. The page
    that crosses the bound is kept whole, so a command just older than it is logged."""
    found: list[Mapping[str, Any]] = []
    before: int | None = None
    while len(found) < count:
        wanted = min(PAGE, count - len(found))
        page = await http.logs_from(channel_id, wanted, before=before)
        found.extend(page)
        if len(page) < wanted or not page or sent_at(str(page[-1]["id"])) < oldest:
            break
        before = int(page[-1]["id"])
    found.sort(key=lambda d: int(d["id"]))
    return found


class CatchUp:
    """Run on every fresh session of a shard (READY): channels are read one after another."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    def channels(self, shard_id: int) -> list[discord.TextChannel]:
        """Text channels of the shard's guilds whose history the bot may read."""
        out: list[discord.TextChannel] = []
        for guild in self.adapter.client.guilds:
            if guild.shard_id != shard_id:
                continue
            me = guild.me
            for channel in guild.text_channels:
                if me is None or channel.permissions_for(me).read_message_history:
                    out.append(channel)
        return out

    async def run(self, shard_id: int) -> None:
        """Every channel of the shard; one that cannot be read is logged and skipped."""
        config = self.adapter.config
        if config.catch_up_messages <= 0:
            return
        for channel in self.channels(shard_id):
            try:
                handled = await self.channel(channel.id, config.catch_up_messages,
                                             config.catch_up_age.total_seconds())
            except discord.HTTPException as exc:
                log.warning("discord: cannot read back #%s (%s): %s", channel.name, channel.id,
                            exc)
                continue
            if handled:
                log.info("discord: caught up %d message(s) in #%s", handled, channel.name)

    async def channel(self, channel_id: int, count: int, max_age: float) -> int:
        """Read back, let the core choose (after the last handled, within the bound), handle."""
        adapter = self.adapter
        bot_id = adapter.people.bot_user_id
        raw = await read_back(adapter.client.http, channel_id, count, time.time() - max_age)
        payloads: dict[str, Mapping[str, Any]] = {}
        missed: list[tuple[IncomingMessage, float]] = []
        guild = getattr(adapter.client.get_channel(channel_id), "guild", None)
        for d in raw:
            if guild is not None and "guild_id" not in d:  # REST messages name no guild
                d = {**d, "guild_id": str(guild.id)}
            payloads[str(d["id"])] = d
            missed.append((message_from_payload(d, bot_user_id=bot_id), sent_at(str(d["id"]))))
        chosen = await adapter.bot.dispatch_backlog(missed, max_age)
        inbound = adapter.inbound
        for msg in chosen:
            d = payloads[msg.ref.id]
            inbound.remember_author(d)
            await inbound.message(d, read_back=True)
        return len(chosen)
