"""`[plugins.budget]`: every key with its default; moderators may override them per community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.api import limited, operator_only


@dataclass(frozen=True)
class BudgetConfig:
    """Defaults live here so a bot without a `[plugins.budget]` section behaves sensibly."""

    #: Bounds of `--until` (a duration, or a date at most `max_duration` away).
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=90)
    #: Largest budget, in the currency's smallest unit.
    max_total: int = limited(1_000_000)
    #: Points each member spreads with `--method points`.
    points: int = 10
    #: Most ideas one budget takes (the newest ones in the chosen status).
    max_ideas: int = 50
    #: How often due budgets are closed and interrupted payments re-driven.
    sweep_interval: timedelta = operator_only(timedelta(seconds=30))
    #: Characters of the support bar of `!budget show`.
    bar_width: int = 10
    #: Post the result in the budget's room when its deadline (not `!budget close`) closes it.
    announce: bool = True

    def validate(self) -> list[str]:
        """Ranges a type cannot express, reported with their key."""
        problems: list[str] = []
        if self.min_duration > self.max_duration:
            problems.append("min_duration: must not be longer than max_duration")
        if self.max_total < 1:
            problems.append("max_total: must be at least 1")
        if not 1 <= self.points <= 1000:
            problems.append("points: must be between 1 and 1000")
        if not 1 <= self.max_ideas <= 200:
            problems.append("max_ideas: must be between 1 and 200")
        if self.sweep_interval < timedelta(seconds=1):
            problems.append("sweep_interval: must be at least 1s")
        if not 4 <= self.bar_width <= 40:
            problems.append("bar_width: must be between 4 and 40")
        return problems
