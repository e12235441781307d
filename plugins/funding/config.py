"""`[plugins.funding]`: every key with its default; moderators may override them per community."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.api import limited, operator_only
from plugins.ideas.models import STATUSES


@dataclass(frozen=True)
class FundingConfig:
    """Defaults live here so a bot without a `[plugins.funding]` section behaves sensibly."""

    #: Idea statuses a round may be opened for (SPEC: accepted ideas).
    fundable_statuses: list[str] = field(default_factory=lambda: ["accepted"])
    #: How long a round stays open without `--until`, and the bounds of `--until`.
    default_duration: timedelta = timedelta(days=14)
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=90)
    #: Largest goal, in the currency's smallest unit.
    max_goal: int = limited(1_000_000)
    #: Most reward tiers, and most stretch goals, per round.
    max_tiers: int = 10
    #: How often due rounds are settled and interrupted movements re-driven (also at startup).
    sweep_interval: timedelta = operator_only(timedelta(seconds=30))
    #: Age after which a movement left half-done (a crash, another process) is re-driven.
    recovery_grace: timedelta = operator_only(timedelta(minutes=2))
    #: Rounds per `!fund list` page, and backers named by `!fund show`.
    list_size: int = 10
    show_backers: int = 10
    #: Characters of the progress bar.
    bar_width: int = 10
    #: Post the outcome in the round's room when the deadline (not `!fund close`) settles it.
    announce: bool = True

    def validate(self) -> list[str]:
        """Ranges a type cannot express, reported with their key."""
        problems: list[str] = []
        unknown = [s for s in self.fundable_statuses if s not in STATUSES]
        if unknown or not self.fundable_statuses:
            problems.append("fundable_statuses: must list idea statuses among "
                            + ", ".join(STATUSES))
        if self.min_duration > self.max_duration:
            problems.append("min_duration: must not be longer than max_duration")
        if not self.min_duration <= self.default_duration <= self.max_duration:
            problems.append("default_duration: must lie between min_duration and max_duration")
        if self.max_goal < 1:
            problems.append("max_goal: must be at least 1")
        if not 0 <= self.max_tiers <= 25:
            problems.append("max_tiers: must be between 0 and 25")
        if self.sweep_interval < timedelta(seconds=1):
            problems.append("sweep_interval: must be at least 1s")
        if self.recovery_grace < timedelta(0):
            problems.append("recovery_grace: must not be negative")
        if not 1 <= self.list_size <= 50:
            problems.append("list_size: must be between 1 and 50")
        if not 0 <= self.show_backers <= 50:
            problems.append("show_backers: must be between 0 and 50")
        if not 4 <= self.bar_width <= 40:
            problems.append("bar_width: must be between 4 and 40")
        return problems
