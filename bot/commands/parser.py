"""Tokenizing a command line: quotes, `--options`, and the raw rest of the line."""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.commands.errors import BadArgument
from bot.i18n import translatable
from bot.text import visible

_ = translatable("core")

QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»", "„": "“", "‘": "’"}
#: Any character that may open a quote: a line without one splits on whitespace alone.
_OPENERS = re.compile("[" + re.escape("".join(QUOTES)) + "]")


class Token(NamedTuple):
    """A word with its place in the raw line, so the rest of a line can be cut out exactly.

    A named tuple: one is made per word of every command, and it builds faster than a frozen
    dataclass while staying immutable.
    """

    value: str
    start: int
    end: int
    quoted: bool = False


def tokenize(text: str, *, strict: bool = True) -> list[Token]:
    """Split on whitespace, honouring quotes; an unclosed quote is a BadArgument, and so is
    (when `strict`) a closing quote glued to more text, as when a quote was left open."""
    if _OPENERS.search(text) is None:
        return _words(text)  # most commands: plain words
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        close = QUOTES.get(text[i])
        if close is not None and (i == 0 or text[i - 1].isspace()):
            j = text.find(close, i + 1)
            if j == -1:
                raise BadArgument(_("A quote is not closed: {quote}", quote=text[i]))
            if strict and j + 1 < n and not text[j + 1].isspace():
                # `"Unclosed "A" "B"`: the quote meant to close opened nothing; guessing
                # would store `A"` as an option, so say where the quotes stop pairing up.
                end = j + 1
                while end < n and not text[end].isspace():
                    end += 1
                raise BadArgument(_("The quotes do not pair up near {text}: close each quoted "
                                    "text, then leave a space.", text=visible(text[i:end])))
            tokens.append(Token(text[i + 1 : j], start, j + 1, True))
            i = j + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        tokens.append(Token(text[start:i], start, i))
    return tokens


def _words(text: str) -> list[Token]:
    """`tokenize` of a line without quotes: `str.split` splits where `str.isspace` says."""
    tokens: list[Token] = []
    end = 0
    for word in text.split():
        # Only whitespace lies between the previous word and this one, so `find` lands on it.
        start = text.find(word, end)
        end = start + len(word)
        tokens.append(tuple.__new__(Token, (word, start, end, False)))  # skips the default
    return tokens


def is_option(token: Token) -> bool:
    """`--name` (not quoted, not a lone `--`, not a negative number)."""
    v = token.value
    return (not token.quoted and v.startswith("--") and len(v) > 2 and v[2].isalpha())


def rest_of(text: str, tokens: list[Token]) -> str:
    """The raw text covered by `tokens`, keeping original spacing where they are contiguous."""
    if not tokens:
        return ""
    parts: list[str] = []
    prev_end: int | None = None
    for tok in tokens:
        if prev_end is not None:
            gap = text[prev_end : tok.start]
            parts.append(gap if gap.strip() == "" else " ")
        parts.append(text[tok.start : tok.end])
        prev_end = tok.end
    return "".join(parts)
