"""TOML configuration: dataclass schemas, secret references and validation that reports every problem.

Every section (core, adapter or plugin) is a dataclass whose field defaults are the documented
defaults. `build` turns a TOML table into an instance and lists every problem with its key path;
`load_config` does that for the core sections and `validate_config` for the sections adapters and
plugins register at startup. A schema may define ``validate(self) -> list[str]`` for range and
cross-field checks; a message starting with ``"field_name: "`` is reported on that key.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import enum
import math
import os
import re
import tomllib
import types
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.durations import parse_duration

__all__ = [
    "BotSection",
    "CommunitySection",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "ConsoleSection",
    "HooksSection",
    "LoggingSection",
    "Secret",
    "StorageSection",
    "apply_overrides",
    "build",
    "coerce_setting",
    "dump_defaults",
    "load_config",
    "validate_config",
]

T = TypeVar("T")

# --------------------------------------------------------------------------- errors and secrets


@dataclass
class ConfigError:
    """One problem in the configuration, located by its dotted TOML key path."""

    path: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        """`plugins.tips.max_tip: expected an integer, got string 'abc'` (warnings say so)."""
        prefix = f"{self.path}: " if self.path else ""
        kind = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{kind}{self.message}"


class ConfigErrors(Exception):
    """Raised with every problem at once, so operators fix their file in one pass."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        """Keep the problems as data for `ruche check-config` and the message for tracebacks."""
        self.errors: list[ConfigError] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        """One line per problem."""
        return "\n".join(str(error) for error in self.errors)


@dataclass(frozen=True, repr=False)
class Secret:
    """A resolved credential that never shows up in reprs, logs or tracebacks."""

    _value: str

    def reveal(self) -> str:
        """The credential itself; call it only where it is handed to a client library."""
        return self._value

    def __repr__(self) -> str:
        """Masked, so printing a config object leaks nothing."""
        return "Secret('***')"

    __str__ = __repr__


# --------------------------------------------------------------------------- core sections

_PREFIX_MAX = 5
_ROOM_SPEC = re.compile(r"(?P<platform>[a-z][a-z0-9-]*):(?P<id>\S+)")
_COMMUNITY_ID = re.compile(r"[A-Za-z0-9_-]+")
_SCHEMES = ("sqlite", "postgresql", "postgres")


def _prefix_problems(name: str, prefix: str) -> list[str]:
    """A command prefix must be short and typeable, or nobody can call the bot."""
    if not prefix or prefix != prefix.strip() or any(c.isspace() for c in prefix):
        return [f"{name}: must be non-empty and contain no spaces"]
    if len(prefix) > _PREFIX_MAX:
        return [f"{name}: must be at most {_PREFIX_MAX} characters"]
    return []


@dataclass(frozen=True)
class BotSection:
    """[bot]: identity and the defaults every community inherits."""

    name: str = "Ruche"
    command_prefix: str = "!"
    locale: Literal["en", "fr"] = "en"
    data_dir: str = "data"
    timezone: str = "UTC"

    def validate(self) -> list[str]:
        """Reject values that would only fail later, at the first command or scheduled job."""
        problems = _prefix_problems("command_prefix", self.command_prefix)
        if not self.name.strip():
            problems.append("name: must not be empty")
        if not self.data_dir.strip():
            problems.append("data_dir: must not be empty")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"timezone: unknown time zone {self.timezone!r} (use an IANA name like 'Europe/Paris')"
            )
        return problems


@dataclass(frozen=True)
class StorageSection:
    """[storage]: where the single source of truth lives."""

    url: str = "sqlite:///data/ruche.sqlite3"

    def validate(self) -> list[str]:
        """Only SQLite and PostgreSQL are supported; the URL is never echoed (it may hold a password)."""
        scheme, sep, rest = self.url.partition("://")
        if not sep or scheme.split("+", 1)[0].lower() not in _SCHEMES or not rest:
            return ["url: expected sqlite:///PATH or postgresql://HOST/DB"]
        return []


@dataclass(frozen=True)
class LoggingSection:
    """[logging]: verbosity and line format (json for log shippers)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class ConsoleSection:
    """[platforms.console]: the terminal room, on by default so `ruche run` works with no config."""

    enabled: bool = True
    room: str = "console"
    moderators: list[str] = field(default_factory=lambda: ["operator"])
    admins: list[str] = field(default_factory=lambda: ["operator"])

    def validate(self) -> list[str]:
        """An empty room name could not be addressed by `console:ROOM` room specs."""
        if not self.room.strip() or any(c.isspace() for c in self.room):
            return ["room: must be non-empty and contain no spaces"]
        return []


@dataclass(frozen=True)
class CommunitySection:
    """[communities.ID]: rooms from any platforms that share one ledger, ideas and polls."""

    name: str = ""
    locale: Literal["en", "fr"] | None = None
    prefix: str | None = None
    rooms: list[str] = field(default_factory=list)

    def validate(self) -> list[str]:
        """Room specs are `platform:id`; catch malformed ones before the room map is built."""
        problems: list[str] = []
        if self.prefix is not None:
            problems += _prefix_problems("prefix", self.prefix)
        for spec in self.rooms:
            problems += [f"rooms: {p}" for p in _room_spec_problems(spec)]
        return problems


def _room_spec_problems(spec: str) -> list[str]:
    """Shape checks for the platforms the core knows; other platforms are checked by name later."""
    match = _ROOM_SPEC.fullmatch(spec)
    shown = spec if len(spec) <= 80 else spec[:77] + "..."
    if match is None:
        return [
            f"invalid room {shown!r}; expected PLATFORM:ID like 'discord:123' or 'matrix:!id:server'"
        ]
    platform, room_id = match["platform"], match["id"]
    if platform == "discord" and not (room_id.isascii() and room_id.isdigit()):
        return [f"invalid room {shown!r}; a Discord room is the numeric guild id"]
    if platform in ("matrix", "matrix-space") and (room_id[0] not in "!#" or ":" not in room_id):
        return [f"invalid room {shown!r}; expected a Matrix id like '!abc:example.org'"]
    return []


@dataclass(frozen=True)
class HooksSection:
    """[hooks]: how long one plugin's hook may run before the core gives up on it."""

    timeout: float = 10.0

    def validate(self) -> list[str]:
        """A zero or negative timeout would cancel every hook."""
        return [] if self.timeout > 0 else ["timeout: must be greater than 0"]


#: Top-level tables the core itself reads; adapters and plugins add theirs through schemas.
CORE_SECTIONS = frozenset(
    {"bot", "storage", "logging", "platforms", "plugins", "communities", "hooks"}
)
#: Core-owned sections by dotted path, for docs and the example-file test.
CORE_SCHEMAS: Mapping[str, type] = types.MappingProxyType(
    {
        "bot": BotSection,
        "storage": StorageSection,
        "logging": LoggingSection,
        "platforms.console": ConsoleSection,
        "communities.*": CommunitySection,
        "hooks": HooksSection,
    }
)

# --------------------------------------------------------------------------- conversion engine


class _Invalid(enum.Enum):
    """Marker for a value that failed conversion (None is a legitimate value)."""

    INVALID = 0


_INVALID = _Invalid.INVALID
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_NONE_TYPE = type(None)


def _join(path: str, key: str) -> str:
    """Dotted TOML path, quoting keys that TOML would quote."""
    shown = key if _PLAIN_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{path}.{shown}" if path else shown


def _kind(value: object) -> str:
    """TOML's name for the type of a parsed value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "table"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    return type(value).__name__


def _describe(value: object) -> str:
    """`string 'abc'`: the kind and a short repr, so the operator finds the value in the file."""
    kind = _kind(value)
    if isinstance(value, list | Mapping):
        return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{kind} {shown}"


_ITEM_NAMES: Mapping[Any, str] = types.MappingProxyType(
    {str: "strings", int: "integers", float: "numbers", bool: "booleans"}
)


def _expected(tp: Any) -> str:
    """Human name of a schema type for "expected …" messages."""
    origin = get_origin(tp)
    if tp is str:
        return "a string"
    if tp is bool:
        return "a boolean (true or false)"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is timedelta:
        return 'a duration like "3d" or "2h30m"'
    if tp is Secret:
        return 'a secret reference { env = "NAME" } or { file = "/path" }'
    if tp is Path:
        return "a path string"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin is list or tp is list:
        args = get_args(tp)
        items = _ITEM_NAMES.get(args[0]) if args else None
        return f"an array of {items}" if items else "an array"
    if origin is dict or tp is dict or dataclasses.is_dataclass(tp):
        return "a table"
    if origin in (Union, types.UnionType):
        return " or ".join(_expected(a) for a in get_args(tp) if a is not _NONE_TYPE)
    return getattr(tp, "__name__", str(tp))


def _suggest(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint, empty when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        folded = {c.lower(): c for c in choices}
        if word.lower() in folded:
            close = [folded[word.lower()]]
    return f"did you mean {close[0]!r}?" if close else ""


def _contains_secret(tp: Any) -> bool:
    """Whether a type carries a credential anywhere inside it."""
    if tp is Secret:
        return True
    return any(_contains_secret(arg) for arg in get_args(tp))


def _is_dataclass_type(tp: Any) -> bool:
    """True for a dataclass class (not an instance)."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _schema_fields(schema: type) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, Any]]:
    """Init fields and their resolved type hints (works with `from __future__ import annotations`)."""
    if not _is_dataclass_type(schema):
        raise TypeError(f"{schema!r} is not a dataclass")
    hints = get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(cast(Any, schema)) if f.init}
    return fields, hints


class _Builder:
    """Converts TOML values to schema types, collecting every problem instead of stopping."""

    def __init__(self, env: Mapping[str, str] | None, base_dir: Path | None) -> None:
        """`env` and `base_dir` resolve `{ env = … }` and relative `{ file = … }` secrets."""
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.base_dir = base_dir
        self.problems: list[ConfigError] = []

    def error(self, path: str, message: str) -> None:
        """Record an error."""
        self.problems.append(ConfigError(path, message))

    def warn(self, path: str, message: str) -> None:
        """Record a warning (reported, does not stop the bot)."""
        self.problems.append(ConfigError(path, message, "warning"))

    def error_count(self) -> int:
        """Errors so far, to tell whether a subtree added any."""
        return sum(1 for p in self.problems if p.severity == "error")

    def build(self, schema: type, data: object, path: str) -> Any:
        """A dataclass instance from a TOML table, or _INVALID."""
        if not isinstance(data, Mapping):
            self.error(path, f"expected a table, got {_describe(data)}")
            return _INVALID
        try:
            fields, hints = _schema_fields(schema)
        except Exception as exc:  # a plugin's schema bug must be reported, not crash check-config
            self.error(path, f"schema error in {schema!r}: {exc}")
            return _INVALID
        before = self.error_count()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            key_path = _join(path, str(key))
            if key not in fields:
                hint = _suggest(str(key), fields)
                valid = ", ".join(fields) or "none"
                self.error(key_path, f"unknown key; {hint or f'valid keys: {valid}'}")
                continue
            converted = self.convert(hints[key], value, key_path)
            if converted is not _INVALID:
                kwargs[key] = converted
        for name, spec in fields.items():
            required = spec.default is dataclasses.MISSING and (
                spec.default_factory is dataclasses.MISSING
            )
            if required and name not in data:
                self.error(_join(path, name), "missing required key")
        if self.error_count() > before:
            return _INVALID
        try:
            instance = schema(**kwargs)
        except (TypeError, ValueError) as exc:
            self.error(path, str(exc))
            return _INVALID
        return instance if self.run_validate(instance, path, fields) else _INVALID

    def run_validate(self, instance: object, path: str, fields: Collection[str]) -> bool:
        """Call the schema's optional validate(); True when it found nothing."""
        validate = getattr(instance, "validate", None)
        if not callable(validate):
            return True
        try:
            messages = list(validate())
        except Exception as exc:  # a buggy validate() is a schema problem, reported like one
            self.error(path, f"validate() failed: {type(exc).__name__}: {exc}")
            return False
        for message in messages:
            key, sep, rest = str(message).partition(": ")
            if sep and key in fields:
                self.error(_join(path, key), rest)
            else:
                self.error(path, str(message))
        return not messages

    def convert(self, tp: Any, value: object, path: str) -> Any:
        """Check/convert one value against a schema type; records a problem and returns _INVALID."""
        origin = get_origin(tp)
        if tp is Any or tp is object:
            return value
        if tp is Secret:
            return self.secret(value, path)
        if origin is Literal:
            return self.literal(tp, value, path)
        if origin in (Union, types.UnionType):
            return self.union(tp, value, path)
        if tp is bool:
            return value if isinstance(value, bool) else self.mismatch(tp, value, path)
        if tp is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
            return value if ok else self.mismatch(tp, value, path)
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self.mismatch(tp, value, path)
            if not math.isfinite(value):
                self.error(path, f"expected a finite number, got {_describe(value)}")
                return _INVALID
            return float(value)
        if tp is str:
            return value if isinstance(value, str) else self.mismatch(tp, value, path)
        if tp is Path:
            return Path(value) if isinstance(value, str) else self.mismatch(tp, value, path)
        if tp is timedelta:
            return self.duration(value, path)
        if tp is list or origin is list:
            return self.sequence(tp, value, path)
        if tp is dict or origin is dict:
            return self.table(tp, value, path)
        if _is_dataclass_type(tp):
            return self.build(tp, value, path)
        self.error(path, f"schema error: unsupported field type {tp!r}")
        return _INVALID

    def mismatch(self, tp: Any, value: object, path: str) -> _Invalid:
        """Record "expected X, got Y" (only the kind of value where a secret may be involved)."""
        got = _kind(value) if _contains_secret(tp) else _describe(value)
        self.error(path, f"expected {_expected(tp)}, got {got}")
        return _INVALID

    def literal(self, tp: Any, value: object, path: str) -> Any:
        """One of a fixed set of values (compared with their type, so 1 is not True)."""
        allowed = get_args(tp)
        if any(type(value) is type(a) and value == a for a in allowed):
            return value
        message = f"expected one of {', '.join(repr(a) for a in allowed)}, got {_describe(value)}"
        if isinstance(value, str):
            hint = _suggest(value, [a for a in allowed if isinstance(a, str)])
            if hint:
                message += f"; {hint}"
        self.error(path, message)
        return _INVALID

    def union(self, tp: Any, value: object, path: str) -> Any:
        """`X | None` delegates to X; wider unions take the first member that accepts the value."""
        members = [a for a in get_args(tp) if a is not _NONE_TYPE]
        if value is None and len(members) < len(get_args(tp)):
            return None
        if len(members) == 1:
            return self.convert(members[0], value, path)
        for member in members:
            saved = list(self.problems)
            result = self.convert(member, value, path)
            if result is not _INVALID and len(self.problems) == len(saved):
                return result
            self.problems = saved
        return self.mismatch(tp, value, path)

    def duration(self, value: object, path: str) -> Any:
        """A duration string such as "3d" or "2h30m"."""
        if not isinstance(value, str):
            return self.mismatch(timedelta, value, path)
        try:
            return parse_duration(value)
        except ValueError as exc:
            shown = value if len(value) <= 40 else value[:37] + "..."
            self.error(path, f"invalid duration {shown!r}: {exc}")
            return _INVALID

    def sequence(self, tp: Any, value: object, path: str) -> Any:
        """An array whose items are each checked, reported as `key[i]`."""
        if not isinstance(value, list):
            return self.mismatch(tp, value, path)
        args = get_args(tp)
        if not args:
            return list(value)
        items = [self.convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(value)]
        return _INVALID if any(item is _INVALID for item in items) else items

    def table(self, tp: Any, value: object, path: str) -> Any:
        """A table with arbitrary keys (`dict[str, X]`), including tables of tables."""
        if not isinstance(value, Mapping):
            return self.mismatch(tp, value, path)
        args = get_args(tp)
        if not args:
            return dict(value)
        result = {str(k): self.convert(args[1], v, _join(path, str(k))) for k, v in value.items()}
        return _INVALID if any(v is _INVALID for v in result.values()) else result

    def secret(self, value: object, path: str) -> Any:
        """Resolve `{ env = … }` / `{ file = … }`; never put the secret in a message."""
        if isinstance(value, str):
            self.warn(
                path,
                'secret written in the config file; use { env = "NAME" } or { file = "/path" }',
            )
            if not value.strip():
                self.error(path, "secret is empty")
                return _INVALID
            return Secret(value.strip())
        if not isinstance(value, Mapping):
            self.error(path, f"expected {_expected(Secret)}, got {_kind(value)}")
            return _INVALID
        keys = sorted(str(k) for k in value)
        if keys == ["env"]:
            return self.env_secret(value["env"], path)
        if keys == ["file"]:
            return self.file_secret(value["file"], path)
        self.error(
            path,
            f"a secret reference has exactly one key, env or file (found: {', '.join(keys) or 'none'})",
        )
        return _INVALID

    def env_secret(self, name: object, path: str) -> Any:
        """Secret from an environment variable."""
        if not isinstance(name, str) or not name:
            self.error(path, "env must name an environment variable")
            return _INVALID
        if name not in self.env:
            self.error(path, f"environment variable {name} is not set")
            return _INVALID
        resolved = self.env[name].strip()
        if not resolved:
            self.error(path, f"environment variable {name} is empty")
            return _INVALID
        return Secret(resolved)

    def file_secret(self, name: object, path: str) -> Any:
        """Secret from a file (Docker/systemd credentials), relative to the config file."""
        if not isinstance(name, str) or not name:
            self.error(path, "file must be a path")
            return _INVALID
        file = Path(name).expanduser()
        if not file.is_absolute() and self.base_dir is not None:
            file = self.base_dir / file
        try:
            resolved = file.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            self.error(path, f"secret file {name!r} is not UTF-8 text")
            return _INVALID
        except OSError as exc:
            self.error(
                path, f"cannot read secret file {name!r}: {exc.strerror or type(exc).__name__}"
            )
            return _INVALID
        if not resolved:
            self.error(path, f"secret file {name!r} is empty")
            return _INVALID
        return Secret(resolved)


def build(
    schema: type[T],
    data: Mapping[str, Any],
    path: str = "",
    *,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> tuple[T | None, list[ConfigError]]:
    """Build `schema` from a TOML table; returns (instance or None on error, every problem)."""
    builder = _Builder(env, base_dir)
    result = builder.build(schema, data, path)
    instance = None if result is _INVALID or builder.error_count() else cast(T, result)
    return instance, builder.problems


# --------------------------------------------------------------------------- Config


def _table_at(raw: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    """The table at a dotted path ({} when absent, None when something on the way is not a table)."""
    node: object = raw
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part, {})
    return node if isinstance(node, Mapping) else None


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
    warnings: list[ConfigError]

    def __init__(
        self,
        raw: Mapping[str, Any] | None = None,
        *,
        path: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Validate the core sections of `raw`; raises ConfigErrors listing every problem."""
        self.path = path
        self.raw = copy.deepcopy(dict(raw or {}))
        self._env = env
        self._base_dir = path.resolve().parent if path is not None else None
        self._sections: dict[tuple[str, type], Any] = {}
        builder = _Builder(env, self._base_dir)
        core = self._build_core(builder)
        problems = builder.problems
        if any(p.severity == "error" for p in problems):
            raise ConfigErrors(problems)
        (
            self.bot,
            self.storage,
            self.logging,
            self.console,
            self.plugins_disabled,
            self.communities,
            self.hooks,
        ) = core
        self.warnings = list(problems)
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
            sections.append(b.build(schema, raw.get(name, {}), name))
        platforms = raw.get("platforms", {})
        if not isinstance(platforms, Mapping):
            b.error("platforms", f"expected a table, got {_describe(platforms)}")
            platforms = {}
        sections.append(b.build(ConsoleSection, platforms.get("console", {}), "platforms.console"))
        plugins = raw.get("plugins", {})
        if not isinstance(plugins, Mapping):
            b.error("plugins", f"expected a table, got {_describe(plugins)}")
            plugins = {}
        disabled = b.convert(list[str], plugins.get("disabled", []), "plugins.disabled")
        sections.append(disabled)
        communities = b.convert(
            dict[str, CommunitySection], raw.get("communities", {}), "communities"
        )
        sections.append(communities)
        if isinstance(raw.get("communities"), Mapping):
            self._check_communities(b, raw["communities"], communities)
        sections.append(b.build(HooksSection, raw.get("hooks", {}), "hooks"))
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


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_config(path: Path | None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the core of a TOML file; None gives the zero-config defaults."""
    if path is None:
        return Config({}, env=env)
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
    return Config(raw, path=path, env=env)


def validate_config(
    config: Config,
    schemas: Mapping[str, type],
    *,
    known_plugins: Collection[str] | None = None,
) -> list[ConfigError]:
    """Every problem in the whole file once adapters and plugins registered their schemas.

    `schemas` maps dotted paths ("platforms.discord", "plugins.tips", "web") to dataclasses.
    `known_plugins` names every installed plugin, loaded or disabled (a disabled plugin registers
    no schema); it defaults to the plugins found in `schemas`. Includes the core's warnings.
    """
    b = _Builder(config._env, config._base_dir)
    problems: list[ConfigError] = list(config.warnings)
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
        for spec in community.rooms:
            platform = spec.split(":", 1)[0]
            if platform not in room_platforms:
                b.error(
                    _join(_join("communities", cid), "rooms"),
                    f"room {spec!r}: platform {platform!r} is not configured",
                )
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

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TRUE = frozenset({"yes", "true", "on"})
_FALSE = frozenset({"no", "false", "off"})
_NONE_WORDS = frozenset({"none", "null", ""})
_MAX_SETTING = 1000


def _short(raw: str) -> str:
    """A chat value quoted and cut short for an error message."""
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def coerce_setting(schema: type, key: str, raw: str) -> Any:
    """Convert a chat string (`!config plugins.tips.max_tip 500`) to the field's type, or ValueError."""
    fields, hints = _schema_fields(schema)
    head, _, rest = key.partition(".")
    if head not in fields:
        hint = _suggest(head, fields)
        raise ValueError(f"unknown setting {key!r}" + (f"; {hint}" if hint else ""))
    tp = hints[head]
    if _contains_secret(tp):
        raise ValueError(f"{key} is a secret and cannot be set from chat")
    if rest:
        if not _is_dataclass_type(tp):
            raise ValueError(f"{head} has no sub-settings")
        return coerce_setting(tp, rest, raw)
    if len(raw) > _MAX_SETTING:
        raise ValueError("value is too long")
    if any(not c.isprintable() for c in raw):
        raise ValueError("value contains control characters")
    return _coerce_text(tp, raw.strip())


def _coerce_text(tp: Any, raw: str) -> Any:
    """Chat text to one schema type; ValueError with a one-line reason."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not _NONE_TYPE]
        if len(members) < len(get_args(tp)) and raw.lower() in _NONE_WORDS:
            return None
        reasons = []
        for member in members:
            try:
                return _coerce_text(member, raw)
            except ValueError as exc:
                reasons.append(str(exc))
        raise ValueError(reasons[0] if len(reasons) == 1 else f"expected {_expected(tp)}")
    if origin is Literal:
        allowed = get_args(tp)
        for value in allowed:
            if str(value) == raw:
                return value
        folded = [v for v in allowed if str(v).lower() == raw.lower()]
        if len(folded) == 1:
            return folded[0]
        raise ValueError(f"expected one of {', '.join(str(a) for a in allowed)}, got {_short(raw)}")
    if tp is bool:
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(f"expected yes or no, got {_short(raw)}")
    if tp is int:
        if not _INT_TEXT.fullmatch(raw) or len(raw) > 30:
            raise ValueError(f"expected a whole number, got {_short(raw)}")
        return int(raw)
    if tp is float:
        if not _FLOAT_TEXT.fullmatch(raw) or len(raw) > 40:
            raise ValueError(f"expected a number like 0.5, got {_short(raw)}")
        return float(raw)
    if tp is str:
        return raw
    if tp is Path:
        if not raw:
            raise ValueError("expected a path")
        return Path(raw)
    if tp is timedelta:
        try:
            return parse_duration(raw)
        except ValueError as exc:
            raise ValueError(f"invalid duration {_short(raw)}: {exc}") from None
    if tp is list or origin is list:
        args = get_args(tp)
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return [_coerce_text(args[0], item) for item in items] if args else items
    raise ValueError("this setting cannot be changed from chat; edit the config file")


def apply_overrides(instance: T, overrides: Mapping[str, Any]) -> T:
    """A copy of a section with chat-side overrides applied and re-validated (ValueError if not)."""
    if not dataclasses.is_dataclass(instance) or isinstance(instance, type):
        raise TypeError(f"{instance!r} is not a dataclass instance")
    direct: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, sub in nested.items():
        direct[head] = apply_overrides(getattr(instance, head), sub)
    updated = dataclasses.replace(cast(Any, instance), **direct)
    validate = getattr(updated, "validate", None)
    if callable(validate):
        problems = list(validate())
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
    return cast(T, updated)


def dump_defaults(schema: type) -> dict[str, Any]:
    """Field defaults as TOML-ready values (durations as strings; secrets and required keys left out)."""
    fields, hints = _schema_fields(schema)
    result: dict[str, Any] = {}
    for name, spec in fields.items():
        if spec.default is not dataclasses.MISSING:
            value: Any = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            value = spec.default_factory()
        elif _is_dataclass_type(hints[name]):
            value = dump_defaults(hints[name])
        else:
            continue
        if _contains_secret(hints[name]):
            continue
        result[name] = _dump_value(value)
    return result


def _dump_value(value: Any) -> Any:
    """One default converted to what a TOML file would hold."""
    if isinstance(value, timedelta):
        return _exact_duration(value)
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_dump_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump_value(v) for k, v in value.items()}
    return value


def _exact_duration(td: timedelta) -> str:
    """Every unit of a duration ("1d2h30m"), unlike format_duration, so defaults round-trip."""
    seconds = int(td.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
