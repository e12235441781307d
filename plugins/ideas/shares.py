"""How an idea's reward is shared by contribution: pure arithmetic, no database.

The reward is split among groups — authors and co-authors, credited contributors, the first
supporters — by the configured group shares, and inside a group by each member's weight (1 for
authors and supporters, the `[share]` given to `!idea credit` for contributors). A group with
nobody in it gives its share to the others, so an idea nobody was credited on pays its authors
as before. Integer amounts come from the **largest remainder** method: every recipient first gets
the whole part of their exact (rational) quota, then the units left over go one each to the
largest fractional parts; equal fractions go to whoever comes first — authors before credited
contributors before supporters, and inside a group the author, then co-authors, credits and
supports in the order they were made. A member in two groups (a credited contributor who is
also a first supporter) has one quota, the sum of both, and is paid once. Nothing is lost or
created: the amounts always add up to the reward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Group:
    """One kind of contribution: its share of the reward and its members, in tie order."""

    share: int
    members: tuple[tuple[int, int], ...]  # (member id, weight ≥ 0), earliest first

    @property
    def weight(self) -> int:
        return sum(w for _m, w in self.members if w > 0)


def largest_remainder(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """`total` in integer parts proportional to `weights`; ties go to the earlier weight."""
    whole = sum((Fraction(w) for w in weights if w > 0), Fraction(0))
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [Fraction(total) * Fraction(w) / whole if w > 0 else Fraction(0) for w in weights]
    parts = [q.numerator // q.denominator for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def split_reward(total: int, groups: Sequence[Group]) -> list[tuple[int, int]]:
    """(member id, amount > 0) in tie order, one per member; the amounts add up to `total`.

    Groups without a positive share or without members are left out and their share goes to the
    others in proportion; when no group is left, the first group with members gets everything.
    """
    live = [g for g in groups if g.share > 0 and g.weight > 0]
    if not live:
        live = [Group(1, g.members) for g in groups if g.weight > 0][:1]
    if total <= 0 or not live:
        return []
    shares = sum(g.share for g in live)
    quotas: dict[int, Fraction] = {}  # one quota per member, in order of first appearance
    for g in live:
        for member_id, w in g.members:
            if w > 0:
                quotas[member_id] = (quotas.get(member_id, Fraction(0))
                                     + Fraction(g.share, shares) * Fraction(w, g.weight))
    amounts = largest_remainder(total, list(quotas.values()))
    return [(m, a) for m, a in zip(quotas, amounts, strict=True) if a > 0]
