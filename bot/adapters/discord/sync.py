"""Pushing the slash command payload: per development guild, or globally; only when it changed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.slash import application_commands, same_commands
from bot.i18n import Text

if TYPE_CHECKING:
    from bot.adapters.discord import DiscordConfig
    from bot.app import Bot

log = logging.getLogger("ruche.discord")


def command_payload(bot: Bot) -> list[dict[str, Any]]:
    """The bot's current command tree as application commands, with French names and texts."""
    locales = [loc for loc in sorted(bot.i18n.locales) if loc != "en"]

    def localize(text: Text) -> dict[str, str]:
        return {loc: bot.i18n.translate(text, loc) for loc in locales}

    return application_commands(bot.router.commands(), localize)


async def sync_targets(client: discord.Client, config: DiscordConfig) -> list[int | None]:
    """None for global; else the development guilds, or every guild the bot is in."""
    if config.sync == "global":
        return [None]
    if config.dev_guild_ids:
        return list(config.dev_guild_ids)
    if client.is_ready():
        return [g.id for g in client.guilds]
    return [g.id async for g in client.fetch_guilds(limit=None)]


async def _current(http: discord.http.HTTPClient, application_id: int,
                   guild: int | None) -> Any:
    """The commands Discord has, with their localizations (it leaves them out unless asked)."""
    if guild is None:
        route = discord.http.Route("GET", "/applications/{application_id}/commands",
                                   application_id=application_id)
    else:
        route = discord.http.Route(
            "GET", "/applications/{application_id}/guilds/{guild_id}/commands",
            application_id=application_id, guild_id=guild)
    return await http.request(route, params={"with_localizations": "true"})


async def push(client: discord.Client, application_id: int, payload: Sequence[dict[str, Any]],
               targets: Sequence[int | None], *, force: bool) -> int:
    """Bulk-overwrite each target whose commands differ; returns how many targets changed."""
    http = client.http
    changed = 0
    for guild in targets:
        where = "global" if guild is None else f"guild {guild}"
        if not force:
            current = await _current(http, application_id, guild)
            if same_commands(payload, current):
                log.info("discord: slash commands up to date (%s)", where)
                continue
        if guild is None:
            await http.bulk_upsert_global_commands(application_id, payload=list(payload))
        else:
            await http.bulk_upsert_guild_commands(application_id, guild, payload=list(payload))
        changed += 1
        log.info("discord: %d slash commands synced (%s)", len(payload), where)
    return changed
