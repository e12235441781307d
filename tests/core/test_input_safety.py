"""What members type is stored and echoed without hidden characters; bad quoting is an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.errors import BadArgument
from bot.commands.parser import tokenize
from bot.testing import Chat, TestBot
from bot.text import clean_text, one_line, visible
from tests.core import sample_commands


@pytest.fixture
async def tb(make_bot) -> TestBot:  # type: ignore[no-untyped-def]
    return await make_bot(plugins={"sample": sample_commands.plugin})


@pytest.fixture
def chat(tb: TestBot) -> Chat:
    return tb.chat


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("abc\u202edcba\u202c", "abcdcba"),  # right-to-left override and its pop
    ("a\u2066b\u2069c\u200ed\u200ff\u061cg", "abcdfg"),  # isolates and marks
    ("zero\u200bwidth\u2060join\ufeff", "zerowidthjoin"),
    ("soft\u00adhyphen", "softhyphen"),
    ("tag\U000e0041\U000e007f", "tag"),
    ("nul\x00bell\x07esc\x1b[0m", "nulbellesc[0m"),
    ("tab\there", "tab here"),
    ("line\nbreak\r\nand\u2028more", "line break and more"),
    ("lone \ud800surrogate", "lone surrogate"),
    ("\u200dedge\u200d", "edge"),  # a joiner next to nothing visible is dropped
    ("\U0001F468\u200d\U0001F469", "\U0001F468\u200d\U0001F469"),  # emoji sequence kept
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ("café ñ 東京 🙂", "café ñ 東京 🙂"),
])
def test_clean_text_single_line(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


def test_clean_text_keeps_lines_when_asked() -> None:
    assert clean_text("one\r\ntwo\u2029three\tfour\x00", multiline=True) == (
        "one\ntwo\nthree\tfour")
    assert one_line("  a \n\t b\u202e  ") == "a b"
    assert visible("\x00" + "x" * 80, 10) == "x" * 9 + "…"


async def test_rest_and_word_arguments_are_cleaned(chat: Chat) -> None:
    assert await chat.say("alice", "!echo pay\u202e01$\u202c now\u200b") == "pay01$ now"
    out = await chat.say("alice", '!thing make "na\u2066me" it\u200bem')
    assert out.startswith("name items=['item']")


async def test_unknown_command_never_echoes_control_characters(chat: Chat) -> None:
    out = await chat.say("alice", "!pi\x00ng\x1b[2J\u202e")
    assert out.startswith("Unknown command: ping[2J")
    assert not any(c in out for c in "\x00\x1b\u202e")
    out = await chat.say("alice", "!thing m\x00ke")
    assert "\x00" not in out and "Unknown command: thing mke" in out


async def test_unbalanced_quotes_are_an_error_with_usage(chat: Chat) -> None:
    out = await chat.say("alice", '!thing make "Unclosed "A" "B"')
    assert out.splitlines() == [
        'The quotes do not pair up near "Unclosed "A": close each quoted text, then leave '
        "a space.",
        "Usage: !thing make <name> <items…> [--size number] [--fast] [--until duration]"]


async def test_free_text_keeps_its_quotes(chat: Chat) -> None:
    assert await chat.say("alice", '!echo thanks for the "demo"!') == 'thanks for the "demo"!'


def test_tokenize_rules() -> None:
    assert [t.value for t in tokenize('"A B" C')] == ["A B", "C"]
    with pytest.raises(BadArgument):
        tokenize('"A"B')
    assert [t.value for t in tokenize('"A"B', strict=False)] == ["A", "B"]
    assert [t.value for t in tokenize("it's 5\" long")] == ["it's", '5"', "long"]


@given(st.text(), st.booleans())
def test_the_printable_fast_path_changes_nothing(raw: str, multiline: bool) -> None:
    """`clean_text` skips the walk for printable text: the walk would have kept it whole."""
    from bot.text import _clean

    assert clean_text(raw, multiline=multiline) == _clean(raw, multiline)
