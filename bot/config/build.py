"""TOML tables → dataclass instances, collecting every problem with its key path."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import os
import re
import types
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from bot.config.secrets import SecretUnavailable, resolve_secret
from bot.config.values import ConfigError, Secret
from bot.durations import parse_duration

T = TypeVar("T")

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
            self.validate_given(schema, kwargs, path)
            return _INVALID
        try:
            instance = schema(**kwargs)
        except (TypeError, ValueError) as exc:
            self.error(path, str(exc))
            return _INVALID
        return instance if self.run_validate(instance, path, fields) else _INVALID

    def validate_given(self, schema: type, given: Mapping[str, Any], path: str) -> None:
        """After type errors, still report range problems of the keys that did convert.

        The rest of the section stands in as its defaults, so only messages about a key the
        file set and that converted are kept: the operator sees every problem in one pass.
        """
        try:
            messages = list(getattr(schema(**given), "validate", list)())
        except Exception:  # a required key is missing or validate() needs the broken keys
            return
        for message in messages:
            key, sep, rest = str(message).partition(": ")
            if sep and key in given:
                self.error(_join(path, key), rest)

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
        try:
            return Secret(resolve_secret(value, env=self.env, base_dir=self.base_dir))
        except SecretUnavailable as exc:
            self.error(path, str(exc))
            return _INVALID


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


