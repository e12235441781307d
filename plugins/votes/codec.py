"""How ballots and results are stored: compact JSON, decoded back into tallies' types."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable
from typing import Any

from bot.api import Row
from plugins.votes.models import Poll, PollResult
from plugins.votes.tallies import Ballot, tally

VALUE_METHODS = ("score", "quadratic")


def encode_ballot(method: str, ballot: Ballot) -> str:
    """`[2,0,1]` for indices, `[[0,5],[1,2]]` for (option, value) pairs."""
    data: Any = [list(p) for p in ballot.values] if method in VALUE_METHODS \
        else list(ballot.ranks)
    return json.dumps(data, separators=(",", ":"))


def decode_ballot(method: str, choice: str, weight: int = 1) -> Ballot:
    data = json.loads(choice)
    if method in VALUE_METHODS:
        return Ballot(values=tuple((int(o), int(v)) for o, v in data), weight=weight)
    return Ballot(ranks=tuple(int(o) for o in data), weight=weight)


def compute_result(poll: Poll, rows: Iterable[Row],
                   departed: Collection[int] = frozenset()) -> PollResult:
    """Tally stored ballots (choice, weight) for `poll`, applying its quorum.

    Every ballot counts in the totals (a member who left keeps their ballot); the quorum
    counts the ballots of present members only (secret ballots carry no member: present)."""
    rows = list(rows)
    counted = tally(poll.method, len(poll.options),
                    [decode_ballot(poll.method, r["choice"], int(r["weight"])) for r in rows])
    present = sum(1 for r in rows if r["member_id"] is None
                  or int(r["member_id"]) not in departed)
    quorum_met = present >= poll.quorum
    return PollResult(
        poll_id=poll.id, method=poll.method, ballots=counted.ballots, totals=counted.totals,
        winner=counted.winner if quorum_met else None, ranking=counted.ranking,
        rounds=counted.rounds, quorum_met=quorum_met, tie=counted.tie, means=counted.means,
        eliminated=counted.eliminated, exhausted=counted.exhausted, present=present,
    )


def encode_result(result: PollResult) -> str:
    return json.dumps(dataclasses.asdict(result), separators=(",", ":"))


def decode_result(text: str) -> PollResult:
    known = {f.name for f in dataclasses.fields(PollResult)}
    data = {k: v for k, v in json.loads(text).items() if k in known}
    tuples = {"totals", "ranking", "means", "eliminated", "exhausted"}
    for key in tuples:
        data[key] = tuple(data.get(key, ()))
    data["rounds"] = tuple(tuple(r) for r in data.get("rounds", ()))
    return PollResult(**data)
