"""Payloads of the funding plugin's events and read hook: frozen, so handlers cannot change them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import RoomRef

#: Round states: `open` takes pledges; `settling` is decided or being decided (money moving);
#: the rest are final. `cancelled`: refunded because the idea was merged into one without an
#: open round (or rejected/withdrawn); `merged`: the pledges moved to the target idea's round.
ROUND_STATES = ("open", "settling", "succeeded", "failed", "cancelled", "merged")


@dataclass(frozen=True, slots=True)
class Tier:
    """A reward tier (by a backer's total) or a stretch goal (by the round's total)."""

    amount: int
    title: str


@dataclass(frozen=True, slots=True)
class FundingRound:
    """An all-or-nothing funding round of one idea, as other plugins see it."""

    id: int
    community: str
    idea_id: int
    idea_number: int  # the #N members type, for display only
    title: str
    goal: int
    raised: int  # confirmed pledges (frozen when the round was decided)
    backers: int  # members with a confirmed pledge (or recorded backers once funded)
    state: str  # one of ROUND_STATES
    deadline: float
    wallet: str  # ledger account the funds go to: `member:<id>` or `project:<name>`
    cap: int = 0  # most one member may pledge in total (0: no cap)
    tiers: tuple[Tier, ...] = ()
    stretch_goals: tuple[Tier, ...] = ()
    opened_by: int | None = None
    opened_at: float = 0.0
    settled_at: float | None = None
    anonymous: bool = False  # the wallet is an anonymous idea's author: never show its name
    room: RoomRef | None = None

    @property
    def subject(self) -> str:
        """The idea this round funds, as other plugins key it (`idea:<id>`)."""
        return f"idea:{self.idea_id}"

    @property
    def escrow(self) -> str:
        """The ledger account holding the round's pledges until it settles."""
        return f"escrow:fund:{self.id}"


@dataclass(frozen=True, slots=True)
class PledgeChange:
    """A member pledged (or withdrew their pledge, `withdrawn`) on a round (committed)."""

    round: FundingRound
    member_id: int
    amount: int  # what this change moved, always positive
    total: int  # the member's pledge on this round afterwards (0 after a withdrawal)
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class Backer:
    """A member who funded a successful round, with the highest tier their total reached."""

    member_id: int
    amount: int
    tier: str = ""  # "" when below every tier
