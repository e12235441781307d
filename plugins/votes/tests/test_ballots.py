"""Parsing `!vote` words in the four syntaxes, and every refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import UserError
from plugins.votes.ballots import option_index, parse
from plugins.votes.tallies import Ballot


@pytest.mark.parametrize(("method", "words", "expected"), [
    ("single", ["B"], Ballot((1,))),
    ("single", ["b"], Ballot((1,))),
    ("single", ["2"], Ballot((1,))),
    ("approval", ["A", "C"], Ballot((0, 2))),
    ("approval", ["C,A"], Ballot((0, 2))),
    ("approval", ["3", "a"], Ballot((0, 2))),
    ("ranked", ["C>A>B"], Ballot((2, 0, 1))),
    ("ranked", ["C", ">", "A"], Ballot((2, 0))),
    ("ranked", ["c", "1", "2"], Ballot((2, 0, 1))),
    ("score", ["A=5", "B=2"], Ballot(values=((0, 5), (1, 2)))),
    ("score", ["b", "=", "0"], Ballot(values=((1, 0),))),
    ("quadratic", ["A=3", "C=-2"], Ballot(values=((0, 3), (2, -2)))),
    ("quadratic", ["A=3", "B=0"], Ballot(values=((0, 3),))),
])
def test_the_four_syntaxes(method: str, words: list[str], expected: Ballot) -> None:
    assert parse(method, words, 3) == expected


@pytest.mark.parametrize(("method", "words", "message"), [
    ("single", ["D"], "no option “D”"),
    ("single", ["0"], "no option “0”"),
    ("single", ["A", "B"], "exactly one choice"),
    ("single", [], "at least one option"),
    ("single", ["A=1"], "Write this ballot like: B"),
    ("approval", ["A", "A"], "Option A appears twice"),
    ("approval", ["A>B"], "Write this ballot like"),
    ("ranked", ["A>B>A"], "Option A appears twice"),
    ("ranked", ["A>B>D"], "no option “D”"),
    ("score", ["A=6"], "Scores go from 0 to 5, not 6"),
    ("score", ["A=-1"], "Scores go from 0 to 5, not -1"),
    ("score", ["A=1.5"], "“1.5” is not a whole number"),
    ("score", ["A=NaN"], "not a whole number"),
    ("score", ["A=٣"], "not a whole number"),
    ("score", ["A=1", "a=2"], "Option A appears twice"),
    ("score", ["A"], "Write this ballot like: A=5 B=2"),
    ("quadratic", ["A=8", "B=7"], "costs 113 (votes²), more than the budget of 100"),
    ("quadratic", ["A=0"], "non-zero"),
])
def test_refusals_are_clear(method: str, words: list[str], message: str) -> None:
    with pytest.raises(UserError) as info:
        parse(method, words, 3)
    assert message in str(info.value)


def test_max_choices_limits_approval_and_ranked() -> None:
    assert parse("approval", ["A", "B"], 4, max_choices=2) == Ballot((0, 1))
    for method, words in (("approval", ["A", "B", "C"]), ("ranked", ["A>B>C"])):
        with pytest.raises(UserError, match="at most 2 choices"):
            parse(method, words, 4, max_choices=2)


def test_score_max_and_budget_come_from_the_poll() -> None:
    assert parse("score", ["A=10"], 2, score_max=10) == Ballot(values=((0, 10),))
    assert parse("quadratic", ["A=2", "B=-2", "C=1"], 3, credits=9).values == (
        (0, 2), (1, -2), (2, 1))
    with pytest.raises(UserError, match=r"costs 9 \(votes²\), more than the budget of 8"):
        parse("quadratic", ["A=2", "B=-2", "C=1"], 3, credits=8)


def test_option_numbers_and_letters_beyond_nine() -> None:
    assert option_index("12", 12) == 11 and option_index("l", 12) == 11
    with pytest.raises(UserError):
        option_index("13", 12)


@given(st.lists(st.text(max_size=12), max_size=8), st.sampled_from(
    ["single", "approval", "ranked", "score", "quadratic"]))
def test_any_input_parses_or_is_refused_cleanly(words: list[str], method: str) -> None:
    try:
        ballot = parse(method, words, 4, max_choices=None)
    except UserError:
        return
    for option in ballot.ranks:
        assert 0 <= option < 4
    for option, value in ballot.values:
        assert 0 <= option < 4 and isinstance(value, int)


def test_options_by_their_text() -> None:
    options = ("Yes", "No", "Sushi bar")
    assert parse("single", ["yes"], options) == Ballot((0,))
    assert parse("single", ["sushi", "bar"], options) == Ballot((2,))
    assert parse("ranked", ["No>yes"], options) == Ballot((1, 0))
    assert parse("score", ["no=3"], options) == Ballot(values=((1, 3),))
    # a letter always means its position, even when an option is called "B"
    assert parse("single", ["B"], ("B", "A")) == Ballot((1,))
    with pytest.raises(UserError, match="no option “maybe”"):
        parse("single", ["maybe"], options)
