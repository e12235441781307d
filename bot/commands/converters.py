"""Argument converters: each turns one raw token into a typed value or raises BadArgument."""

from __future__ import annotations

import re
import types
import unicodedata
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Protocol, runtime_checkable

from bot.commands.errors import BadArgument
from bot.durations import parse_duration
from bot.i18n import translatable
from bot.model import Member
from bot.text import clean_text, visible
from bot.valuetypes import annotated_parts, literal_values, optional_member, shape_of

if TYPE_CHECKING:
    from bot.commands.context import Context

_ = translatable("core")

MAX_INT = 2**53  # beyond this nothing in a chat is meaningful, and JSON/JS stay exact


@runtime_checkable
class Converter(Protocol):
    """Turns a raw argument into a value; `name` is what usage lines show."""

    name: str

    async def convert(self, ctx: Context, raw: str) -> Any: ...


class Word:
    """One word, or a quoted string."""

    name = "text"

    async def convert(self, ctx: Context, raw: str) -> str:
        return clean_text(raw)


class RestOfLine:
    """Everything left on the line, spacing kept (titles, reasons, comments)."""

    name = "text…"
    max_length = 4000

    async def convert(self, ctx: Context, raw: str) -> str:
        text = clean_text(raw, multiline=True).strip()
        if len(text) > self.max_length:
            raise BadArgument(_("Text too long ({length} characters, at most {limit}).",
                                length=len(text), limit=self.max_length))
        return text


def _ascii_integer(raw: str) -> int | None:
    """Only plain ASCII digits with an optional sign: no `1e3`, `١٢`, `1_000`, `0x10`."""
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        return None
    value = int(raw)
    return value if abs(value) <= MAX_INT else None


class Integer:
    """A whole number written in ASCII digits."""

    name = "number"

    async def convert(self, ctx: Context, raw: str) -> int:
        value = _ascii_integer(raw.strip())
        if value is None:
            raise BadArgument(_("“{raw}” is not a whole number.", raw=_clip(raw)))
        return value


class PositiveInt(Integer):
    """A whole number ≥ 1 (ids, counts, page numbers)."""

    name = "number"

    async def convert(self, ctx: Context, raw: str) -> int:
        value = await super().convert(ctx, raw)
        if value < 1:
            raise BadArgument(_("“{raw}” must be a positive whole number.", raw=_clip(raw)))
        return value


class Amount:
    """A positive integer amount of tokens; decimals allowed only up to `decimals` places."""

    name = "amount"

    def __init__(self, decimals: int = 0) -> None:
        self.decimals = decimals

    async def convert(self, ctx: Context, raw: str) -> int:
        text = raw.strip()
        decimals = self.decimals
        match = re.fullmatch(r"([0-9]+)(?:[.,]([0-9]+))?", text)
        if match is None:
            if re.fullmatch(r"[+-]?[0-9.,]+", text) and text.startswith("-"):
                raise BadArgument(_("The amount must be positive, not {raw}.", raw=_clip(raw)))
            if any(unicodedata.category(c) == "Nd" and not c.isascii() for c in text):
                raise BadArgument(_("Write amounts with the digits 0-9, not “{raw}”.",
                                    raw=_clip(raw)))
            raise BadArgument(_("“{raw}” is not an amount: use a whole number like 5.",
                                raw=_clip(raw)))
        whole, frac = match.group(1), match.group(2) or ""
        if len(frac.rstrip("0")) > decimals:
            raise BadArgument(_("Amounts have at most {decimals} decimal places: “{raw}”.",
                                decimals=decimals, raw=_clip(raw)))
        value: int = int(whole) * 10**decimals + int((frac + "0" * decimals)[:decimals] or "0")
        if value <= 0:
            raise BadArgument(_("The amount must be at least 1, not {raw}.", raw=_clip(raw)))
        if value > MAX_INT:
            raise BadArgument(_("“{raw}” is too large.", raw=_clip(raw)))
        return value


class DurationConverter:
    """A duration such as `3d`, `2h30m`, `90s`."""

    name = "duration"

    async def convert(self, ctx: Context, raw: str) -> timedelta:
        try:
            return parse_duration(raw)
        except ValueError:
            raise BadArgument(_("“{raw}” is not a duration: use forms like 3d, 2h30m or 45m.",
                                raw=_clip(raw))) from None


class MemberConverter:
    """A mention of a member known in this community (never a bot unless allowed)."""

    name = "@member"

    def __init__(self, allow_bots: bool = False) -> None:
        self.allow_bots = allow_bots

    async def convert(self, ctx: Context, raw: str) -> Member:
        member = await ctx.resolve_member(raw)
        if member is None:
            raise BadArgument(_("Unknown member: {raw}. Mention someone who has already "
                                "written here.", raw=_clip(raw)))
        if member.is_bot and not self.allow_bots:
            raise BadArgument(_("{raw} is a bot; bots cannot take part.", raw=_clip(raw)))
        return member


class Choice:
    """One of a fixed set of words (`week|month|all`)."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices
        self.name = "|".join(choices)

    async def convert(self, ctx: Context, raw: str) -> str:
        value = raw.strip().lower()
        if value not in self.choices:
            raise BadArgument(_("“{raw}” is not one of: {choices}.", raw=_clip(raw),
                                choices=", ".join(self.choices)))
        return value


def _clip(raw: str, limit: int = 40) -> str:
    """Echo user input back briefly and without control characters."""
    return visible(raw, limit)


# Annotation aliases: the signature of a command is its parser.
Rest = Annotated[str, RestOfLine()]
Duration = Annotated[timedelta, DurationConverter()]
Positive = Annotated[int, PositiveInt()]
AnyMember = Annotated[Member, MemberConverter(allow_bots=True)]


#: The converter each plain parameter type gets (`bool` is a flag, decided by `params_of`).
_BY_TYPE: Mapping[type, Callable[[], Converter]] = types.MappingProxyType({
    str: Word,
    int: Integer,
    Member: MemberConverter,
    timedelta: DurationConverter,
})


def converter_for(annotation: Any) -> Converter:
    """The converter of a parameter annotation: `X | None` takes X, then see `_pick`."""
    return _pick(optional_member(annotation))


def _pick(annotation: Any) -> Converter:
    """Dispatch on the annotation's shape, as the config side does, to its converter."""
    return _BY_SHAPE.get(shape_of(annotation), _plain)(annotation)


def _annotated(annotation: Any) -> Converter:
    """`Annotated[T, converter]` uses the converter; other metadata is only documentation."""
    base, metadata = annotated_parts(annotation)
    for meta in metadata:
        if isinstance(meta, Converter):
            return meta
    return _pick(base)


def _choice(annotation: Any) -> Converter:
    """`Literal["week", "month"]`: one of these words."""
    return Choice(*[str(a) for a in literal_values(annotation)])


def _plain(annotation: Any) -> Converter:
    """A known type, a converter class (made with no arguments) or a converter object."""
    if isinstance(annotation, type):
        factory = _BY_TYPE.get(annotation)
        if factory is not None:
            return factory()
        if hasattr(annotation, "convert"):
            return annotation()  # type: ignore[no-any-return]
    elif isinstance(annotation, Converter):
        return annotation
    raise TypeError(f"no converter for annotation {annotation!r}")


_BY_SHAPE: Mapping[str, Callable[[Any], Converter]] = types.MappingProxyType({
    "annotated": _annotated,
    "literal": _choice,
})
