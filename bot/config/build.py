"""TOML tables → dataclass instances, collecting every problem with its key path."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import re
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast, get_type_hints

from bot.config.secrets import SecretUnavailable, resolve_secret
from bot.config.values import ConfigError, Secret
from bot.valuetypes import (
    SCALARS,
    describe,
    is_dataclass_type,
    item_type,
    literal_values,
    mentions,
    shape_of,
    toml_kind,
    union_members,
)

T = TypeVar("T")

class _Invalid(enum.Enum):
    """Marker for a value that failed conversion (None is a legitimate value)."""

    INVALID = 0


_INVALID = _Invalid.INVALID
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SECRET_EXPECTED = 'a secret reference { env = "NAME" } or { file = "/path" }'
# The loader and chat name these helpers as they were named when they lived here.
_kind = toml_kind
_describe = describe
_is_dataclass_type = is_dataclass_type


def _join(path: str, key: str) -> str:
    """Dotted TOML path, quoting keys that TOML would quote."""
    shown = key if _PLAIN_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{path}.{shown}" if path else shown


def _expected(tp: Any) -> str:
    """Human name of a schema type for "expected …" messages."""
    if tp is Secret:
        return _SECRET_EXPECTED
    return _EXPECTED.get(shape_of(tp), _type_name)(tp)


def _type_name(tp: Any) -> str:
    """A type no phrase covers, by its Python name (a schema bug reads better than nothing)."""
    return getattr(tp, "__name__", str(tp))


def _array_name(tp: Any) -> str:
    """"an array of integers" when the items have a plural name, else "an array"."""
    scalar = SCALARS.get(item_type(tp))
    return f"an array of {scalar.items}" if scalar and scalar.items else "an array"


_EXPECTED: Mapping[str, Callable[[Any], str]] = types.MappingProxyType({
    "scalar": lambda tp: SCALARS[tp].expected,
    "literal": lambda tp: "one of " + ", ".join(repr(a) for a in literal_values(tp)),
    "union": lambda tp: " or ".join(_expected(a) for a in union_members(tp)[0]),
    "list": _array_name,
    "dict": lambda tp: "a table",
    "dataclass": lambda tp: "a table",
})


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
    return mentions(tp, Secret)


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
        shape = "secret" if tp is Secret else shape_of(tp)
        return _CONVERT[shape](self, tp, value, path)

    def keep(self, tp: Any, value: object, path: str) -> Any:
        """`Any` / `object`: the TOML value as parsed."""
        return value

    def scalar(self, tp: Any, value: object, path: str) -> Any:
        """bool, int, float, str, Path, timedelta: the shared scalar table decides and words it."""
        try:
            return SCALARS[tp].from_toml(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return _INVALID

    def unsupported(self, tp: Any, value: object, path: str) -> _Invalid:
        """A field type no TOML value converts to: the schema is wrong, not the file."""
        self.error(path, f"schema error: unsupported field type {tp!r}")
        return _INVALID

    def mismatch(self, tp: Any, value: object, path: str) -> _Invalid:
        """Record "expected X, got Y" (only the kind of value where a secret may be involved)."""
        got = _kind(value) if _contains_secret(tp) else _describe(value)
        self.error(path, f"expected {_expected(tp)}, got {got}")
        return _INVALID

    def literal(self, tp: Any, value: object, path: str) -> Any:
        """One of a fixed set of values (compared with their type, so 1 is not True)."""
        allowed = literal_values(tp)
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
        members, nullable = union_members(tp)
        if value is None and nullable:
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

    def sequence(self, tp: Any, value: object, path: str) -> Any:
        """An array whose items are each checked, reported as `key[i]`."""
        if not isinstance(value, list):
            return self.mismatch(tp, value, path)
        item = item_type(tp)
        if item is None:
            return list(value)
        items = [self.convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return _INVALID if any(item is _INVALID for item in items) else items

    def table(self, tp: Any, value: object, path: str) -> Any:
        """A table with arbitrary keys (`dict[str, X]`), including tables of tables."""
        if not isinstance(value, Mapping):
            return self.mismatch(tp, value, path)
        item = item_type(tp)
        if item is None:
            return dict(value)
        result = {str(k): self.convert(item, v, _join(path, str(k))) for k, v in value.items()}
        return _INVALID if any(v is _INVALID for v in result.values()) else result

    def secret(self, tp: Any, value: object, path: str) -> Any:
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
            self.error(path, f"expected {_SECRET_EXPECTED}, got {_kind(value)}")
            return _INVALID
        try:
            return Secret(resolve_secret(value, env=self.env, base_dir=self.base_dir))
        except SecretUnavailable as exc:
            self.error(path, str(exc))
            return _INVALID


#: How `_Builder.convert` handles each shape ("secret" is its own: see bot.valuetypes).
_CONVERT: Mapping[str, Callable[[_Builder, Any, object, str], Any]] = types.MappingProxyType({
    "any": _Builder.keep,
    "secret": _Builder.secret,
    "scalar": _Builder.scalar,
    "literal": _Builder.literal,
    "union": _Builder.union,
    "list": _Builder.sequence,
    "dict": _Builder.table,
    "dataclass": _Builder.build,
    "annotated": _Builder.unsupported,
    "unsupported": _Builder.unsupported,
})


def convert_field(schema: type, name: str, value: object,
                  path: str) -> tuple[Any, list[ConfigError]]:
    """One field's TOML value converted to its type alone (the rest of the schema and its
    `validate()` left out); returns (value or None on error, every problem)."""
    builder = _Builder(None, None)
    result = builder.convert(_schema_fields(schema)[1][name], value, path)
    return (None if result is _INVALID else result), builder.problems


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


