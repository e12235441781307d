"""Payloads of the ideas plugin's events: frozen, so handlers cannot change what happened."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import RoomRef, Text, translatable

_ = translatable("ideas")

STATUSES = ("pending", "open", "review", "voting", "accepted", "rejected", "implemented",
            "withdrawn", "merged")

#: The one name of each status, translated in the ideas catalog. Other plugins showing an
#: idea's status (the pulse dashboard, digests) use these instead of keeping their own copy.
STATUS_LABELS: dict[str, Text] = {
    "pending": _("pending"),
    "open": _("open"),
    "review": _("in review"),
    "voting": _("being voted on"),
    "accepted": _("accepted"),
    "rejected": _("rejected"),
    "implemented": _("implemented"),
    "withdrawn": _("withdrawn"),
    "merged": _("merged"),
}


def status_label(status: str) -> Text | str:
    """The translatable name of a status (an unknown status is shown as stored)."""
    return STATUS_LABELS.get(status, status)


@dataclass(frozen=True, slots=True)
class Idea:
    """An idea as other plugins see it; `author_id` is a member id even when anonymous."""

    id: int
    community: str
    number: int  # the #N members see, per community
    title: str
    description: str
    status: str
    author_id: int
    coauthor_ids: tuple[int, ...] = ()
    anonymous: bool = False
    campaign: str | None = None
    supporters: int = 0
    created_at: float = 0.0
    room: RoomRef | None = None

    @property
    def subject(self) -> str:
        """The key other plugins use to refer to this idea (`idea:<id>`), e.g. as a ledger ref."""
        return f"idea:{self.id}"


@dataclass(frozen=True, slots=True)
class MemberIdea:
    """One of a member's ideas (`member_ideas`) and how many supports it lacks for review."""

    idea: Idea
    supports_needed: int = 0  # open ideas only: supports missing to `support_threshold`
    threshold: int = 0  # the community's `support_threshold`


@dataclass(frozen=True, slots=True)
class IdeaFeedback:
    """An implemented idea and what its users said (`idea_ratings`): ratings and average."""

    idea: Idea
    ratings: int
    average: float  # 1…5


@dataclass(frozen=True, slots=True)
class IdeaStatusChange:
    """An idea moved from `old` to `new` status (committed)."""

    idea: Idea
    old: str
    new: str
    by_member_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IdeaMerged:
    """`source` was merged into `target`; supports, comments and co-authors moved."""

    source: Idea
    target: Idea
    by_member_id: int | None = None


@dataclass(frozen=True, slots=True)
class CampaignClosed:
    """A campaign (open call) closed; its bounty goes to its accepted ideas."""

    community: str
    name: str
    bounty: int
    accepted_ideas: tuple[Idea, ...] = ()
