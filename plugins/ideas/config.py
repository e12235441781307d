"""`[plugins.ideas]`: every key with its default; moderators may override them per community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

PollMethod = Literal["single", "approval", "ranked", "score", "quadratic"]


@dataclass(frozen=True)
class IdeasConfig:
    """Defaults live here so a bot without any `[plugins.ideas]` section behaves sensibly."""

    support_threshold: int = 10  # supports that move an open idea to review
    auto_poll: bool = True  # open a poll (votes plugin) when the threshold is reached
    premoderation: bool = False  # new ideas wait as `pending` until a moderator approves them
    quorum: int = 3  # least ballots a poll needs to decide an idea
    majority: float = 0.5  # share of Yes among Yes+No that must be exceeded to accept
    no_quorum: Literal["review", "rejected"] = "review"  # fate of an idea whose poll missed quorum
    poll_duration: timedelta = timedelta(days=3)  # default for `!idea poll` and automatic polls
    poll_method: PollMethod = "single"  # default voting method for idea polls
    submissions_per_day: int = 5  # ideas one member may submit per rolling 24 h (0: no limit)
    max_title_length: int = 120  # characters
    max_description_length: int = 2000  # characters
    max_comment_length: int = 1000  # characters
    page_size: int = 10  # ideas per page in list and search
    # How an idea's accepted / implemented reward is shared (paid by the tips plugin): relative
    # shares of the authors and co-authors, the credited contributors (`!idea credit`) and the
    # first `reward_first_supporters` supporters. A group with nobody in it gives its share to
    # the others, so with nobody credited and no supporter share the authors get everything.
    reward_share_authors: int = 75
    reward_share_credited: int = 25
    reward_share_supporters: int = 0
    reward_first_supporters: int = 3

    def validate(self) -> list[str]:
        """Ranges a type cannot express, reported with their key."""
        problems: list[str] = []
        if self.support_threshold < 1:
            problems.append("support_threshold: must be at least 1")
        if self.quorum < 0:
            problems.append("quorum: must be 0 or more")
        if not 0.0 <= self.majority < 1.0:
            problems.append("majority: must be a fraction from 0 (inclusive) to 1 (exclusive)")
        if self.submissions_per_day < 0:
            problems.append("submissions_per_day: must be 0 (no limit) or more")
        if not 10 <= self.max_title_length <= 500:
            problems.append("max_title_length: must be between 10 and 500")
        if not 0 <= self.max_description_length <= 10_000:
            problems.append("max_description_length: must be between 0 and 10000")
        if not 10 <= self.max_comment_length <= 4000:
            problems.append("max_comment_length: must be between 10 and 4000")
        if not 1 <= self.page_size <= 50:
            problems.append("page_size: must be between 1 and 50")
        for key in ("reward_share_authors", "reward_share_credited", "reward_share_supporters"):
            if not 0 <= getattr(self, key) <= 1000:
                problems.append(f"{key}: must be between 0 and 1000")
        if not 0 <= self.reward_first_supporters <= 100:
            problems.append("reward_first_supporters: must be between 0 and 100")
        if self.poll_duration < timedelta(minutes=1):
            problems.append("poll_duration: must be at least 1m")
        return problems
