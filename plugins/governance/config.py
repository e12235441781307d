"""`[plugins.governance]`: the constitution, set by the operator only (chat cannot change it).

Every key is `operator_only`: the rules by which a community changes its settings by vote are
the operator's, not something a vote or a moderator's `!config` could rewrite. A community gets
its own constitution with `[plugins.governance.communities.ID]`: the keys it names replace the
section's, the others are inherited.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.api import Role, operator_only

ROLES = {"member": Role.MEMBER, "moderator": Role.MODERATOR, "admin": Role.ADMIN}
Majority = Literal["simple", "two-thirds", "consensus"]
Method = Literal["single", "approval"]


def _problems(c: GovernanceConfig | Amendment) -> list[str]:
    """Range checks shared by the section and each community's amendment."""
    problems: list[str] = []
    for key in c.allowed or ():
        parts = key.split(".")
        if not (key in ("bot.locale", "bot.command_prefix")
                or (len(parts) == 3 and parts[0] == "plugins" and all(parts))):
            problems.append(f"allowed: {key!r} is not a setting (plugins.NAME.KEY or bot.locale)")
        elif parts[:2] == ["plugins", "governance"]:
            problems.append("allowed: the constitution cannot be changed by vote")
    if c.quorum is not None and not 0 <= c.quorum <= 1_000_000:
        problems.append("quorum: must be between 0 and 1000000 ballots")
    if c.quorum_share is not None and not 0 <= c.quorum_share <= 1:
        problems.append("quorum_share: must be between 0 and 1")
    if c.duration is not None and c.duration < timedelta(minutes=1):
        problems.append("duration: must be at least 1m")
    if c.cooldown is not None and c.cooldown < timedelta(0):
        problems.append("cooldown: must not be negative")
    if c.active_window is not None and c.active_window < timedelta(days=1):
        problems.append("active_window: must be at least 1d")
    for name in ("spend_max", "spend_period_max"):
        value = getattr(c, name)
        if value is not None and value < 0:
            problems.append(f"{name}: must not be negative")
    if c.spend_period is not None and c.spend_period < timedelta(days=1):
        problems.append("spend_period: must be at least 1d")
    return problems


@dataclass(frozen=True)
class Amendment:
    """`[plugins.governance.communities.ID]`: the keys one community's constitution changes."""

    allowed: list[str] | None = None
    proposer_role: Literal["member", "moderator", "admin"] | None = None
    method: Method | None = None
    secret: bool | None = None
    quorum: int | None = None
    quorum_share: float | None = None
    active_window: timedelta | None = None
    majority: Majority | None = None
    duration: timedelta | None = None
    cooldown: timedelta | None = None
    spend_max: int | None = None
    spend_period_max: int | None = None
    spend_period: timedelta | None = None

    def validate(self) -> list[str]:
        return _problems(self)


@dataclass(frozen=True)
class Constitution:
    """The rules of one community's votes on its own settings and treasury (see GovernanceConfig)."""

    allowed: list[str]
    proposer_role: Literal["member", "moderator", "admin"]
    method: Method
    secret: bool
    quorum: int
    quorum_share: float
    active_window: timedelta
    majority: Majority
    duration: timedelta
    cooldown: timedelta
    spend_max: int
    spend_period_max: int
    spend_period: timedelta

    @property
    def proposer_min_role(self) -> Role:
        """The role `proposer_role` names."""
        return ROLES[self.proposer_role]


@dataclass(frozen=True)
class GovernanceConfig:
    """Every key of [plugins.governance], with its default; all operator-only (module doc)."""

    #: Settings the community may change by vote (`!config` keys); each stays within `[limits]`.
    allowed: list[str] = operator_only(factory=list)
    #: Least role allowed to `!propose` (the `governance.propose` permission's default).
    proposer_role: Literal["member", "moderator", "admin"] = operator_only("member")
    #: The votes plugin's method for the Yes / No (/ Block) poll.
    method: Method = operator_only("single")
    #: Secret ballots: the votes plugin keeps no link between a member and their choice.
    secret: bool = operator_only(False)
    #: Least ballots for a result to count, and least share of active members (the larger wins).
    quorum: int = operator_only(3)
    quorum_share: float = operator_only(0.0)
    #: A member is active when they spoke or ran a command within this window.
    active_window: timedelta = operator_only(timedelta(days=30))
    #: simple: more Yes than No; two-thirds: Yes at least 2/3 of Yes + No; consensus: not a
    #: single Block ballot, and more Yes than No.
    majority: Majority = operator_only("simple")
    #: How long a proposal's poll runs (within the votes plugin's min and max duration).
    duration: timedelta = operator_only(timedelta(days=3))
    #: After a proposal on a setting (or a spend to a member) closes, how long until the next.
    cooldown: timedelta = operator_only(timedelta(days=1))
    #: Treasury spending by vote: most per proposal (0: none), and most per period.
    spend_max: int = operator_only(0)
    spend_period_max: int = operator_only(0)
    spend_period: timedelta = operator_only(timedelta(days=30))
    #: A community's own constitution: `[plugins.governance.communities.ID]`, any keys above.
    communities: dict[str, Amendment] = operator_only(factory=dict)

    def validate(self) -> list[str]:
        """Range checks, the communities' amendments included, reported with their key."""
        problems = _problems(self)
        for name, amendment in self.communities.items():
            problems += [f"communities.{name}.{p}" for p in amendment.validate()]
        return problems

    def constitution(self, community: str) -> Constitution:
        """This community's constitution: the section, with its amendment's keys replaced."""
        base = Constitution(**{f.name: getattr(self, f.name)
                               for f in dataclasses.fields(Constitution)})
        amendment = self.communities.get(community)
        if amendment is None:
            return base
        changes = {f.name: getattr(amendment, f.name) for f in dataclasses.fields(Amendment)
                   if getattr(amendment, f.name) is not None}
        return dataclasses.replace(base, **changes)
