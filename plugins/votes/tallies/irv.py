"""Instant-runoff (ranked) voting, with every round kept for the round-by-round table.

Each round counts every ballot for its highest-ranked option still in the race; ballots with
no such option are *exhausted*. An option with more than half of the non-exhausted weight
wins. Otherwise options with no votes at all are eliminated together, or else the one with
the fewest votes. Tie-break for that elimination, documented because it can decide a poll:
among the options tied for fewest votes, eliminate the one that had fewer votes in the
previous round, then the round before, back to the first (the "backwards" rule used in
Australian and Scottish counts); if they are tied in every round, eliminate the one listed
last in the poll. When the last two options are exactly tied the poll is a tie (no winner).
The result depends only on the multiset of ballots, never on their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from plugins.votes.tallies.base import Ballot, Tally


def _count(ballots: Sequence[Ballot], n_options: int,
           continuing: set[int]) -> tuple[list[float], float]:
    counts = [0.0] * n_options
    exhausted = 0.0
    for ballot in ballots:
        top = next((o for o in ballot.ranks if o in continuing), None)
        if top is None:
            exhausted += ballot.weight
        else:
            counts[top] += ballot.weight
    return counts, exhausted


def loser(tied: Iterable[int], rounds: Sequence[Sequence[float]]) -> int:
    """The option to eliminate among those tied for fewest votes (the backwards rule)."""
    candidates = sorted(tied)
    for past in reversed(rounds[:-1]):
        fewest = min(past[o] for o in candidates)
        candidates = [o for o in candidates if past[o] == fewest]
        if len(candidates) == 1:
            return candidates[0]
    return candidates[-1]


def tally(n_options: int, ballots: Iterable[Ballot]) -> Tally:
    """Run the rounds until an option has a majority of the ballots still counting."""
    ballots = [b for b in ballots]
    continuing = set(range(n_options))
    rounds: list[tuple[float, ...]] = []
    exhausted: list[float] = []
    eliminated: list[int] = []
    winner: int | None = None
    tie = False
    while continuing:
        counts, spent = _count(ballots, n_options, continuing)
        rounds.append(tuple(counts))
        exhausted.append(spent)
        active = sum(counts)
        if active == 0:
            break
        leader = min(continuing, key=lambda o: (-counts[o], o))
        if counts[leader] * 2 > active:
            winner = leader
            break
        if len(continuing) == 2:
            tie = True  # two options left, neither has a majority: exactly tied
            break
        zero = sorted(o for o in continuing if counts[o] == 0)
        out = zero if zero else [loser((o for o in continuing
                                        if counts[o] == min(counts[c] for c in continuing)),
                                       rounds)]
        for option in out:
            continuing.discard(option)
            eliminated.append(option)
    final = rounds[-1] if rounds else tuple(0.0 for _ in range(n_options))
    still = sorted(continuing, key=lambda o: (-final[o], o))
    if winner is not None:
        still.remove(winner)
        still.insert(0, winner)
    ranking = tuple(still) + tuple(reversed(eliminated))
    return Tally(len(ballots), tuple(final), winner, ranking, tie, rounds=tuple(rounds),
                 eliminated=tuple(eliminated), exhausted=tuple(exhausted))
