"""Quadratic voting: v votes on an option cost v² credits; votes may be negative (against).

Budgets are checked when the ballot is cast (ballots.py); the tally only adds votes up.
"""

from __future__ import annotations

from collections.abc import Iterable

from plugins.votes.tallies.base import Ballot, Tally, decide


def cost(values: Iterable[tuple[int, int]]) -> int:
    """What a ballot costs: the sum of its votes squared."""
    return sum(v * v for _option, v in values)


def tally(n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Net votes per option (for minus against); the highest net total wins."""
    totals = [0.0] * n_options
    count = 0
    for ballot in ballots:
        count += 1
        for option, votes in ballot.values:
            totals[option] += votes * ballot.weight
    return decide(totals, count)
