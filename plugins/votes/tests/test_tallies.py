"""The five tallies: textbook examples and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.votes.tallies import Ballot, tally
from plugins.votes.tallies.irv import loser
from plugins.votes.tallies.quadratic import cost

MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)


def tennessee() -> list[Ballot]:
    """The classic capital-of-Tennessee example (percent of voters as weights)."""
    return [
        Ballot((MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE), weight=42),
        Ballot((NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS), weight=26),
        Ballot((CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS), weight=15),
        Ballot((KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS), weight=17),
    ]


def test_tennessee_instant_runoff_elects_knoxville() -> None:
    result = tally("ranked", 4, tennessee())
    assert result.rounds == ((42, 26, 15, 17), (42, 26, 0, 32), (42, 0, 0, 58))
    assert result.eliminated == (CHATTANOOGA, NASHVILLE)
    assert result.winner == KNOXVILLE and not result.tie
    assert result.ranking == (KNOXVILLE, MEMPHIS, NASHVILLE, CHATTANOOGA)


def test_tennessee_plurality_elects_memphis() -> None:
    result = tally("single", 4, [Ballot(b.ranks[:1], weight=b.weight) for b in tennessee()])
    assert result.totals == (42, 26, 15, 17) and result.winner == MEMPHIS


def test_irv_exhausted_ballots_leave_the_majority_base() -> None:
    ballots = [Ballot((0,)), Ballot((0,)), Ballot((1,)), Ballot((1,)), Ballot((2, 1))]
    result = tally("ranked", 3, ballots)
    assert result.rounds[0] == (2, 2, 1) and result.eliminated == (2,)
    assert result.rounds[1] == (2, 3, 0) and result.winner == 1


def test_irv_backwards_tie_break_and_last_listed_rule() -> None:
    # round 2 ties B and C at 2; in round 1 C had fewer, so C goes (not the last-listed rule)
    rounds = [(3.0, 2.0, 1.0), (3.0, 2.0, 2.0)]
    assert loser([1, 2], rounds) == 2
    rounds = [(3.0, 1.0, 2.0), (3.0, 2.0, 2.0)]
    assert loser([1, 2], rounds) == 1
    # tied in every round: the option listed last is eliminated
    assert loser([0, 1, 2], [(1.0, 1.0, 1.0)]) == 2


def test_irv_final_exact_tie_has_no_winner() -> None:
    result = tally("ranked", 2, [Ballot((0, 1)), Ballot((1, 0))])
    assert result.tie and result.winner is None


def test_irv_zero_vote_options_go_together() -> None:
    result = tally("ranked", 4, [Ballot((0,)), Ballot((1,)), Ballot((0,)), Ballot((1, 0))])
    assert result.eliminated[:2] == (2, 3)


def test_approval_example() -> None:
    ballots = [Ballot((0, 1)), Ballot((1,)), Ballot((1, 2)), Ballot((0, 2), weight=2)]
    result = tally("approval", 3, ballots)
    assert result.totals == (3, 3, 3) and result.tie and result.winner is None
    result = tally("approval", 3, [*ballots, Ballot((2,))])
    assert result.winner == 2 and result.ballots == 5


def test_score_total_and_mean() -> None:
    ballots = [Ballot(values=((0, 5), (1, 2))), Ballot(values=((0, 1), (1, 4))),
               Ballot(values=((1, 5),))]
    result = tally("score", 2, ballots)
    assert result.totals == (6, 11) and result.winner == 1
    assert result.means == (2.0, 11 / 3)


def test_quadratic_net_votes_and_cost() -> None:
    ballots = [Ballot(values=((0, 3), (1, -1))), Ballot(values=((1, 2),)),
               Ballot(values=((0, -1), (1, 1)))]
    result = tally("quadratic", 2, ballots)
    assert result.totals == (2, 2) and result.tie
    assert cost(((0, 3), (1, -1))) == 10


def test_no_ballots_no_winner_no_tie() -> None:
    for method in ("single", "approval", "ranked", "score", "quadratic"):
        result = tally(method, 3, [])
        assert result.winner is None and not result.tie and result.ballots == 0


# -- properties -----------------------------------------------------------------------------

N = 5
weights = st.integers(min_value=1, max_value=5)
ranked = st.lists(st.integers(0, N - 1), min_size=1, max_size=N, unique=True)
single_ballot = st.builds(lambda o, w: Ballot((o,), weight=w), st.integers(0, N - 1), weights)
approval_ballot = st.builds(lambda os, w: Ballot(tuple(sorted(os)), weight=w), ranked, weights)
ranked_ballot = st.builds(lambda os, w: Ballot(tuple(os), weight=w), ranked, weights)
score_ballot = st.builds(
    lambda vs, w: Ballot(values=tuple(sorted(vs.items())), weight=w),
    st.dictionaries(st.integers(0, N - 1), st.integers(0, 5), min_size=1), weights)
quadratic_ballot = st.builds(
    lambda vs, w: Ballot(values=tuple(sorted(vs.items())), weight=w),
    st.dictionaries(st.integers(0, N - 1), st.integers(-7, 7), min_size=1), weights)
BALLOTS = {"single": single_ballot, "approval": approval_ballot, "ranked": ranked_ballot,
           "score": score_ballot, "quadratic": quadratic_ballot}


def ballots_and_permutation(method: str) -> st.SearchStrategy[tuple[list[Ballot], list[Ballot]]]:
    return st.lists(BALLOTS[method], max_size=30).flatmap(
        lambda bs: st.tuples(st.just(bs), st.permutations(bs)))


@pytest.mark.parametrize("method", list(BALLOTS))
@settings(max_examples=150)
@given(data=st.data())
def test_the_tally_ignores_ballot_order(method: str, data: st.DataObject) -> None:
    original, shuffled = data.draw(ballots_and_permutation(method))
    assert tally(method, N, original) == tally(method, N, list(shuffled))


@given(st.lists(single_ballot, max_size=40))
def test_plurality_counts_sum_to_the_weight_cast(ballots: list[Ballot]) -> None:
    result = tally("single", N, ballots)
    assert sum(result.totals) == sum(b.weight for b in ballots)
    assert result.ballots == len(ballots)


@given(st.lists(approval_ballot, max_size=40))
def test_approval_counts_sum_to_the_approvals(ballots: list[Ballot]) -> None:
    result = tally("approval", N, ballots)
    assert sum(result.totals) == sum(b.weight * len(b.ranks) for b in ballots)
    assert all(t <= sum(b.weight for b in ballots) for t in result.totals)


@given(st.lists(ranked_ballot, max_size=40))
def test_irv_every_round_accounts_for_every_ballot(ballots: list[Ballot]) -> None:
    result = tally("ranked", N, ballots)
    cast = sum(b.weight for b in ballots)
    for counts, exhausted in zip(result.rounds, result.exhausted, strict=True):
        assert sum(counts) + exhausted == cast
    assert sorted(result.ranking) == list(range(N))
    if result.winner is not None:
        final = result.rounds[-1]
        assert final[result.winner] * 2 > sum(final)


@given(st.lists(score_ballot, max_size=40))
def test_score_totals_sum_the_scores(ballots: list[Ballot]) -> None:
    result = tally("score", N, ballots)
    assert sum(result.totals) == sum(b.weight * v for b in ballots for _o, v in b.values)
    weight = sum(b.weight for b in ballots)
    if weight:
        assert all(abs(m * weight - t) < 1e-9 for m, t in zip(result.means, result.totals,
                                                                strict=True))


@given(st.lists(quadratic_ballot, max_size=40))
def test_quadratic_totals_sum_the_votes(ballots: list[Ballot]) -> None:
    result = tally("quadratic", N, ballots)
    assert sum(result.totals) == sum(b.weight * v for b in ballots for _o, v in b.values)


@settings(max_examples=300)
@given(st.lists(ranked_ballot, min_size=1, max_size=40))
def test_irv_equals_plurality_when_one_option_has_a_majority(ballots: list[Ballot]) -> None:
    firsts = [Ballot(b.ranks[:1], weight=b.weight) for b in ballots]
    plural = tally("single", N, firsts)
    cast = sum(b.weight for b in ballots)
    leader = plural.ranking[0]
    if plural.totals[leader] * 2 > cast:
        result = tally("ranked", N, ballots)
        assert result.winner == plural.winner == leader
        assert len(result.rounds) == 1


@given(st.sampled_from(list(BALLOTS)).flatmap(
    lambda m: st.tuples(st.just(m), st.lists(BALLOTS[m], max_size=15))))
def test_a_weight_of_k_counts_like_k_ballots(case: tuple[str, list[Ballot]]) -> None:
    method, ballots = case
    heavy = tally(method, N, ballots)
    copies = [Ballot(b.ranks, b.values, 1) for b in ballots for _ in range(b.weight)]
    light = tally(method, N, copies)
    assert heavy.totals == light.totals and heavy.winner == light.winner
    assert heavy.rounds == light.rounds
