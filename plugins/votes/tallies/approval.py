"""Approval: each ballot gives its weight to every option it approves."""

from __future__ import annotations

from collections.abc import Iterable

from plugins.votes.tallies.base import Ballot, Tally, decide


def tally(n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Most approvals wins; an option approved twice on one ballot still counts once."""
    totals = [0.0] * n_options
    count = 0
    for ballot in ballots:
        count += 1
        for option in set(ballot.ranks):
            totals[option] += ballot.weight
    return decide(totals, count)
