"""Plugin loading: built-ins and third-party plugins go through the same PluginManager."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from bot import hookspecs
from bot.hooks import refuse_wrappers
from bot.plugin import Plugin

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.plugins")

ENTRY_POINT_GROUP = "ruche"

#: Built-in plugins, loaded exactly like third-party ones (name → dotted path).
DEFAULT_PLUGINS: dict[str, str] = {
    "core": "bot.commands.builtin",
    "console": "bot.adapters.console",
    "matrix": "bot.adapters.matrix",
    "discord": "bot.adapters.discord",
    "ideas": "plugins.ideas",
    "votes": "plugins.votes",
    "tips": "plugins.tips",
    "funding": "plugins.funding",
    "budget": "plugins.budget",
    "pulse": "plugins.pulse",
    "governance": "plugins.governance",
}

#: Plugins the core cannot run without; `[plugins] disabled` cannot name them.
REQUIRED_PLUGINS = frozenset({"core"})


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    """What `ruche plugins` shows for each plugin."""

    name: str
    module: str
    version: str
    source: str  # "builtin" or "entry point"


def _plugin_object(module: ModuleType) -> object:
    """A plugin module exposes `plugin`; a module with bare hookimpls is itself the plugin."""
    return getattr(module, "plugin", module)


def instantiate(obj: object, bot: Bot | None) -> object:
    """A `Plugin` subclass becomes this bot's instance of it; anything else is used as is."""
    if isinstance(obj, type) and issubclass(obj, Plugin):
        if bot is None:
            raise TypeError(f"plugin class {obj.__name__} needs a bot to be instantiated")
        return obj(bot)
    return obj


def _version(module: ModuleType) -> str:
    """A plugin's own `__version__`, else Ruche's (the package metadata read costs ~1 ms each)."""
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    from bot import __version__  # equal to the installed metadata (tests/packaging checks it)

    return __version__


def create_plugin_manager() -> pluggy.PluginManager:
    """A manager knowing only the core hookspecs; plugins add theirs via register_hookspecs."""
    pm = pluggy.PluginManager("ruche")
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(
    pm: pluggy.PluginManager,
    *,
    disabled: Iterable[str] = (),
    builtins: dict[str, str] | None = None,
    use_entry_points: bool = True,
    extra: dict[str, object] | None = None,
    bot: Bot | None = None,
) -> list[LoadedPlugin]:
    """Register built-ins, entry-point plugins and test plugins, skipping disabled ones.

    A `Plugin` subclass is instantiated for `bot`, so each bot has its own plugin instances.
    """
    skip = set(disabled) - REQUIRED_PLUGINS
    loaded: list[LoadedPlugin] = []
    for name, dotted in (DEFAULT_PLUGINS if builtins is None else builtins).items():
        if name in skip:
            log.info("plugin %s disabled by config", name)
            continue
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError as exc:
            if exc.name and dotted.startswith(exc.name):
                log.debug("built-in plugin %s not present (%s)", name, dotted)
                continue
            raise
        pm.register(instantiate(_plugin_object(module), bot), name=name)
        loaded.append(LoadedPlugin(name, dotted, _version(module), "builtin"))
    if use_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in skip or pm.has_plugin(ep.name):
                continue
            obj: Any = ep.load()
            if isinstance(obj, ModuleType):
                version = _version(obj)
                obj = _plugin_object(obj)
            else:
                version = ep.dist.version if ep.dist else "0"
            pm.register(instantiate(obj, bot), name=ep.name)
            loaded.append(LoadedPlugin(ep.name, ep.value, version, "entry point"))
    for name, obj in (extra or {}).items():
        if name in skip:
            continue
        pm.register(instantiate(obj, bot), name=name)
        origin = str(getattr(obj, "__module__", None) or type(obj).__module__)
        loaded.append(LoadedPlugin(name, origin, "0", "test"))
    refuse_wrappers(pm)
    # Plugins may declare their own hookspecs; add them before checking implementations.
    pm.hook.register_hookspecs(pm=pm)
    pm.check_pending()
    return loaded
