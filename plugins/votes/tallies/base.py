"""What every tally takes and returns: pure data, so tallies are testable without a bot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's normalised marks (see ballots.py) and their weight.

    `ranks`: option indices — the one choice (single), the approved set (approval) or the
    preference order (ranked). `values`: (option, value) pairs for score and quadratic.
    """

    ranks: tuple[int, ...] = ()
    values: tuple[tuple[int, int], ...] = ()
    weight: int = 1


@dataclass(frozen=True, slots=True)
class Tally:
    """A method's outcome in option order; the service adds the poll id and the quorum."""

    ballots: int
    totals: tuple[float, ...]
    winner: int | None
    ranking: tuple[int, ...]
    tie: bool = False
    rounds: tuple[tuple[float, ...], ...] = ()
    means: tuple[float, ...] = ()
    eliminated: tuple[int, ...] = ()
    exhausted: tuple[float, ...] = ()


def ranking_of(totals: Sequence[float]) -> tuple[int, ...]:
    """Options best first; equal totals keep poll order, so the ranking is deterministic."""
    return tuple(sorted(range(len(totals)), key=lambda i: (-totals[i], i)))


def decide(totals: Sequence[float], ballots: int) -> Tally:
    """The common rule: the strictly highest total wins; a shared top is a tie, no winner."""
    ranking = ranking_of(totals)
    if ballots == 0 or not ranking:
        return Tally(ballots, tuple(totals), None, ranking)
    top = totals[ranking[0]]
    tie = len(ranking) > 1 and totals[ranking[1]] == top
    return Tally(ballots, tuple(float(t) for t in totals), None if tie else ranking[0],
                 ranking, tie)
