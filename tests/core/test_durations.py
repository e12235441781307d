"""parse_duration/format_duration: strict input, readable output, and a round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import MAX_DURATION, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("45m", timedelta(minutes=45)),
        ("2H30M", timedelta(hours=2, minutes=30)),
        ("2h 30m", timedelta(hours=2, minutes=30)),
        ("  1w 2d 3h 4m 5s  ", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("0d5m", timedelta(minutes=5)),
        ("3650d", timedelta(days=3650)),
    ],
)
def test_parse_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0s", "longer than zero"),
        ("0d0h", "longer than zero"),
        ("-3d", "positive"),
        ("3", "missing unit"),
        ("3x", "unknown unit"),
        ("3days", "unknown unit"),
        ("2h2h", "twice"),
        ("30m2h", "largest to smallest"),
        ("1.5h", "whole numbers"),
        ("1,5h", "whole numbers"),
        ("abc", "expected something like"),
        ("3d!", "expected something like"),
        ("2 h", "missing unit"),
        ("٣d", "expected something like"),
        ("+3d", "expected something like"),
        ("3651d1w", "largest to smallest"),
        ("3654d", "10 years"),
        ("99999999999999999999999w", "10 years"),
        ("1" * 100 + "s", "too long"),
    ],
)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_duration(text)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(ValueError):
        parse_duration(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(days=2, hours=3, minutes=4), "2d 3h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(seconds=10), "10s"),
        (timedelta(days=9), "9d"),
        (timedelta(days=1, minutes=30), "1d"),
        (timedelta(hours=1, seconds=5), "1h"),
        (timedelta(minutes=1, seconds=30), "1m 30s"),
        (timedelta(0), "0s"),
        (timedelta(milliseconds=300), "0s"),
        (timedelta(hours=-2), "-2h"),
    ],
)
def test_format(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@given(
    st.lists(
        st.tuples(st.sampled_from("wdhms"), st.integers(0, 500)),
        min_size=1,
        max_size=5,
        unique_by=lambda part: part[0],
    ),
    st.sampled_from(["", " "]),
    st.booleans(),
)
def test_parse_sums_parts(parts: list[tuple[str, int]], sep: str, upper: bool) -> None:
    parts.sort(key=lambda part: "wdhms".index(part[0]))
    text = sep.join(f"{n}{unit.upper() if upper else unit}" for unit, n in parts)
    seconds = sum(n * _UNITS[unit] for unit, n in parts)
    if seconds == 0 or seconds > MAX_DURATION.total_seconds():
        with pytest.raises(ValueError):
            parse_duration(text)
    else:
        assert parse_duration(text) == timedelta(seconds=seconds)


@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_format_then_parse_round_trip(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    text = format_duration(td)
    back = parse_duration(text)
    # Two units are kept: the result is td truncated to the second-largest unit shown.
    assert back <= td
    largest = next(size for size in (86400, 3600, 60, 1) if seconds >= size)
    precision = {86400: 3600, 3600: 60, 60: 1, 1: 1}[largest]
    assert td - back < timedelta(seconds=precision)
    assert format_duration(back) == text


@given(st.integers(0, 3000), st.integers(0, 23))
def test_two_unit_durations_round_trip_exactly(days: int, hours: int) -> None:
    td = timedelta(days=days, hours=hours)
    if td:
        assert parse_duration(format_duration(td)) == td
