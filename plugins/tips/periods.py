"""Period arithmetic for sweeps and counters: UTC, aligned on 1970-01-01, keys that read well."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime


def period_start(t: float, seconds: float) -> float:
    """Start of the period containing `t`, so every process computes the same boundaries."""
    return math.floor(t / seconds) * seconds


def label(start: float, seconds: float) -> str:
    """A period's key in ledger refs: the day for whole-day periods, else the minute/second."""
    if seconds % 86400 == 0:
        return time.strftime("%Y-%m-%d", time.gmtime(start))
    if seconds % 60 == 0:
        return time.strftime("%Y-%m-%dT%H:%M", time.gmtime(start))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start))


def missed(last: float | None, now: float, seconds: float, limit: int,
           *, include_current: bool = True) -> list[float]:
    """Starts of the periods after the one containing `last`, up to now (at most `limit`, the
    most recent); with `last` None only the current one, so nothing is paid retroactively."""
    current = period_start(now, seconds)
    end = current if include_current else current - seconds
    if last is None:
        return [end] if include_current else []
    first = period_start(last, seconds) + seconds
    if first > end:
        return []
    count = round((end - first) / seconds) + 1
    count = min(count, limit)
    return [end - seconds * i for i in range(count - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class Calendar:
    """The UTC day, ISO week and month of an instant: daily cap and period leaderboards."""

    day: str
    week: str
    month: str


def calendar(t: float) -> Calendar:
    """Keys of the instant `t` (UTC)."""
    d = datetime.fromtimestamp(t, tz=UTC).date()
    iso = d.isocalendar()
    return Calendar(d.isoformat(), f"{iso.year}-W{iso.week:02d}", f"{d.year:04d}-{d.month:02d}")
