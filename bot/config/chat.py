"""Settings changed from chat (`!config`): text → typed values, and overrides."""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin

from bot.config.build import (
    _NONE_TYPE,
    _contains_secret,
    _expected,
    _is_dataclass_type,
    _schema_fields,
    _suggest,
)
from bot.durations import parse_duration

T = TypeVar("T")

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
        if not _INT_TEXT.fullmatch(raw):
            raise ValueError(f"expected a whole number, got {_short(raw)}")
        if len(raw) > 30:
            raise ValueError(f"{_short(raw)} is out of range")
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
