"""The Bot: composition of plugins, config, database, scheduler, adapters and router."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.adapters.base import Adapter, degrade
from bot.buttons import ButtonReactions
from bot.commands.model import module_domain
from bot.commands.router import CommandRouter
from bot.communities import Communities
from bot.config import Config, ConfigError, ConfigErrors, build, validate_config
from bot.config.reload import ReloadResult, reload_config
from bot.dispatch import Dispatcher
from bot.hooks import Hooks
from bot.i18n import I18n, Text
from bot.identity import Identity
from bot.ignores import Ignores
from bot.model import (
    IncomingMessage,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    OutgoingMessage,
    ReactionEvent,
    RoomMoved,
    RoomRef,
)
from bot.outbox import INTERVAL as OUTBOX_INTERVAL
from bot.outbox import Outbox
from bot.permissions import AuditLog, Permissions
from bot.plugin import Plugin
from bot.plugin_switches import PluginSwitches
from bot.plugins import DEFAULT_PLUGINS, LoadedPlugin, create_plugin_manager, load_plugins
from bot.scheduler import Job, Scheduler
from bot.settings import Settings
from bot.status import LastError
from bot.storage import Database, Migrations, run_migrations
from bot.storage.connect import connect as connect_database
from bot.storage.notify import Freshness

log = logging.getLogger("ruche")
P = TypeVar("P", bound=Plugin)
C = TypeVar("C")


class Bot:
    """One process: wires the parts together; behaviour lives in the parts and the plugins."""

    def __init__(
        self,
        config: Config,
        *,
        extra_plugins: dict[str, object] | None = None,
        builtins: dict[str, str] | None = None,
        use_entry_points: bool = True,
    ) -> None:
        self.config = config
        self.pm = create_plugin_manager()
        self.hooks = Hooks(self.pm, timeout=config.hooks.timeout)
        self.i18n = I18n(config.bot.locale)
        self.router = CommandRouter(self)
        self.scheduler = Scheduler(self)
        #: Tells other processes on the database what changed (before services subscribe).
        self.fresh = Freshness()
        self.identity = Identity(self)
        self.permissions = Permissions(self)
        self.audit = AuditLog(self)
        self.settings = Settings(self)
        self.communities = Communities(self)
        self.ignores = Ignores(self)
        self.switches = PluginSwitches(self)
        self.dispatcher = Dispatcher(self)
        self.button_reactions = ButtonReactions(self)
        self.outbox = Outbox(self)
        self.adapters: dict[str, Adapter] = {}
        #: Adapters `start()` started: only these are stopped (CLI commands never start any).
        self._running_adapters: list[Adapter] = []
        self.plugins: list[LoadedPlugin] = []
        self.config_schemas: dict[str, type[Any]] = {}
        self.config_warnings: list[ConfigError] = []
        #: Every installed plugin's name, loaded or disabled (checking `[plugins.*]` sections).
        self.known_plugins: set[str] = set()
        self.migrations: list[Migrations] = []
        self._plugin_configs: dict[str, Any] = {}
        self._config_names: dict[type[Any], str] = {}
        self._community_configs: dict[tuple[str, str], Any] = {}
        self._db: Database | None = None
        self._extra_plugins = extra_plugins or {}
        self._builtins = builtins
        self._use_entry_points = use_entry_points
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._started = False
        #: Wall clock used by plugins for deadlines; tests replace it to move time forward.
        self.clock: Callable[[], float] = time.time
        #: When `start()` finished, for `!status`; None until then.
        self.started_at: float | None = None
        #: The latest error logged while running, for `!status` and `!lasterror`.
        self.last_error = LastError(config.secret_values())

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("database not open: call Bot.setup() first")
        return self._db

    # -- lifecycle ------------------------------------------------------------------------------

    async def load(self) -> None:
        """Load plugins and validate the whole config (what `ruche check-config` runs)."""
        self.plugins = load_plugins(
            self.pm, disabled=self.config.plugins_disabled, builtins=self._builtins,
            use_entry_points=self._use_entry_points, extra=self._extra_plugins, bot=self,
        )
        for schemas in await self.hooks.collect("register_config", bot=self):
            self.config_schemas.update(schemas)
        self.known_plugins = {p.name for p in self.plugins} | set(DEFAULT_PLUGINS)
        found = validate_config(self.config, self.config_schemas,
                                known_plugins=self.known_plugins)
        # Warnings are kept even when errors follow, so check-config shows both in one pass.
        self.config_warnings = [e for e in found if e.severity != "error"]
        problems = [e for e in found if e.severity == "error"]
        if problems:
            raise ConfigErrors(problems)
        self._plugin_configs = self.build_plugin_configs(self.config)
        for path, schema in self.config_schemas.items():
            if path.startswith("plugins."):
                self._config_names[schema] = path.split(".", 1)[1]
        seen = {"core"}
        for _name, plugin in self.pm.list_name_plugin():
            module_name = str(getattr(plugin, "__module__", None)
                              or getattr(plugin, "__name__", ""))
            domain = module_domain(module_name)
            if domain in seen:
                continue
            seen.add(domain)
            package = f"plugins.{domain}" if module_name.startswith("plugins.") else domain
            locales = Path(importlib.import_module(package).__file__ or ".").parent / "locales"
            if locales.is_dir():
                self.i18n.add_domain(domain, locales)

    def build_plugin_configs(self, config: Config) -> dict[str, Any]:
        """Every `[plugins.NAME]` section built from `config` (defaults when absent)."""
        built: dict[str, Any] = {}
        for path, schema in self.config_schemas.items():
            if path.startswith("plugins."):
                name = path.split(".", 1)[1]
                if config.plugin_raw(name):
                    built[name] = config.section(path, schema)
                else:
                    built[name], _errors = build(schema, {}, path)
        return built

    async def setup(self) -> None:
        """Load, open the database, migrate, and gather every plugin's registrations."""
        await self.load()
        self._db = await connect_database(self.config.storage.url,
                                          self.config.storage.connect_timeout)
        from bot.schema import migrations as core_migrations

        self.migrations = [core_migrations] + [
            m for m in await self.hooks.collect("register_migrations", bot=self)
        ]
        await run_migrations(self.db, self.migrations)
        await self.fresh.start(self.db, self.config.storage.url)
        await self.settings.load()
        await self.identity.load()
        await self.communities.load_moves()
        await self.ignores.load()
        await self.switches.load()
        for perm in await self.hooks.collect("register_permissions", bot=self):
            self.permissions.register(perm)
        for owner, cmd in await self.hooks.collect_from("register_commands", bot=self):
            self.router.add(cmd, owner if isinstance(owner, Plugin) else None)
        for cmd in self.router.walk():
            if cmd.permission:
                self.permissions.default_role(cmd.permission)  # fails loudly if unregistered
        self.scheduler.add(Job("core.outbox", _drain_outbox, OUTBOX_INTERVAL, plugin="core",
                               every_process=True))
        for job in await self.hooks.collect("register_jobs", bot=self):
            self.scheduler.add(job)
        for adapter in await self.hooks.collect("register_adapters", bot=self):
            if adapter.platform in self.adapters:
                raise ValueError(f"two adapters for platform {adapter.platform!r}")
            self.adapters[adapter.platform] = adapter

    async def start(self) -> None:
        """Startup hooks, catch-up sweeps, then adapters begin taking events."""
        await self.outbox.release_stale_leases()
        await self.hooks.notify("startup", bot=self)
        await self.scheduler.start()
        for adapter in self.adapters.values():
            await adapter.start(self)
            self._running_adapters.append(adapter)
        self._started = True
        self.started_at = time.time()
        # First of the root handlers: the log handler's secret filter rewrites the record
        # (drops its exc_info) before handlers after it see it.
        logging.getLogger().handlers.insert(0, self.last_error)
        log.info("ruche started", extra={"adapters": sorted(self.adapters)})

    async def run(self) -> None:
        """Set up, start, and run until `request_stop()` (signal, console end of input)."""
        await self.setup()
        try:
            await self.start()
            await self._stop.wait()
        finally:
            await self.stop()

    def request_stop(self) -> None:
        self._stop.set()

    async def stop(self) -> None:
        """Stop taking events, finish in-flight commands, stop jobs, flush and close."""
        logging.getLogger().removeHandler(self.last_error)
        await self.dispatcher.drain()
        running, self._running_adapters = self._running_adapters, []
        for adapter in running:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s failed to stop", adapter.platform)
        await self.scheduler.stop()
        if self._started:
            await self.hooks.notify("shutdown", bot=self)
            self._started = False
        await self.fresh.close()
        if self._db is not None:
            await self._db.close()
            self._db = None

    # -- what adapters call ---------------------------------------------------------------------

    async def dispatch_message(self, message: IncomingMessage) -> None:
        await self.dispatcher.message(message)

    async def dispatch_backlog(self, missed: Sequence[tuple[IncomingMessage, float]],
                               max_age: float) -> list[IncomingMessage]:
        return await self.dispatcher.backlog(missed, max_age)

    async def dispatch_reaction(self, event: ReactionEvent) -> None:
        await self.dispatcher.reaction(event)

    async def dispatch_join(self, event: MemberJoin) -> None:
        await self.dispatcher.join(event)

    async def dispatch_leave(self, event: MemberLeave) -> None:
        await self.dispatcher.leave(event)

    async def dispatch_deleted(self, event: MessageDeleted) -> None:
        await self.dispatcher.deleted(event)

    async def dispatch_room_moved(self, event: RoomMoved) -> None:
        await self.dispatcher.room_moved(event)

    # -- what plugins call ----------------------------------------------------------------------

    def plugin(self, cls: type[P]) -> P:
        """This bot's instance of a plugin class (LookupError when it is not loaded)."""
        for _name, candidate in self.pm.list_name_plugin():  # get_plugins() needs hashable ones
            if isinstance(candidate, cls):
                return candidate
        raise LookupError(f"plugin {cls.__name__} is not loaded (disabled in [plugins]?)")

    def plugin_config(self, cls: type[C], community_id: str | None = None) -> C:
        """A plugin's config, typed by its class, with the community's `!config` overrides."""
        name = self._config_names.get(cls)
        if name is None:
            raise LookupError(f"{cls.__name__} is not a registered plugin config")
        return cast(C, self.named_plugin_config(name, community_id))

    def named_plugin_config(self, name: str, community_id: str | None = None) -> Any:
        """`plugin_config` by section name, for the core's settings (`!config plugins.X.key`)."""
        base = self._plugin_configs[name]
        if community_id is None:
            return base
        key = (name, community_id)
        cached = self._community_configs.get(key)
        if cached is None:
            prefix = f"plugins.{name}."
            changes = {k[len(prefix):]: v for k, v in
                       self.settings.overrides(community_id).items() if k.startswith(prefix)}
            cached = dataclasses.replace(base, **changes) if changes else base
            self._community_configs[key] = cached
        return cached

    def plugin_enabled(self, name: str, community_id: str) -> bool:
        """Whether plugin `name` is on in a community: what per-community jobs ask first."""
        return self.switches.enabled(name, community_id)

    def plugin_disabled_in(self, name: str) -> frozenset[str]:
        """The communities where plugin `name` is off: what a job sweeping rows skips."""
        return self.switches.off_in(name)

    def running_platforms(self) -> list[str]:
        """Platforms whose adapter this process started (CLI commands start none)."""
        return [adapter.platform for adapter in self._running_adapters]

    def forget_community_cache(self, community_id: str) -> None:
        self.communities.invalidate(community_id)
        self._community_configs = {k: v for k, v in self._community_configs.items()
                                   if k[1] != community_id}

    def plugin_configs(self) -> dict[str, Any]:
        """Every loaded plugin's section as the file sets it (no community overrides)."""
        return dict(self._plugin_configs)

    async def reload_config(self, path: Path | None = None) -> ReloadResult:
        """Re-read the config file (SIGHUP, `ruche reload`); see `bot.config.reload`."""
        async with self._reload_lock:
            return await reload_config(self, path)

    async def apply_config(self, new: Config, plugin_configs: dict[str, Any], *, old: Config,
                           changed: list[str]) -> None:
        """Swap in a validated config: every reader sees it from the next event on."""
        self.config = new
        self._plugin_configs = plugin_configs
        self._community_configs = {}
        self.communities.reload()
        self.switches.forget()  # `disabled_plugins` may have changed
        self.i18n.set_default_locale(new.bot.locale)
        self.hooks.timeout = new.hooks.timeout
        self.last_error.redactor.add(new.secret_values())
        try:  # job intervals come from plugin settings (`sweep_interval`)
            self.scheduler.update_intervals(await self.hooks.collect("register_jobs", bot=self))
        except Exception:
            log.exception("config reload: job intervals kept")
        await self.hooks.notify("on_config_reloaded", bot=self, old=old, changed=list(changed))

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        """Send through the room's adapter, degrading what the platform cannot show."""
        adapter = self.adapters[room.platform]
        sent = degrade(message, adapter.capabilities)
        ref = await adapter.send(room, sent)
        if message.buttons and not sent.buttons and sent.reactions:
            await self.button_reactions.remember(ref, message.buttons)
        return ref

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        adapter = self.adapters[ref.platform]
        return await adapter.edit(ref, degrade(message, adapter.capabilities))

    async def react(self, ref: MessageRef, emoji: str) -> None:
        adapter = self.adapters[ref.platform]
        if adapter.capabilities.reactions:
            await adapter.react(ref, emoji)

    async def notify_member(self, community_id: str, member_id: int, text: Text | str,
                            fallback_room: RoomRef | None = None) -> bool:
        """Tell a member privately where a platform allows it, else mention them in a room."""
        community = self.communities.get(community_id)
        rendered = self.i18n.translate(text, community.locale)
        for account in await self.identity.accounts(member_id):
            adapter = self.adapters.get(account.platform)
            if adapter is None or not adapter.capabilities.direct_messages:
                continue
            try:
                if await adapter.send_direct(account, OutgoingMessage(rendered)) is not None:
                    return True
            except Exception:
                log.exception("direct message failed on %s", account.platform)
        if fallback_room is not None:
            member = await self.identity.get(community_id, member_id)
            name = member.display_name if member else "?"
            await self.send(fallback_room, OutgoingMessage(f"@{name} {rendered}"))
            return True
        return False

    def now(self) -> float:
        """Current time in seconds since the epoch, from the replaceable `clock`."""
        return self.clock()


async def _drain_outbox(bot: Bot) -> int:
    """The `core.outbox` job: re-drive announcements a crash or an outage left unsent."""
    return await bot.outbox.drain()
