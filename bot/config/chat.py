"""Settings changed from chat (`!config`): text → typed values, and overrides."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.config.build import (
    _contains_secret,
    _expected,
    _is_dataclass_type,
    _schema_fields,
    _suggest,
)
from bot.valuetypes import (
    SCALARS,
    item_type,
    literal_values,
    quote_short,
    shape_of,
    union_members,
)

T = TypeVar("T")

_NONE_WORDS = frozenset({"none", "null", ""})
_MAX_SETTING = 1000


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
    return _FROM_TEXT.get(shape_of(tp), _not_from_chat)(tp, raw)


def _union_text(tp: Any, raw: str) -> Any:
    """None for "none" when allowed, else the first member that reads the text."""
    members, nullable = union_members(tp)
    if nullable and raw.lower() in _NONE_WORDS:
        return None
    reasons = []
    for member in members:
        try:
            return _coerce_text(member, raw)
        except ValueError as exc:
            reasons.append(str(exc))
    raise ValueError(reasons[0] if len(reasons) == 1 else f"expected {_expected(tp)}")


def _literal_text(tp: Any, raw: str) -> Any:
    """The value written as typed, or the only one equal to it ignoring case."""
    allowed = literal_values(tp)
    for value in allowed:
        if str(value) == raw:
            return value
    folded = [v for v in allowed if str(v).lower() == raw.lower()]
    if len(folded) == 1:
        return folded[0]
    choices = ", ".join(str(a) for a in allowed)
    raise ValueError(f"expected one of {choices}, got {quote_short(raw)}")


def _list_text(tp: Any, raw: str) -> Any:
    """Comma-separated items, blanks dropped, each read as the item type."""
    item = item_type(tp)
    items = [part.strip() for part in raw.split(",") if part.strip()]
    return [_coerce_text(item, part) for part in items] if item is not None else items


def _scalar_text(tp: Any, raw: str) -> Any:
    """bool, int, float, str, Path, timedelta: the shared scalar table reads and words it."""
    return SCALARS[tp].from_text(raw)


def _not_from_chat(tp: Any, raw: str) -> Any:
    """Tables, nested sections and anything else: one line of chat cannot spell them."""
    raise ValueError("this setting cannot be changed from chat; edit the config file")


_FROM_TEXT: Mapping[str, Callable[[Any, str], Any]] = types.MappingProxyType({
    "union": _union_text,
    "literal": _literal_text,
    "scalar": _scalar_text,
    "list": _list_text,
})


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


def show_setting(value: Any) -> str:
    """A value as people write it in `!config` (`14d`, `yes`, `accepted, funded`, `—`)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return _exact_duration(value)
    if isinstance(value, list | tuple):
        return ", ".join(show_setting(v) for v in value) or "—"
    if isinstance(value, str):
        return value or "—"
    return str(value)


def _exact_duration(td: timedelta) -> str:
    """Every unit of a duration ("1d2h30m"), unlike format_duration, so defaults round-trip."""
    seconds = int(td.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
