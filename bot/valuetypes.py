"""One type dispatch for config fields and command parameters: a type's shape, and scalar parsing.

Three callers turn outside values into typed ones: the TOML builder (`bot.config.build`), chat
text from `!config KEY VALUE` (`bot.config.chat`) and command arguments (`bot.commands`). Each
used to walk `get_origin` / `get_args` on its own, in its own order, so one could accept a type
another refused. Now `shape_of` alone decides what a type is, the small helpers under it take
apart a type of a known shape, `SCALARS` holds each scalar type's name and its two parsers, and
every caller is a short table keyed by shape.

Where this differs from the first sketch, and why:

- There is no "secret" shape. This module sits below `bot.config` and cannot name `Secret`; the
  TOML builder is the only caller that accepts secrets (chat refuses them before parsing and
  commands never take them), so it checks `tp is Secret` before asking for the shape, and
  `mentions(tp, Secret)` finds a secret nested anywhere.
- There is an "annotated" shape: commands carry converters in `Annotated[T, converter]`; the
  config side never sees one (its hints are read without extras) and calls it unsupported.
- Errors: a parser raises `ValueMismatch` when the value is the wrong kind ("expected an
  integer, got string 'abc'") and a plain `ValueError` when it is the right kind but unusable
  ("invalid duration '3x': …"); both carry the caller's exact one-line message, so the builder
  records `str(exc)` and chat shows it.
- Commands keep their own converter classes instead of `SCALARS`: their messages are translated
  and their rules differ on purpose (integers up to 2**53, `Amount`, members).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from bot.durations import parse_duration

__all__ = [
    "SCALARS",
    "Scalar",
    "Shape",
    "ValueMismatch",
    "annotated_parts",
    "describe",
    "is_dataclass_type",
    "item_type",
    "literal_values",
    "mentions",
    "optional_member",
    "quote_short",
    "shape_of",
    "toml_kind",
    "union_members",
]

#: What a type is, for dispatch: every caller maps each of these to its own handling.
Shape = Literal[
    "any", "annotated", "literal", "union", "list", "dict", "scalar", "dataclass", "unsupported"
]

_NONE_TYPE = type(None)
_ORIGIN_SHAPES: Mapping[Any, Shape] = types.MappingProxyType({
    Annotated: "annotated",
    Literal: "literal",
    Union: "union",
    types.UnionType: "union",
    list: "list",
    dict: "dict",
})
_BARE_SHAPES: Mapping[Any, Shape] = types.MappingProxyType({list: "list", dict: "dict"})


class ValueMismatch(ValueError):
    """The value is the wrong kind for the type (a string for an integer), not a bad value of it."""


def shape_of(tp: Any) -> Shape:
    """The kind of a type annotation, so callers dispatch on one answer instead of asking typing."""
    if tp is Any or tp is object:
        return "any"
    origin = get_origin(tp)
    if origin is not None:
        return _ORIGIN_SHAPES.get(origin, "unsupported")
    if not isinstance(tp, type):
        return "unsupported"
    if tp in SCALARS:
        return "scalar"
    if is_dataclass_type(tp):
        return "dataclass"
    return _BARE_SHAPES.get(tp, "unsupported")


def is_dataclass_type(tp: Any) -> bool:
    """True for a dataclass class, not an instance: schemas and nested sections are classes."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def literal_values(tp: Any) -> tuple[Any, ...]:
    """The allowed values of a "literal" shape, in declaration order (messages list them so)."""
    return get_args(tp)


def union_members(tp: Any) -> tuple[tuple[Any, ...], bool]:
    """A "union" shape's members other than None, and whether None is one of them."""
    args = get_args(tp)
    members = tuple(a for a in args if a is not _NONE_TYPE)
    return members, len(members) < len(args)


def optional_member(tp: Any) -> Any:
    """X for `X | None` (one member besides None), else the type itself: what a parameter takes."""
    if shape_of(tp) != "union":
        return tp
    members, _ = union_members(tp)
    return members[0] if len(members) == 1 else tp


def item_type(tp: Any) -> Any | None:
    """The items' type of a "list" shape or the values' type of a "dict"; None when left bare."""
    args = get_args(tp)
    return args[-1] if args else None


def annotated_parts(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """An "annotated" shape's underlying type and its metadata (where converters ride along)."""
    return get_args(tp)[0], tuple(tp.__metadata__)


def mentions(tp: Any, target: Any) -> bool:
    """Whether `target` is the type or appears anywhere inside it (a secret in `list[Secret]`)."""
    return tp is target or any(mentions(arg, target) for arg in get_args(tp))


# --------------------------------------------------------------------------- describing values

_TOML_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "float"),
    (str, "string"),
    (list, "array"),
    (Mapping, "table"),
    (datetime, "datetime"),
    (date, "date"),
    (time, "time"),
)


def toml_kind(value: object) -> str:
    """TOML's name for the type of a parsed value, so messages use the words of the file."""
    for kinds, name in _TOML_KINDS:
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def describe(value: object) -> str:
    """`string 'abc'`: the kind and a short repr, so the operator finds the value in the file."""
    kind = toml_kind(value)
    if isinstance(value, list | Mapping):
        return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{kind} {shown}"


def quote_short(raw: str) -> str:
    """Text quoted and cut short for a one-line message (a pasted essay stays out of it)."""
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


# --------------------------------------------------------------------------- scalar types


@dataclasses.dataclass(frozen=True, slots=True)
class Scalar:
    """One scalar type: its "expected …" phrase and how TOML values and chat text become it."""

    expected: str
    items: str | None  # "integers" for "an array of integers"; None when such arrays are unnamed
    accepts: Callable[[object], bool]  # the TOML value is the right kind
    convert: Callable[[Any], Any]  # a right-kind TOML value to the type, or ValueError
    from_text: Callable[[str], Any]  # stripped chat text to the type, or ValueError

    def from_toml(self, value: object) -> Any:
        """A parsed TOML value as this type, or ValueMismatch / ValueError with the message."""
        if not self.accepts(value):
            raise ValueMismatch(f"expected {self.expected}, got {describe(value)}")
        return self.convert(value)


_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TRUE = frozenset({"yes", "true", "on"})
_FALSE = frozenset({"no", "false", "off"})


def _same(value: Any) -> Any:
    """A TOML value already of the type (TOML's own strings and numbers)."""
    return value


def _is_bool(value: object) -> bool:
    """A TOML boolean: `true` / `false`, never 0 / 1 or "yes"."""
    return isinstance(value, bool)


def _is_int(value: object) -> bool:
    """An integer that is not a boolean (Python's bool is an int, TOML's is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """An integer or a float, never a boolean: `rate = 1` is a fine number."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: float) -> float:
    """A TOML number as a float, refusing inf and nan that no setting means."""
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {describe(value)}")
    return float(value)


def _duration(raw: str) -> timedelta:
    """A duration from TOML or chat, with the parser's reason after the value."""
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise ValueError(f"invalid duration {quote_short(raw)}: {exc}") from None


def _bool_text(raw: str) -> bool:
    """yes/true/on or no/false/off, any case: what people type in chat."""
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueMismatch(f"expected yes or no, got {quote_short(raw)}")


def _int_text(raw: str) -> int:
    """ASCII digits only (no `1e3`, `1_000`, `٣`), and no number longer than 30 digits."""
    if not _INT_TEXT.fullmatch(raw):
        raise ValueMismatch(f"expected a whole number, got {quote_short(raw)}")
    if len(raw) > 30:
        raise ValueError(f"{quote_short(raw)} is out of range")
    return int(raw)


def _float_text(raw: str) -> float:
    """Plain decimal notation only, so `nan`, `inf` and `1e999` never become a setting."""
    if not _FLOAT_TEXT.fullmatch(raw) or len(raw) > 40:
        raise ValueMismatch(f"expected a number like 0.5, got {quote_short(raw)}")
    return float(raw)


def _path_text(raw: str) -> Path:
    """A non-empty path: an empty one would silently mean the current directory."""
    if not raw:
        raise ValueError("expected a path")
    return Path(raw)


def _is_str(value: object) -> bool:
    """A TOML string (paths and durations are written as strings too)."""
    return isinstance(value, str)


#: Every scalar type a config field may have, read-only: the keys are what `shape_of` calls
#: "scalar".
SCALARS: Mapping[Any, Scalar] = types.MappingProxyType({
    bool: Scalar("a boolean (true or false)", "booleans", _is_bool, _same, _bool_text),
    int: Scalar("an integer", "integers", _is_int, _same, _int_text),
    float: Scalar("a number", "numbers", _is_number, _finite, _float_text),
    str: Scalar("a string", "strings", _is_str, _same, _same),
    Path: Scalar("a path string", None, _is_str, Path, _path_text),
    timedelta: Scalar('a duration like "3d" or "2h30m"', None, _is_str, _duration, _duration),
})
