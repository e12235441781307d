"""Single choice (plurality): each ballot gives its weight to one option."""

from __future__ import annotations

from collections.abc import Iterable

from plugins.votes.tallies.base import Ballot, Tally, decide


def tally(n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Most weighted ballots wins; a ballot's first mark is its choice."""
    totals = [0.0] * n_options
    count = 0
    for ballot in ballots:
        count += 1
        if ballot.ranks:
            totals[ballot.ranks[0]] += ballot.weight
    return decide(totals, count)
