"""Human durations ("3d", "2h30m") for config values and command options, parsed strictly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

__all__ = ["MAX_DURATION", "format_duration", "parse_duration"]

#: Longest accepted duration: ten years (with leap days); anything longer is a typo or an attack.
MAX_DURATION = timedelta(days=3653)

# Units in the only order they may appear, with their length in seconds.
_UNITS: tuple[tuple[str, int], ...] = (
    ("w", 7 * 86400),
    ("d", 86400),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
)
_UNIT_SECONDS: Mapping[str, int] = MappingProxyType(dict(_UNITS))
_UNIT_RANK: Mapping[str, int] = MappingProxyType({unit: r for r, (unit, _) in enumerate(_UNITS)})
# Units shown by format_duration: weeks are accepted on input but "9d" reads better than "1w 2d".
_DISPLAY_UNITS = _UNITS[1:]

# One part: ASCII digits, then letters; spaces are allowed only between parts.
_PART = re.compile(r"\s*([0-9]+)([a-z]*)\s*")
_MAX_TEXT = 64


def parse_duration(text: str) -> timedelta:
    """Parse "1w2d", "2h 30m", "90s" (case-insensitive) so every duration input is validated once."""
    if not isinstance(text, str):
        raise ValueError("duration must be a string like 3d or 2h30m")
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty duration")
    if len(cleaned) > _MAX_TEXT:
        raise ValueError("duration is too long")
    if cleaned.startswith("-"):
        raise ValueError("duration must be positive")
    if "." in cleaned or "," in cleaned:
        raise ValueError("use whole numbers, like 1h30m instead of 1.5h")
    total = 0
    last_rank = -1
    pos = 0
    while pos < len(cleaned):
        match = _PART.match(cleaned, pos)
        if match is None:
            raise ValueError("expected something like 3d, 2h30m or 90s")
        number, unit = match.groups()
        if not unit:
            raise ValueError(f"missing unit after {number} (use w, d, h, m or s)")
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"unknown unit {unit!r} (use w, d, h, m or s)")
        rank = _UNIT_RANK[unit]
        if rank == last_rank:
            raise ValueError(f"unit {unit!r} given twice")
        if rank < last_rank:
            raise ValueError("units must go from largest to smallest (w d h m s)")
        last_rank = rank
        total += int(number) * _UNIT_SECONDS[unit]
        pos = match.end()
    if total == 0:
        raise ValueError("duration must be longer than zero")
    if total > MAX_DURATION.total_seconds():
        raise ValueError("duration is longer than 10 years")
    return timedelta(seconds=total)


def format_duration(td: timedelta) -> str:
    """Show a duration as its two largest units ("2d 3h", "45m") so messages stay short."""
    seconds = int(td.total_seconds())
    if seconds < 0:
        return "-" + format_duration(timedelta(seconds=-seconds))
    for index, (unit, size) in enumerate(_DISPLAY_UNITS):
        if seconds >= size or unit == "s":
            parts = [f"{seconds // size}{unit}"]
            if index + 1 < len(_DISPLAY_UNITS):
                next_unit, next_size = _DISPLAY_UNITS[index + 1]
                rest = (seconds % size) // next_size
                if rest:
                    parts.append(f"{rest}{next_unit}")
            return " ".join(parts)
    raise AssertionError("unreachable: seconds is the last unit")
