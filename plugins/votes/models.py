"""Polls, ballots and results as other plugins see them (ideas asks for polls through hooks)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import MessageRef, RoomRef

METHODS = ("single", "approval", "ranked", "score", "quadratic")
MAX_QUORUM = 1_000_000  # ballots; a larger quorum could never be met


@dataclass(frozen=True, slots=True)
class PollRequest:
    """What `open_poll` needs; `subject` (e.g. `idea:42`) comes back in `on_poll_closed`."""

    community: str
    room: RoomRef
    question: str
    options: tuple[str, ...]
    method: str = "single"
    duration_seconds: float | None = None  # None: the votes plugin's default_duration
    subject: str = ""
    creator_id: int | None = None
    anonymous: bool = False
    hidden: bool = False
    quorum: int = 0
    max_choices: int | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    """A stored poll; `number` is the #N members type, per community."""

    id: int
    community: str
    number: int
    question: str
    options: tuple[str, ...]
    method: str
    status: str  # open | closed | cancelled
    subject: str = ""
    creator_id: int | None = None
    closes_at: float | None = None
    anonymous: bool = False
    hidden: bool = False
    quorum: int = 0
    max_choices: int | None = None
    room: RoomRef | None = None
    message: MessageRef | None = None  # the live tally message, edited in place
    created_at: float = 0.0
    closed_at: float | None = None
    currency: str = ""  # quadratic only: "credits" (per-poll budget) or "tokens" (tips plugin)
    credits: int = 0  # quadratic only: the most one ballot may cost
    score_max: int = 0  # score only: the highest score (the lowest is 0)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class PollResult:
    """The outcome: per-option totals in option order, the winner's index, IRV rounds."""

    poll_id: int
    method: str
    ballots: int
    totals: tuple[float, ...]
    winner: int | None
    ranking: tuple[int, ...] = ()
    rounds: tuple[tuple[float, ...], ...] = ()
    quorum_met: bool = True
    tie: bool = False
    means: tuple[float, ...] = ()  # score: mean per option (an option left out counts as 0)
    eliminated: tuple[int, ...] = ()  # ranked: options in the order IRV eliminated them
    exhausted: tuple[float, ...] = ()  # ranked: per round, weight of ballots with no option left
    #: Ballots of members still present (what the quorum counts); None: every ballot (older results).
    present: int | None = None


@dataclass(frozen=True, slots=True)
class BallotCast:
    """A ballot was cast, replaced or withdrawn; `member_id` is None for secret ballots."""

    poll: Poll
    member_id: int | None
    withdrawn: bool = False
