"""The Discord platform as a plugin: `[platforms.discord]` config and a lazily imported adapter.

The package's entry point (`DEFAULT_PLUGINS["discord"]`), like a Home Assistant component: the
plugin and its config schema live here, the adapter in the modules beside it. This module never
imports discord.py (`adapter.py` is imported only when Discord is configured), so `ruche run`
without Discord starts as fast as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from bot import hookimpl
from bot.config import Secret
from bot.plugin import Plugin

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.app import Bot


INTENTS = ("message_content", "members", "presences")


@dataclass(frozen=True)
class DiscordConfig:
    """[platforms.discord]: credentials, intents, roles, sharding and slash command sync."""

    token: Secret
    application_id: int | None = None
    intents: list[str] = field(default_factory=lambda: ["message_content"])
    moderator_role_ids: list[int] = field(default_factory=list)
    admin_role_ids: list[int] = field(default_factory=list)
    shard_count: int | None = None
    shard_ids: list[int] | None = None
    sync: Literal["guild", "global"] = "guild"
    dev_guild_ids: list[int] = field(default_factory=list)
    sync_on_start: bool = True
    dm_guild_id: int | None = None
    defer_after: float = 2.0
    guild_ready_timeout: float = 2.0
    thread_archive_minutes: Literal[60, 1440, 4320, 10080] = 1440
    max_messages: int = 1000
    catch_up_messages: int = 100
    catch_up_age: timedelta = timedelta(hours=1)

    def validate(self) -> list[str]:
        """Catch what Discord would only refuse at connect time, or much later."""
        problems = [f"intents: unknown intent {name!r}; known: {', '.join(INTENTS)}"
                    for name in self.intents if name not in INTENTS]
        if self.shard_ids is not None:
            if self.shard_count is None:
                problems.append("shard_ids: needs shard_count (the total across processes)")
            elif any(not 0 <= s < self.shard_count for s in self.shard_ids):
                problems.append(f"shard_ids: each id must be in 0..{self.shard_count - 1}")
            elif not self.shard_ids:
                problems.append("shard_ids: must not be empty")
        if self.shard_count is not None and self.shard_count < 1:
            problems.append("shard_count: must be at least 1")
        if not 0 < self.defer_after <= 2.8:
            problems.append("defer_after: must be in (0, 2.8] seconds (Discord allows 3 s)")
        if self.guild_ready_timeout < 0:
            problems.append("guild_ready_timeout: must not be negative")
        for key in ("moderator_role_ids", "admin_role_ids", "dev_guild_ids"):
            if any(i <= 0 for i in getattr(self, key)):
                problems.append(f"{key}: ids are positive integers")
        if self.max_messages < 0:
            problems.append("max_messages: must not be negative")
        if self.catch_up_messages < 0:
            problems.append("catch_up_messages: must not be negative (0 turns catch-up off)")
        if self.catch_up_age < timedelta(0):
            problems.append("catch_up_age: must not be negative")
        return problems


def configured(bot: Bot) -> bool:
    """Discord runs only when the operator wrote a `[platforms.discord]` section."""
    platforms = bot.config.raw.get("platforms", {})
    return isinstance(platforms, dict) and "discord" in platforms


class DiscordPlugin(Plugin):
    """Registers the config schema, and the adapter when the section is present."""

    name = "discord"
    #: `ruche check-config` validates [platforms.discord] even when Discord is not running.
    config_class = DiscordConfig
    config_section = "platforms.discord"

    @hookimpl
    def register_adapters(self, bot: Bot) -> list[Adapter]:
        """The adapter only when configured; discord.py is imported here, not before."""
        if not configured(bot):
            return []
        from bot.adapters.discord.adapter import DiscordAdapter  # discord.py only when configured

        return [DiscordAdapter(bot.config.section("platforms.discord", DiscordConfig))]

    @hookimpl
    def on_config_reloaded(self, bot: Bot, changed: list[str]) -> None:
        """The role ids apply live (the core lists them as live keys); the rest needs a restart."""
        adapter = bot.adapters.get("discord")
        if adapter is None or not {f"platforms.discord.{key}" for key in ROLE_KEYS} & set(changed):
            return
        from bot.adapters.discord.adapter import DiscordAdapter

        if isinstance(adapter, DiscordAdapter):
            adapter.apply_roles(bot.config.section("platforms.discord", DiscordConfig))


#: The keys of `[platforms.discord]` a config reload applies.
ROLE_KEYS = ("moderator_role_ids", "admin_role_ids")


async def sync_commands(bot: Bot) -> int:
    """`ruche discord sync`: overwrite the slash commands now; returns how many were pushed.

    Call it on a bot after `await bot.setup()` (the command tree is loaded), not started.
    """
    adapter = bot.adapters.get("discord")
    if adapter is None:
        raise RuntimeError("no [platforms.discord] section in the configuration")
    from bot.adapters.discord.adapter import DiscordAdapter

    if not isinstance(adapter, DiscordAdapter):
        raise RuntimeError("the discord platform is not served by the Discord adapter")
    return await adapter.sync_commands(bot, force=True)


plugin = DiscordPlugin
