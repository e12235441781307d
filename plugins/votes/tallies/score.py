"""Score (range) voting: options are rated 0..max; highest total wins, means are shown.

An option a ballot leaves out counts as 0, so mean = total / total weight and an option rated
by few members cannot beat one rated well by many.
"""

from __future__ import annotations

from collections.abc import Iterable

from plugins.votes.tallies.base import Ballot, Tally, decide


def tally(n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Total and mean score per option; the highest total wins."""
    totals = [0.0] * n_options
    count = 0
    weight = 0
    for ballot in ballots:
        count += 1
        weight += ballot.weight
        for option, value in ballot.values:
            totals[option] += value * ballot.weight
    result = decide(totals, count)
    means = tuple(t / weight if weight else 0.0 for t in totals)
    return Tally(result.ballots, result.totals, result.winner, result.ranking, result.tie,
                 means=means)
