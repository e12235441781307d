"""Loading a TOML file and validating the whole of it once plugins registered schemas."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.config.build import (
    _INVALID,
    _Builder,
    _describe,
    _join,
    _suggest,
    _table_at,
    build,
    convert_field,
)
from bot.config.limits import chat_rule, flatten
from bot.config.secrets import secret_values
from bot.config.sections import (
    _COMMUNITY_ID,
    CORE_SECTIONS,
    BotSection,
    CommunitySection,
    ConsoleSection,
    HooksSection,
    LoggingSection,
    StorageSection,
)
from bot.config.values import ConfigError, ConfigErrors

T = TypeVar("T")
#: Plugins `[communities.X] disabled_plugins` cannot name: the core and the built-in adapters.
_ALWAYS_ON = frozenset({"core", "console", "matrix", "discord"})

class Config:
    """The loaded file: core sections validated eagerly, the others built on demand by `section`."""

    path: Path | None
    raw: dict[str, Any]
    bot: BotSection
    storage: StorageSection
    logging: LoggingSection
    console: ConsoleSection
    plugins_disabled: list[str]
    communities: dict[str, CommunitySection]
    hooks: HooksSection
    #: `[limits]`, flattened to setting paths (`plugins.tips.max_grant` → its TOML value);
    #: `validate_config` checks them against the plugins' schemas.
    limits: dict[str, Any]
    warnings: list[ConfigError]
    #: Errors in the core sections, kept (not raised) only when built with `lenient=True`.
    errors: list[ConfigError]

    def __init__(
        self,
        raw: Mapping[str, Any] | None = None,
        *,
        path: Path | None = None,
        env: Mapping[str, str] | None = None,
        lenient: bool = False,
    ) -> None:
        """Validate the core sections of `raw`; raises ConfigErrors listing every problem.

        `lenient` (for `ruche check-config`) keeps the core's errors in `errors` and uses the
        defaults of the broken sections, so plugins' sections are checked in the same pass.
        """
        self.path = path
        self.raw = copy.deepcopy(dict(raw or {}))
        self._env = env
        self._base_dir = path.resolve().parent if path is not None else None
        self._sections: dict[tuple[str, type], Any] = {}
        builder = _Builder(env, self._base_dir)
        core = self._build_core(builder)
        problems = builder.problems
        if any(p.severity == "error" for p in problems) and not lenient:
            raise ConfigErrors(problems)
        self.errors = [p for p in problems if p.severity == "error"]
        (
            self.bot,
            self.storage,
            self.logging,
            self.console,
            self.plugins_disabled,
            self.communities,
            self.hooks,
        ) = core
        self.warnings = [p for p in problems if p.severity != "error"]
        limits = self.raw.get("limits", {})
        self.limits = dict(flatten(limits)) if isinstance(limits, Mapping) else {}
        for dotted, schema, value in (
            ("bot", BotSection, self.bot),
            ("storage", StorageSection, self.storage),
            ("logging", LoggingSection, self.logging),
            ("platforms.console", ConsoleSection, self.console),
            ("hooks", HooksSection, self.hooks),
        ):
            self._sections[(dotted, schema)] = value

    def _build_core(self, b: _Builder) -> tuple[Any, ...]:
        """Build every core section with one builder so all problems are reported together."""
        raw = self.raw
        sections: list[Any] = []
        for name, schema in (
            ("bot", BotSection),
            ("storage", StorageSection),
            ("logging", LoggingSection),
        ):
            sections.append(_or_default(b.build(schema, raw.get(name, {}), name), schema))
        platforms = raw.get("platforms", {})
        if not isinstance(platforms, Mapping):
            b.error("platforms", f"expected a table, got {_describe(platforms)}")
            platforms = {}
        console = b.build(ConsoleSection, platforms.get("console", {}), "platforms.console")
        sections.append(_or_default(console, ConsoleSection))
        plugins = raw.get("plugins", {})
        if not isinstance(plugins, Mapping):
            b.error("plugins", f"expected a table, got {_describe(plugins)}")
            plugins = {}
        disabled = b.convert(list[str], plugins.get("disabled", []), "plugins.disabled")
        sections.append([] if disabled is _INVALID else disabled)
        communities = b.convert(
            dict[str, CommunitySection], raw.get("communities", {}), "communities"
        )
        if isinstance(raw.get("communities"), Mapping):
            if communities is _INVALID:
                communities = _valid_communities(raw["communities"], self._env, self._base_dir)
            self._check_communities(b, raw["communities"], communities)
        sections.append({} if communities is _INVALID else communities)
        hooks = b.build(HooksSection, raw.get("hooks", {}), "hooks")
        sections.append(_or_default(hooks, HooksSection))
        return tuple(sections)

    @staticmethod
    def _check_communities(b: _Builder, raw: Mapping[str, Any], built: Any) -> None:
        """Community ids are used on the command line and in the database; a room has one owner."""
        for cid in raw:
            if not _COMMUNITY_ID.fullmatch(str(cid)):
                b.error(
                    _join("communities", str(cid)),
                    "community id must use only letters, digits, '-' and '_'",
                )
        if not isinstance(built, dict):
            return
        owner: dict[str, str] = {}
        for cid, section in built.items():
            for spec in section.rooms:
                if spec in owner and owner[spec] != cid:
                    b.error(
                        _join(_join("communities", cid), "rooms"),
                        f"room {spec!r} already belongs to community {owner[spec]!r}",
                    )
                owner.setdefault(spec, cid)

    def section(self, dotted_path: str, schema: type[T]) -> T:
        """Build a registered section ("plugins.tips", "platforms.discord"); raises ConfigErrors."""
        key = (dotted_path, schema)
        if key in self._sections:
            return cast(T, self._sections[key])
        table = _table_at(self.raw, dotted_path)
        if table is None:
            raise ConfigErrors([ConfigError(dotted_path, "expected a table")])
        instance, problems = build(
            schema, table, dotted_path, env=self._env, base_dir=self._base_dir
        )
        if instance is None:
            raise ConfigErrors(problems)
        for problem in problems:
            if problem not in self.warnings:
                self.warnings.append(problem)
        self._sections[key] = instance
        return instance

    def secret_values(self) -> Iterator[str]:
        """Every secret the file references, resolved as the sections resolve them, for redaction."""
        env = os.environ if self._env is None else self._env
        return secret_values(self.raw, env=env, base_dir=self._base_dir)

    def plugin_raw(self, name: str) -> dict[str, Any]:
        """A copy of `[plugins.NAME]` as written ({} when absent), for plugins that parse it themselves."""
        table = _table_at(self.raw, f"plugins.{name}")
        return copy.deepcopy(dict(table)) if table is not None else {}

    def community_locale(self, community_id: str) -> str:
        """The community's locale, else `[bot] locale`."""
        community = self.communities.get(community_id)
        if community is not None and community.locale is not None:
            return community.locale
        return self.bot.locale

    def community_prefix(self, community_id: str) -> str:
        """The community's command prefix, else `[bot] command_prefix`."""
        community = self.communities.get(community_id)
        if community is not None and community.prefix is not None:
            return community.prefix
        return self.bot.command_prefix


def _or_default(built: Any, schema: type[T]) -> T:
    """A section that failed to build stands in as its defaults, so checking can go on."""
    return schema() if built is _INVALID else cast(T, built)


def _valid_communities(
    raw: Mapping[str, Any], env: Mapping[str, str] | None, base_dir: Path | None
) -> dict[str, CommunitySection]:
    """The communities that build on their own (their problems are already reported)."""
    valid: dict[str, CommunitySection] = {}
    for cid, table in raw.items():
        instance, _problems = build(
            CommunitySection, table if isinstance(table, Mapping) else {}, "", env=env,
            base_dir=base_dir,
        )
        if instance is not None and isinstance(table, Mapping):
            valid[str(cid)] = instance
    return valid


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_config(
    path: Path | None, *, env: Mapping[str, str] | None = None, lenient: bool = False
) -> Config:
    """Read and validate the core of a TOML file; None gives the zero-config defaults.

    `lenient` keeps the core's errors in `Config.errors` instead of raising (see `Config`);
    a file that cannot be read or parsed always raises.
    """
    if path is None:
        return Config({}, env=env, lenient=lenient)
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigErrors([ConfigError(str(path), "not UTF-8 text")]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigErrors([ConfigError(str(path), f"cannot read config file: {reason}")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        where = f"{path}:{position[1]}" if position else str(path)
        raise ConfigErrors([ConfigError(where, f"invalid TOML: {message}")]) from None
    return Config(raw, path=path, env=env, lenient=lenient)


def validate_config(
    config: Config,
    schemas: Mapping[str, type],
    *,
    known_plugins: Collection[str] | None = None,
) -> list[ConfigError]:
    """Every problem in the whole file once adapters and plugins registered their schemas.

    `schemas` maps dotted paths ("platforms.discord", "plugins.tips", "web") to dataclasses.
    `known_plugins` names every installed plugin, loaded or disabled (a disabled plugin registers
    no schema); it defaults to the plugins found in `schemas`. Includes the core's warnings,
    and its errors when the config was loaded leniently.
    """
    b = _Builder(config._env, config._base_dir)
    problems: list[ConfigError] = [*config.errors, *config.warnings]
    raw = config.raw
    disabled = set(config.plugins_disabled)
    plugin_schemas = {p.split(".", 1)[1] for p in schemas if p.startswith("plugins.")}
    known = set(known_plugins) if known_plugins is not None else set(plugin_schemas)
    top_level = CORE_SECTIONS | {p.split(".", 1)[0] for p in schemas}
    for key in raw:
        if key not in top_level:
            hint = _suggest(key, top_level)
            b.error(key, f"unknown section; {hint or 'known: ' + ', '.join(sorted(top_level))}")
    platforms = raw.get("platforms", {})
    loaded_platforms = {"console"} | {
        p.split(".", 1)[1] for p in schemas if p.startswith("platforms.")
    }
    if isinstance(platforms, Mapping):
        for name in platforms:
            if name not in loaded_platforms:
                hint = _suggest(name, loaded_platforms)
                b.error(
                    _join("platforms", name),
                    f"no such platform; loaded: {', '.join(sorted(loaded_platforms))}"
                    + (f"; {hint}" if hint else ""),
                )
    plugins = raw.get("plugins", {})
    if isinstance(plugins, Mapping):
        for name in plugins:
            if name == "disabled" or name in disabled:
                continue
            if name in plugin_schemas:
                continue
            if name in known:
                b.error(_join("plugins", name), "this plugin has no settings")
                continue
            loaded = sorted((known | plugin_schemas) - disabled)
            hint = _suggest(name, loaded)
            b.error(
                _join("plugins", name),
                f"no such plugin; loaded: {', '.join(loaded) or 'none'}"
                + (f"; {hint}" if hint else ""),
            )
    for name in config.plugins_disabled:
        if name not in known:
            hint = _suggest(name, known)
            b.warn(
                "plugins.disabled",
                f"{name!r} is not a known plugin" + (f"; {hint}" if hint else ""),
            )
    room_platforms = loaded_platforms | (
        {"matrix-space"} if "matrix" in loaded_platforms else set()
    )
    for cid, community in config.communities.items():
        for name in community.disabled_plugins:
            where = _join(_join("communities", cid), "disabled_plugins")
            if name in _ALWAYS_ON or name in loaded_platforms:
                b.error(where, f"{name!r} cannot be disabled in a community (the core and the "
                        "platform adapters always run)")
            elif name not in known:
                hint = _suggest(name, known)
                b.error(where, f"{name!r} is not a known plugin" + (f"; {hint}" if hint else ""))
        for key, specs in (("rooms", community.rooms),
                           ("announce_rooms", community.announce_rooms or [])):
            for spec in specs:
                platform = spec.split(":", 1)[0]
                if platform not in room_platforms:
                    b.error(
                        _join(_join("communities", cid), key),
                        f"room {spec!r}: platform {platform!r} is not configured",
                    )
    _check_limits(b, raw.get("limits", {}), schemas)
    for dotted, schema in sorted(schemas.items()):
        head, _, rest = dotted.partition(".")
        if head == "plugins" and rest.split(".", 1)[0] in disabled:
            continue
        table = _table_at(raw, dotted)
        if head == "platforms" and (not isinstance(platforms, Mapping) or rest not in platforms):
            continue  # an adapter without its section simply does not run
        if table is None:
            b.error(dotted, "expected a table")
            continue
        b.build(schema, table, dotted)
    problems.extend(b.problems)
    return problems


# --------------------------------------------------------------------------- chat-side settings


def _check_limits(b: _Builder, table: object, schemas: Mapping[str, type]) -> None:
    """Each `[limits]` entry names a `limited` setting and has that setting's type."""
    if not isinstance(table, Mapping):
        b.error("limits", f"expected a table, got {_describe(table)}")
        return
    for key, value in flatten(table):
        path = f"limits.{key}"  # the dotted path as written under [limits]
        section, _, name = key.rpartition(".")
        schema = schemas.get(section) if section.startswith("plugins.") else None
        fields = {f.name for f in dataclasses.fields(schema)} if schema is not None else set()
        if schema is None or name not in fields:
            b.error(path, "no such setting (write [limits.plugins.NAME] KEY = VALUE)")
        elif chat_rule(schema, name) != "limited":
            b.error(path, "this setting has no ceiling: chat cannot raise it past the file "
                          "anyway, or cannot change it at all")
        else:
            b.problems.extend(convert_field(schema, name, value, path)[1])
