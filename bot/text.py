"""Text members type, made safe to store and show: what others read is what was written."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Joiners that shape emoji sequences (U+200D) and Persian or Indic words (U+200C).
_JOINERS = frozenset({"\u200c", "\u200d"})
_LINE_BREAKS = frozenset({"\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"})


def _visible(c: str) -> bool:
    return c.isprintable() and not c.isspace()


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Drop control characters and invisible format characters (bidi overrides, zero-width
    spaces), so a title cannot hide text, reverse what follows it, or ring a terminal.

    Joiners survive between two visible characters (emoji sequences, Persian words); line
    breaks and tabs survive only when `multiline` (breaks as `\\n`; else they become spaces);
    lone surrogates never reach the database.
    """
    if text.isprintable():
        return text  # no control, format, surrogate or line-break character: nothing to drop
    return _clean(text, multiline)


def _clean(text: str, multiline: bool) -> str:
    """The character walk behind `clean_text`, for text that holds something to drop."""
    out: list[str] = []
    last = len(text) - 1
    for i, c in enumerate(text):
        if c == "\r" and i < last and text[i + 1] == "\n":
            continue  # CRLF is one line break
        if c in _LINE_BREAKS:
            out.append("\n" if multiline else " ")
            continue
        category = unicodedata.category(c)
        if category == "Cf":
            if (c in _JOINERS and out and _visible(out[-1]) and i < last
                    and _visible(text[i + 1])):
                out.append(c)
            continue
        if category == "Cs":
            continue
        if category == "Cc":
            if c == "\t":
                out.append("\t" if multiline else " ")
            continue
        out.append(c)
    return "".join(out)


def one_line(text: str) -> str:
    """Clean text on a single line with runs of spaces collapsed (questions, options, names)."""
    return " ".join(clean_text(text).split())


def visible(text: str, limit: int = 40) -> str:
    """Member input echoed back in an error: cleaned, on one line and cut to `limit`."""
    shown = one_line(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"



@dataclass(frozen=True, slots=True)
class Currency:
    """A community's token name and display precision (amounts are integers of 10^-decimals),
    so every plugin that shows amounts writes them the same way."""

    name: str = ""
    decimals: int = 0

    def number(self, amount: int) -> str:
        """`1250` → `12.50` at two decimals."""
        sign = "-" if amount < 0 else ""
        whole, frac = divmod(abs(amount), 10**self.decimals)
        return f"{sign}{whole}.{frac:0{self.decimals}d}" if self.decimals else f"{sign}{whole}"

    def fmt(self, amount: int) -> str:
        """`1250` → `12.50 BZZ` at two decimals."""
        return f"{self.number(amount)} {self.name}".rstrip()
