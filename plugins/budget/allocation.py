"""The funding rule of a budget at close, as a pure function so docs and tests can check it.

Ideas are ranked by support (most first; ties by the smaller idea number, i.e. the earlier
idea), then taken in that order while the budget lasts: an idea whose cost fits what is left
is funded and its cost taken off; one that does not fit is skipped and the next one down the
ranking is tried, so a cheaper idea further down may still be funded. Ideas without any
support are never funded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FUNDED = "funded"
NO_FIT = "no_fit"
NO_SUPPORT = "no_support"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One idea of the budget with its cost and the support it gathered."""

    idea_id: int
    number: int
    cost: int
    support: int


@dataclass(frozen=True, slots=True)
class Placed:
    """A candidate with its rank (1 = most supported) and what the rule decided for it."""

    candidate: Candidate
    rank: int
    reason: str  # FUNDED, NO_FIT or NO_SUPPORT

    @property
    def funded(self) -> bool:
        return self.reason == FUNDED


def ranking(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Most support first; equal support: the earlier idea (smaller number) first."""
    return sorted(candidates, key=lambda c: (-c.support, c.number))


def allocate(candidates: Sequence[Candidate], budget: int) -> list[Placed]:
    """Greedy by support within `budget`; an idea that does not fit is skipped, not a stop."""
    left = budget
    placed: list[Placed] = []
    for rank, c in enumerate(ranking(candidates), start=1):
        if c.support <= 0:
            reason = NO_SUPPORT
        elif c.cost <= left:
            reason = FUNDED
            left -= c.cost
        else:
            reason = NO_FIT
        placed.append(Placed(c, rank, reason))
    return placed
