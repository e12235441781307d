"""`Plugin`: the one way to write a plugin — a class the core instantiates once per bot.

Like a discord.py cog or a maubot plugin instance, each `Bot` gets its own instance, so whatever
a plugin keeps per bot (services, caches, tasks) is an attribute of `self`:

- hook implementations are methods of the instance and reach it as `self`;
- commands reach it as `ctx.plugin` (the instance that registered the command);
- anything else holding a bot (tests, another of the plugin's modules) uses
  `bot.plugin(MyPlugin)`.

What the core needs to know is declared in class attributes; the base class turns them into
the `register_*` hooks, so no plugin repeats that boilerplate. A plugin overrides `permissions`
or `jobs` when they depend on its config, and may still implement any hook (including the
`register_*` ones, e.g. `register_adapters`) with `@hookimpl`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from bot import hookimpl

if TYPE_CHECKING:
    import pluggy

    from bot.app import Bot
    from bot.commands.model import Command
    from bot.permissions import Permission
    from bot.scheduler import Job
    from bot.storage import Migrations


class Plugin:
    """Base class of every plugin; subclass it and expose the class as the module's `plugin`."""

    #: The plugin's name: `[plugins.NAME]` in the TOML, `plugins.NAME.*` keys of `!config`.
    name: ClassVar[str] = ""
    #: The config dataclass, validated at start and served by `bot.plugin_config(TheClass)`.
    config_class: ClassVar[type[Any] | None] = None
    #: Where the config lives in the TOML; `plugins.NAME` unless set (adapters use `platforms.X`).
    config_section: ClassVar[str | None] = None
    #: The plugin's tables, migrated at start and by `ruche db migrate`.
    migrations: ClassVar[Migrations | None] = None
    #: A module of `@hookspec` functions: hooks this plugin emits for others to implement.
    #: (Not a ClassVar only because mypy refuses a module assigned to one in a subclass.)
    hookspecs: ModuleType | None = None
    #: Top-level commands and groups; their callbacks reach this instance as `ctx.plugin`.
    commands: ClassVar[Sequence[Command]] = ()

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def permissions(self) -> Sequence[Permission]:
        """The permissions the commands check, with default roles (may read the config)."""
        return ()

    def jobs(self) -> Sequence[Job]:
        """Scheduled sweeps (may read the config for their interval)."""
        return ()

    # -- the declaration above, as the core's registration hooks -------------------------------

    @hookimpl
    def register_hookspecs(self, pm: pluggy.PluginManager) -> None:
        if self.hookspecs is not None:
            pm.add_hookspecs(self.hookspecs)

    @hookimpl
    def register_config(self) -> dict[str, type[Any]] | None:
        if self.config_class is None:
            return None
        return {self.config_section or f"plugins.{self.name}": self.config_class}

    @hookimpl
    def register_migrations(self) -> Migrations | None:
        return self.migrations

    @hookimpl
    def register_commands(self) -> list[Command]:
        return list(self.commands)

    @hookimpl
    def register_permissions(self) -> list[Permission]:
        return list(self.permissions())

    @hookimpl
    def register_jobs(self) -> list[Job]:
        return list(self.jobs())
