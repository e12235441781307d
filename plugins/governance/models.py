"""A proposal as other plugins see it (`on_proposal_*`, `validate_proposal`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import RoomRef

#: open → one of the final statuses; `paying` while a passed spend's payment is in flight.
FINAL = ("applied", "rejected", "no_quorum", "superseded", "refused", "cancelled")
KINDS = ("config", "spend")


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposal; `target` is a setting key (`config`), or `member:ID` or `idea:ID` (`spend`:
    to a member, or into the idea's open funding round)."""

    id: int
    community: str
    number: int
    kind: str
    target: str
    value: str  # the value as typed (`config`), or the amount in the smallest unit (`spend`)
    reason: str
    proposer_id: int | None
    status: str  # opening | open | paying | applied | rejected | no_quorum | superseded | refused
    quorum: int = 0  # ballots needed, fixed when the proposal opened
    majority: str = "simple"  # the constitution's rule when it opened
    room: RoomRef | None = None  # where it was proposed: outcomes are announced there
    poll_id: int | None = None
    poll_number: int | None = None
    prior: str = ""  # `config`: the setting as shown when it opened; `spend` to an idea: `#N`
    outcome: str = ""  # why it ended so (refusals, tallies), in English for the record
    created_at: float = 0.0
    closes_at: float | None = None  # the poll's deadline
    closed_at: float | None = None

    @property
    def amount(self) -> int:
        """A spend's amount (0 for other kinds)."""
        return int(self.value) if self.kind == "spend" else 0

    @property
    def member_id(self) -> int | None:
        """A spend's beneficiary."""
        if self.kind != "spend" or not self.target.startswith("member:"):
            return None
        return int(self.target.removeprefix("member:"))
