"""The numbers behind the dashboard's pictures, from pulse's own records only.

Activity per day counts `idea`, `ballot`, `tip` and `pledge` records; the funnel counts, per
stage, the ideas that reached it or a later one (an idea accepted without a vote has passed
"in vote"); a round's progress adds its recorded pledges up to what the funding plugin says
it raised now. Everything is bounded by the records' `retention`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from plugins.pulse import store

if TYPE_CHECKING:
    from bot.api import Database

DAYS = 30
DAY = 86400.0
#: Activity series: record kind → the series' key (its label is translated by the page).
ACTIVITY = ("idea", "ballot", "tip", "pledge")
#: Funnel stages in order; a status record names the stage it reaches.
STAGES = ("submitted", "supported", "voting", "accepted", "funded", "implemented")
_REACHES = {"review": 1, "voting": 2, "accepted": 3, "implemented": 5}


@dataclass(frozen=True, slots=True)
class RoundSeries:
    number: int
    goal: int
    start: float
    end: float
    points: tuple[tuple[float, int], ...]  # (at, pledged total after it), oldest first


@dataclass(frozen=True, slots=True)
class Charts:
    days: tuple[str, ...]  # ISO dates, oldest first
    activity: dict[str, tuple[int, ...]]  # kind → one count per day
    funnel: tuple[tuple[str, int], ...]  # (stage, ideas that reached it or further)
    rounds: dict[int, RoundSeries]  # idea #N → its round's progress


def first_day(now: float, tz: ZoneInfo) -> float:
    """Midnight, in the bot's timezone, of the first of the last `DAYS` days."""
    today = datetime.fromtimestamp(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - timedelta(days=DAYS - 1)).timestamp()


def funnel_of(rows: Sequence[tuple[str, int, str]]) -> tuple[tuple[str, int], ...]:
    """Each idea's furthest stage, then how many ideas reached each stage or a later one."""
    furthest: dict[int, int] = {}
    for kind, number, detail in rows:
        stage = 0
        if kind == "status":
            stage = _REACHES.get(detail, 0)
        elif kind == "funding" and detail == "succeeded":
            stage = 4
        furthest[number] = max(furthest.get(number, 0), stage)
    return tuple((name, sum(1 for s in furthest.values() if s >= i))
                 for i, name in enumerate(STAGES))


async def gather(db: Database, community: str, now: float, tz: ZoneInfo,
                 rounds: Sequence[tuple[int, int, int, float, float]]) -> Charts:
    """`rounds`: (idea #N, goal, raised now, opened at, deadline) of the rounds in progress."""
    start = first_day(now, tz)
    counts = await store.daily(db, community, ACTIVITY, start, DAYS)
    days = tuple(datetime.fromtimestamp(start + d * DAY + DAY / 2, tz).date().isoformat()
                 for d in range(DAYS))
    activity = {k: tuple(counts.get((k, d), 0) for d in range(DAYS)) for k in ACTIVITY}
    series: dict[int, RoundSeries] = {}
    moves = await store.pledges(db, community, [r[0] for r in rounds])
    for number, goal, raised, opened, deadline in rounds:
        mine = [(at, amount) for n, at, amount in moves if n == number]
        # What pulse did not see (it was off, or the records aged out) counts from the start.
        total = raised - sum(a for _at, a in mine)
        begin = min([opened, *(at for at, _a in mine)]) if opened else (
            mine[0][0] if mine else now)
        points = [(begin, total)]
        for at, amount in mine:
            total += amount
            points.append((at, total))
        points.append((min(now, deadline), total))
        series[number] = RoundSeries(number, goal, begin, max(deadline, begin + 1),
                                     tuple(points))
    return Charts(days, activity, funnel_of(await store.stages(db, community)), series)
