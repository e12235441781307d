"""Pure tallies, one module per method; `tally(method, …)` picks the right one."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from plugins.votes.tallies import approval, irv, plurality, quadratic, score
from plugins.votes.tallies.base import Ballot, Tally, ranking_of

TALLIES: dict[str, Callable[[int, Iterable[Ballot]], Tally]] = {
    "single": plurality.tally,
    "approval": approval.tally,
    "ranked": irv.tally,
    "score": score.tally,
    "quadratic": quadratic.tally,
}


def tally(method: str, n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Count `ballots` by `method` (one of models.METHODS)."""
    return TALLIES[method](n_options, ballots)


__all__ = ["TALLIES", "Ballot", "Tally", "ranking_of", "tally"]
