"""Re-reading the config file while the bot runs (SIGHUP, `ruche reload`): validate, diff, apply.

The file is read and validated exactly like at start-up; any error keeps the running config
and logs why. Otherwise the keys that can change live (communities, plugin settings, `[limits]`,
locales, console moderators and admins, the log level) are applied at once, and every other
change is logged as "needs a restart: KEY" while the running value is kept.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config, ConfigError, ConfigErrors, load_config, validate_config
from bot.config.build import _table_at
from bot.logs import add_secrets, set_level

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.reload")

#: Core keys applied while running; the other `[bot]`, `[storage]`, `[logging]`, `[hooks]`
#: and `[platforms.*]` keys are read once at start-up.
LIVE_KEYS = frozenset({
    "bot.name", "bot.locale", "bot.command_prefix", "bot.timezone", "logging.level",
    "hooks.timeout",
    # Who is a moderator or an admin: each adapter applies them in `on_config_reloaded`.
    "platforms.console.moderators", "platforms.console.admins",
    "platforms.discord.moderator_role_ids", "platforms.discord.admin_role_ids",
    "platforms.matrix.moderator_power_level", "platforms.matrix.admin_power_level",
    "platforms.matrix.ignore_users",
})
#: Whole families of keys applied while running.
LIVE_PREFIXES = ("communities.", "limits.")

_MISSING = object()


@dataclass
class ReloadResult:
    """What one reload did: refused (with its problems), or the keys applied and not applied."""

    ok: bool
    problems: list[ConfigError] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)


def _fields(section: Any) -> dict[str, Any]:
    return {f.name: getattr(section, f.name) for f in dataclasses.fields(section)}


def _changed_fields(prefix: str, old: Any, new: Any) -> list[str]:
    """`prefix.FIELD` for every field whose effective value differs (defaults included)."""
    before, after = _fields(old), _fields(new)
    return [f"{prefix}.{name}" for name in before if before[name] != after.get(name, _MISSING)]


def _changed_tables(prefix: str, old: Any, new: Any) -> list[str]:
    """`prefix.KEY` for every key of two tables as written that differs."""
    before = old if isinstance(old, dict) else {}
    after = new if isinstance(new, dict) else {}
    return [f"{prefix}.{key}" for key in sorted(before.keys() | after.keys())
            if before.get(key, _MISSING) != after.get(key, _MISSING)]


def changed_keys(bot: Bot, old: Config, new: Config, new_plugins: dict[str, Any]) -> list[str]:
    """Every key whose value differs between the running config and the file: core sections,
    communities, limits, plugins, then the other registered sections."""
    keys: list[str] = []
    for name in ("bot", "storage", "logging", "hooks"):
        keys += _changed_fields(name, getattr(old, name), getattr(new, name))
    keys += _changed_fields("platforms.console", old.console, new.console)
    if sorted(old.plugins_disabled) != sorted(new.plugins_disabled):
        keys.append("plugins.disabled")
    for cid in sorted(old.communities.keys() | new.communities.keys()):
        before, after = old.communities.get(cid), new.communities.get(cid)
        if before is None or after is None:
            keys.append(f"communities.{cid}")
        else:
            keys += _changed_fields(f"communities.{cid}", before, after)
    keys += [f"limits.{key}" for key in sorted(old.limits.keys() | new.limits.keys())
             if old.limits.get(key, _MISSING) != new.limits.get(key, _MISSING)]
    running = bot.plugin_configs()
    for name in sorted(running):
        keys += _changed_fields(f"plugins.{name}", running[name], new_plugins[name])
    # Sections of plugins that are not loaded here (disabled at start-up): as written.
    for name in sorted(_plugin_tables(old) | _plugin_tables(new)):
        if name not in running and old.plugin_raw(name) != new.plugin_raw(name):
            keys.append(f"plugins.{name}")
    # Sections adapters and plugins registered outside [plugins.*] ([platforms.discord], [web]).
    for path in sorted(bot.config_schemas):
        if not path.startswith("plugins."):
            keys += _changed_tables(path, _table_at(old.raw, path), _table_at(new.raw, path))
    return keys


def _plugin_tables(config: Config) -> set[str]:
    plugins = config.raw.get("plugins", {})
    return {name for name, value in plugins.items() if isinstance(value, dict)} \
        if isinstance(plugins, dict) else set()


def needs_restart(bot: Bot, key: str) -> bool:
    """Whether a changed key is read only at start-up (so the running value is kept)."""
    head, _, rest = key.partition(".")
    if key in LIVE_KEYS:  # a platform's role keys: live where its adapter runs
        return head == "platforms" and rest.split(".", 1)[0] not in bot.adapters
    if key.startswith(LIVE_PREFIXES):
        return False
    if head == "plugins":
        name, _, setting = rest.partition(".")
        return not (setting and name in bot.plugin_configs())
    return True


def _raw_get(raw: dict[str, Any], parts: list[str]) -> Any:
    node: Any = raw
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def keep_running_value(merged: dict[str, Any], old_raw: dict[str, Any], key: str) -> None:
    """Put the running file's text of `key` back into `merged` (or drop it if it was absent)."""
    parts = key.split(".")
    value = _raw_get(old_raw, parts)
    parent = merged
    for part in parts[:-1]:
        node = parent.get(part)
        if not isinstance(node, dict):
            if value is _MISSING:
                return
            node = parent[part] = {}
        parent = node
    if value is not _MISSING:
        parent[parts[-1]] = copy.deepcopy(value)
        return
    parent.pop(parts[-1], None)
    for depth in range(len(parts) - 1, 0, -1):  # tables the running file did not have either
        table = _raw_get(merged, parts[:depth])
        if table or _raw_get(old_raw, parts[:depth]) is not _MISSING:
            break
        _raw_get(merged, parts[:depth - 1]).pop(parts[depth - 1], None)


def _refuse(source: Path, problems: list[ConfigError]) -> ReloadResult:
    """One log line per problem, then one saying nothing changed."""
    for problem in problems:
        log.error("config reload: %s", problem)
    log.error("config reload refused: %s has %d error(s); the running config is kept",
              source, len(problems))
    return ReloadResult(False, problems)


async def reload_config(bot: Bot, path: Path | None = None) -> ReloadResult:
    """Read and validate the file like start-up; apply what can change live, or change nothing."""
    source = Path(path) if path is not None else bot.config.path
    if source is None:
        problem = ConfigError("", "the bot runs on the built-in defaults: no file to re-read")
        return _refuse(Path("(no config file)"), [problem])
    old = bot.config
    try:
        new = load_config(source)
    except ConfigErrors as errors:
        return _refuse(source, errors.errors)
    loaded = bot.plugin_configs()
    known = bot.known_plugins
    found = validate_config(new, bot.config_schemas, known_plugins=known)
    # A plugin not loaded here has no schema to check its section against: the restart that
    # loads it checks it (and `ruche reload` checks the whole file before signalling).
    problems = [e for e in found if e.severity == "error"
                and not _unloaded_plugin_section(e.path, loaded, known)]
    if problems:
        return _refuse(source, problems)
    try:
        new_plugins = bot.build_plugin_configs(new)
        changes = changed_keys(bot, old, new, new_plugins)
        restart = [key for key in changes if needs_restart(bot, key)]
        applied_keys = [key for key in changes if key not in restart]
        if restart:
            merged = copy.deepcopy(new.raw)
            for key in restart:
                keep_running_value(merged, old.raw, key)
            new = Config(merged, path=source)
            new_plugins = bot.build_plugin_configs(new)
    except ConfigErrors as errors:
        return _refuse(source, errors.errors)
    for warning in (e for e in found if e.severity != "error"):
        log.warning("config reload: %s", warning)
    for key in restart:
        log.warning("config reload: needs a restart: %s (the running value is kept)", key)
    add_secrets(new.secret_values())  # before anything logs under the new config
    if new.logging.level != old.logging.level:
        set_level(new.logging.level)
    await bot.apply_config(new, new_plugins, old=old, changed=applied_keys)
    if applied_keys or restart:
        log.info("config reloaded from %s: %d change(s) applied%s; %d need a restart",
                 source, len(applied_keys), f" ({', '.join(applied_keys)})" if applied_keys
                 else "", len(restart))
    else:
        log.info("config reloaded from %s: nothing changed", source)
    return ReloadResult(True, [], applied_keys, restart)


def _unloaded_plugin_section(path: str, loaded: dict[str, Any], known: set[str]) -> bool:
    """`[plugins.NAME]` of an installed plugin that this process did not load."""
    head, _, rest = path.partition(".")
    name = rest.split(".", 1)[0]
    return head == "plugins" and name in known and name not in loaded
