"""The largest remainder split: nothing lost or created, never negative, always the same."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from plugins.ideas.shares import Group, largest_remainder, split_reward

members = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 5)), max_size=6)
groups = st.lists(st.builds(lambda share, people: Group(share, tuple(people)),
                            st.integers(0, 100), members), min_size=1, max_size=3)


@given(st.integers(0, 10**9), groups)
def test_shares_add_up_to_the_reward(total: int, parts: list[Group]) -> None:
    paid = split_reward(total, parts)
    assert all(amount > 0 for _m, amount in paid)
    assert len({m for m, _a in paid}) == len(paid)  # one movement per recipient
    anyone = any(w > 0 for g in parts for _m, w in g.members)
    assert sum(a for _m, a in paid) == (total if anyone else 0)
    assert split_reward(total, parts) == paid  # deterministic


@given(st.integers(0, 10**6), st.lists(st.integers(0, 50), min_size=1, max_size=12))
def test_each_part_is_its_quota_rounded_down_or_up(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts) == (total if sum(weights) else 0)
    for part, weight in zip(parts, weights, strict=True):
        assert part >= 0
        if sum(weights):
            quota = Fraction(total * weight, sum(weights))
            assert quota - 1 < part < quota + 1


def test_the_issue_example() -> None:
    rule = (Group(60, ((1, 1), (2, 1))), Group(25, ((3, 1),)),
            Group(15, ((4, 1), (5, 1), (6, 1))))
    assert split_reward(100, rule) == [(1, 30), (2, 30), (3, 25), (4, 5), (5, 5), (6, 5)]


def test_empty_groups_give_their_share_to_the_others() -> None:
    assert split_reward(10, (Group(75, ((1, 1), (2, 1))), Group(25, ()))) == [(1, 5), (2, 5)]
    assert split_reward(3, (Group(0, ((1, 1),)), Group(25, ()))) == [(1, 3)]


def test_a_member_in_two_groups_gets_one_amount() -> None:
    assert split_reward(10, (Group(50, ((1, 1),)), Group(50, ((2, 1), (1, 1))))) == [
        (1, 8), (2, 2)]  # quotas 7.5 and 2.5: the unit left over goes to the earliest
