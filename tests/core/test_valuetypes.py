"""bot.valuetypes: one shape per type, the scalar table's two parsers, and callers that agree."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.converters import (
    Choice,
    DurationConverter,
    Integer,
    PositiveInt,
    Word,
    converter_for,
)
from bot.config import Secret, build, coerce_setting
from bot.config.chat import _exact_duration
from bot.durations import MAX_DURATION
from bot.model import Member
from bot.valuetypes import (
    SCALARS,
    ValueMismatch,
    annotated_parts,
    describe,
    item_type,
    literal_values,
    mentions,
    optional_member,
    quote_short,
    shape_of,
    toml_kind,
    union_members,
)


@dataclasses.dataclass
class Nested:
    depth: int = 1


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("tp", "shape"),
    [
        (Any, "any"),
        (object, "any"),
        (bool, "scalar"),
        (int, "scalar"),
        (float, "scalar"),
        (str, "scalar"),
        (Path, "scalar"),
        (timedelta, "scalar"),
        (Literal["a", "b"], "literal"),
        (int | None, "union"),
        (Optional[int], "union"),  # noqa: UP045 - the typing spelling must be the same shape
        (Union[int, str], "union"),  # noqa: UP007
        (list, "list"),
        (list[int], "list"),
        (dict, "dict"),
        (dict[str, Nested], "dict"),
        (Nested, "dataclass"),
        (Secret, "dataclass"),  # the builder checks for Secret itself, before asking
        (Member, "dataclass"),
        (Annotated[int, "doc"], "annotated"),
        (tuple[int], "unsupported"),
        (set, "unsupported"),
        (bytes, "unsupported"),
        (type(None), "unsupported"),
        (Callable[[int], int], "unsupported"),
        (Choice("a"), "unsupported"),  # an object, not a type
        ("int", "unsupported"),  # an unresolved forward reference
    ],
)
def test_shape_of(tp: Any, shape: str) -> None:
    assert shape_of(tp) == shape


def test_shape_of_answers_scalar_exactly_for_the_scalar_table() -> None:
    assert all(shape_of(tp) == "scalar" for tp in SCALARS)
    assert set(SCALARS) == {bool, int, float, str, Path, timedelta}


def test_shape_helpers() -> None:
    assert literal_values(Literal["b", "a", 1]) == ("b", "a", 1)
    assert union_members(int | None) == ((int,), True)
    assert union_members(int | str) == ((int, str), False)
    assert union_members(Union[int, str, None]) == ((int, str), True)  # noqa: UP007
    assert optional_member(int | None) is int
    assert optional_member(int | str | None) == int | str | None  # still a union: unchanged
    assert optional_member(int) is int
    assert item_type(list[int]) is int and item_type(dict[str, float]) is float
    assert item_type(list) is None and item_type(dict) is None
    assert annotated_parts(Annotated[int, "a", "b"]) == (int, ("a", "b"))
    assert mentions(dict[str, list[Secret | None]], Secret)
    assert not mentions(dict[str, list[int | None]], Secret)


# --------------------------------------------------------------------------- TOML values


def test_describe_uses_the_words_of_toml() -> None:
    assert [toml_kind(v) for v in (True, 1, 1.5, "x", [], {}, date(2020, 1, 1))] == [
        "boolean", "integer", "float", "string", "array", "table", "date"]
    assert describe("abc") == "string 'abc'"
    assert describe([1]) == "an array" and describe({"a": 1}) == "a table"
    assert describe("x" * 100) == "string '" + "x" * 56 + "..."
    assert quote_short("y" * 50) == repr("y" * 37 + "...")


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (int, True, "expected an integer, got boolean True"),
        (int, 1.0, "expected an integer, got float 1.0"),
        (int, "abc", "expected an integer, got string 'abc'"),
        (float, False, "expected a number, got boolean False"),
        (float, "0.5", "expected a number, got string '0.5'"),
        (bool, 1, "expected a boolean (true or false), got integer 1"),
        (bool, "yes", "expected a boolean (true or false), got string 'yes'"),
        (str, 1, "expected a string, got integer 1"),
        (str, ["a"], "expected a string, got an array"),
        (Path, 1, "expected a path string, got integer 1"),
        (timedelta, 3600, 'expected a duration like "3d" or "2h30m", got integer 3600'),
    ],
)
def test_from_toml_refuses_the_wrong_kind(tp: type, value: object, message: str) -> None:
    with pytest.raises(ValueMismatch) as info:
        SCALARS[tp].from_toml(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (float, float("inf"), "expected a finite number, got float inf"),
        (float, float("nan"), "expected a finite number, got float nan"),
        (timedelta, "3x", "invalid duration '3x': unknown unit 'x' (use w, d, h, m or s)"),
        (timedelta, "0s", "invalid duration '0s': duration must be longer than zero"),
    ],
)
def test_from_toml_refuses_a_bad_value_of_the_right_kind(
    tp: type, value: object, message: str
) -> None:
    with pytest.raises(ValueError) as info:
        SCALARS[tp].from_toml(value)
    assert str(info.value) == message and not isinstance(info.value, ValueMismatch)


@pytest.mark.parametrize(
    ("tp", "value", "expected"),
    [
        (int, 7, 7),
        (float, 2, 2.0),
        (float, 0.5, 0.5),
        (bool, False, False),
        (str, "", ""),
        (Path, "data/x", Path("data/x")),
        (timedelta, "2h30m", timedelta(hours=2, minutes=30)),
    ],
)
def test_from_toml_accepts(tp: type, value: object, expected: object) -> None:
    result = SCALARS[tp].from_toml(value)
    assert result == expected and type(result) is type(expected)


_TOML_SCALARS = st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
_KINDS: dict[type, Callable[[object], bool]] = {
    bool: lambda v: type(v) is bool,
    int: lambda v: type(v) is int,
    float: lambda v: type(v) in (int, float),
    str: lambda v: type(v) is str,
    Path: lambda v: type(v) is str,
}


@given(_TOML_SCALARS)
def test_from_toml_accepts_exactly_its_kinds(value: object) -> None:
    """A TOML boolean is never an integer or a number, whatever Python's bool says."""
    for tp, right_kind in _KINDS.items():
        try:
            SCALARS[tp].from_toml(value)
        except ValueMismatch:
            assert not right_kind(value), (tp, value)
        except ValueError:
            assert right_kind(value) and tp is float, (tp, value)  # only inf / nan
        else:
            assert right_kind(value), (tp, value)


# --------------------------------------------------------------------------- chat text


def _positional(number: float) -> str:
    """A float as chat text: plain decimals, since `1e-05` is refused from chat."""
    return format(Decimal(repr(number)), "f")


def _case(word: str, flips: list[bool]) -> str:
    """A word with some letters upper-cased, as people type it."""
    flips = flips + [False] * len(word)
    return "".join(c.upper() if flip else c for c, flip in zip(word, flips, strict=False))


_WORDS = {True: ("yes", "true", "on"), False: ("no", "false", "off")}
_PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
#: For each scalar type, a value and the chat text a moderator would type for it.
_CHAT_VALUES: dict[type, st.SearchStrategy[tuple[Any, str]]] = {
    bool: st.tuples(st.booleans(), st.integers(0, 2), st.lists(st.booleans(), max_size=5)).map(
        lambda t: (t[0], _case(_WORDS[t[0]][t[1]], t[2]))),
    int: st.tuples(st.integers(-(10**28), 10**28), st.booleans()).map(
        lambda t: (t[0], f"+{t[0]}" if t[1] and t[0] >= 0 else str(t[0]))),
    float: st.floats(-1e15, 1e15).map(lambda x: round(x, 6)).map(lambda x: (x, _positional(x))),
    str: st.text(_PRINTABLE, max_size=40).map(str.strip).map(lambda s: (s, s)),
    Path: st.text(_PRINTABLE, min_size=1, max_size=40).map(str.strip).filter(bool).map(
        lambda s: (Path(s), str(Path(s)))),
    timedelta: st.integers(1, int(MAX_DURATION.total_seconds())).map(
        lambda n: (timedelta(seconds=n), _exact_duration(timedelta(seconds=n)))),
}


@pytest.mark.parametrize("tp", list(SCALARS), ids=lambda tp: tp.__name__)
@given(data=st.data())
def test_chat_text_round_trips(tp: type, data: st.DataObject) -> None:
    """What a moderator would type for a value reads back as that very value."""
    value, text = data.draw(_CHAT_VALUES[tp])
    parsed = SCALARS[tp].from_text(text)
    assert type(parsed) is type(value)
    assert repr(parsed) == repr(value), text


@given(st.booleans(), st.lists(st.booleans(), min_size=5, max_size=5))
def test_chat_booleans_ignore_case(value: bool, flips: list[bool]) -> None:
    for word in (["yes", "true", "on"] if value else ["no", "false", "off"]):
        assert SCALARS[bool].from_text(_case(word, flips)) is value


@pytest.mark.parametrize(
    ("tp", "text", "message", "mismatch"),
    [
        (int, "1.5", "expected a whole number, got '1.5'", True),
        (int, "1e3", "expected a whole number, got '1e3'", True),
        (int, "1" * 31, f"{'1' * 31!r} is out of range", False),
        (float, "nan", "expected a number like 0.5, got 'nan'", True),
        (float, "1e999", "expected a number like 0.5, got '1e999'", True),
        (bool, "maybe", "expected yes or no, got 'maybe'", True),
        (Path, "", "expected a path", False),
        (timedelta, "3x", "invalid duration '3x': unknown unit 'x' (use w, d, h, m or s)", False),
    ],
)
def test_from_text_refuses(tp: type, text: str, message: str, mismatch: bool) -> None:
    with pytest.raises(ValueError) as info:
        SCALARS[tp].from_text(text)
    assert str(info.value) == message
    assert isinstance(info.value, ValueMismatch) is mismatch


# --------------------------------------------------------------------------- the three callers


def _schema(tp: Any) -> type:
    """A one-field config section of type `tp`."""
    return dataclasses.make_dataclass("Section", [("field", tp, dataclasses.field(default=None))])


def _from_toml(tp: Any, value: object) -> tuple[Any, list[str]]:
    """The TOML builder's result for one field: the value, or None and the messages."""
    instance, problems = build(_schema(tp), {"field": value}, "s")
    return (getattr(instance, "field", None), [p.message for p in problems])


@pytest.mark.parametrize(
    "tp", [tuple[int], set[str], bytes, complex, frozenset, type(None), Callable[[], int]],
    ids=repr,
)
def test_an_unsupported_type_is_refused_by_all_three(tp: Any) -> None:
    assert shape_of(tp) == "unsupported"
    assert _from_toml(tp, "x") == (None, [f"schema error: unsupported field type {tp!r}"])
    with pytest.raises(ValueError, match="cannot be changed from chat; edit the config file"):
        coerce_setting(_schema(tp), "field", "x")
    with pytest.raises(TypeError, match=re.escape(f"no converter for annotation {tp!r}")):
        converter_for(tp)


@pytest.mark.parametrize(
    ("tp", "toml", "text", "converter"),
    [
        (int, 5, "5", Integer),
        (str, "w", "w", Word),
        (timedelta, "1h", "1h", DurationConverter),
        (int | None, 5, "5", Integer),
        (Literal["week", "month"], "week", "week", Choice),
    ],
)
def test_the_three_callers_accept_the_same_value(
    tp: Any, toml: object, text: str, converter: type
) -> None:
    from_toml, problems = _from_toml(tp, toml)
    assert problems == []
    assert from_toml == coerce_setting(_schema(tp), "field", text)
    assert type(converter_for(tp)) is converter


def test_a_scalar_refused_from_toml_and_from_chat_is_worded_by_the_same_table() -> None:
    _, problems = _from_toml(timedelta, "3x")
    with pytest.raises(ValueError) as info:
        coerce_setting(_schema(timedelta), "field", "3x")
    assert problems == [str(info.value)]


def test_commands_take_x_for_x_or_none_and_a_converter_riding_on_annotated() -> None:
    assert type(converter_for(Annotated[int, PositiveInt()] | None)) is PositiveInt
    assert type(converter_for(Annotated[Literal["a", "B"], "doc"])) is Choice
    with pytest.raises(TypeError, match=re.escape("no converter for annotation int | None")):
        converter_for(Annotated[int | None, "doc"])  # only the outer `| None` is unwrapped
    with pytest.raises(TypeError, match="no converter for annotation"):
        converter_for(int | str)
