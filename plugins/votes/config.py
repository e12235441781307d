"""[plugins.votes]: defaults live here; operators override them in TOML or per community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.api import Role, operator_only

#: Reaction ballots use keycap emoji, and there are ten of them.
REACTION_LIMIT = 10
ROLES = {"member": Role.MEMBER, "moderator": Role.MODERATOR, "admin": Role.ADMIN}


@dataclass(frozen=True)
class VotesConfig:
    """Every key of [plugins.votes], with its default (see example.toml)."""

    #: How long a poll stays open when `--duration` is not given.
    default_duration: timedelta = timedelta(days=3)
    #: Shortest and longest `--duration` accepted.
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=90)
    #: Method used when `--method` is not given.
    default_method: Literal["single", "approval", "ranked", "score", "quadratic"] = "single"
    #: Most options a poll may have (2..26: options are lettered A..Z; reactions up to 10).
    max_options: int = 10
    #: Longest question and option texts, in characters.
    max_question_length: int = 300
    max_option_length: int = 200
    #: Least role allowed to run `!poll new` (the `votes.create` permission's default).
    create_role: Literal["member", "moderator", "admin"] = "member"
    #: Add 1️⃣…🔟 to single/approval poll messages so a reaction casts a ballot.
    reactions: bool = True
    #: What quadratic votes cost: per-poll voice credits, or community tokens (tips plugin).
    quadratic_currency: Literal["credits", "tokens"] = "credits"
    #: Quadratic budget: credits per member per poll, and the most one ballot may cost in tokens.
    voice_credits: int = 100
    #: Highest score of a score poll (scores go from 0 to score_max).
    score_max: int = 5
    #: Seconds between two edits of a poll's live tally message (ballots in between coalesce).
    tally_edit_interval: float = operator_only(2.0)
    #: How often the deadline sweep runs (it also runs at startup).
    sweep_interval: timedelta = operator_only(timedelta(seconds=30))
    #: Polls per page of `!poll list`.
    list_page_size: int = 10
    #: Post the result in the poll's room when a poll closes (the tally message is edited anyway).
    announce_results: bool = True

    def validate(self) -> list[str]:
        """Range checks that would otherwise fail at the first poll."""
        problems: list[str] = []
        if not 2 <= self.max_options <= 26:
            problems.append("max_options: must be between 2 and 26")
        if self.min_duration > self.max_duration:
            problems.append("min_duration: must not be longer than max_duration")
        if not self.min_duration <= self.default_duration <= self.max_duration:
            problems.append("default_duration: must lie between min_duration and max_duration")
        if not 1 <= self.max_question_length <= 2000:
            problems.append("max_question_length: must be between 1 and 2000")
        if not 1 <= self.max_option_length <= 500:
            problems.append("max_option_length: must be between 1 and 500")
        if not 1 <= self.voice_credits <= 1_000_000:
            problems.append("voice_credits: must be between 1 and 1000000")
        if not 1 <= self.score_max <= 100:
            problems.append("score_max: must be between 1 and 100")
        if not 0 <= self.tally_edit_interval <= 3600:
            problems.append("tally_edit_interval: must be between 0 and 3600 seconds")
        if self.sweep_interval.total_seconds() < 1:
            problems.append("sweep_interval: must be at least 1s")
        if not 1 <= self.list_page_size <= 50:
            problems.append("list_page_size: must be between 1 and 50")
        return problems

    @property
    def create_min_role(self) -> Role:
        """The role `create_role` names."""
        return ROLES[self.create_role]
