"""Turning `!vote` words into a normalised ballot, in the four syntaxes, or a clear refusal.

Options are addressed by letter (A, B, …, case-insensitive), by number (1, 2, …) or by their
text when it is one word (`yes`), or, for single choice, the whole text (`!vote 3 sushi bar`):
`B` (single), `A C` or `A,C` (approval), `C>A>B` (ranked; spaces also separate ranks),
`A=5 B=2` (score 0..max; quadratic votes, negative = against, cost = votes²).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from bot.api import Text, UserError, translatable, visible
from plugins.votes.tallies.base import Ballot
from plugins.votes.tallies.quadratic import cost as quadratic_cost

_ = translatable("votes")

LETTERS = string.ascii_uppercase
_SEPARATORS = re.compile(r"[\s,;]+")
_RANK_SEPARATORS = re.compile(r"[\s,;>]+")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_MAX_WORDS = 64


def option_label(index: int) -> str:
    """A, B, C… — how members see and type options."""
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


def example(method: str, n_options: int) -> str:
    """A valid ballot for this kind of poll, shown when a ballot is refused."""
    last = option_label(n_options - 1)
    return {
        "single": "B" if n_options > 1 else "A",
        "approval": f"A {last}",
        "ranked": ">".join(option_label(i) for i in reversed(range(min(n_options, 3)))),
        "score": "A=5 B=2",
        "quadratic": "A=3 B=-1",
    }[method]


def _clip(raw: str, limit: int = 20) -> str:
    return visible(raw, limit)


def option_index(raw: str, options: int | Sequence[str]) -> int:
    """`B`, `2` or `Sushi` → 1; anything else is a UserError naming the valid range."""
    token = raw.strip()
    n_options = options if isinstance(options, int) else len(options)
    if len(token) == 1 and token.upper() in LETTERS[:n_options]:
        return LETTERS.index(token.upper())
    if token.isascii() and token.isdigit() and 1 <= int(token) <= n_options:
        return int(token) - 1
    if not isinstance(options, int):
        folded = [o.casefold() for o in options]
        if folded.count(token.casefold()) == 1:
            return folded.index(token.casefold())
    raise UserError(_("This poll has no option “{raw}” (use {first}–{last} or 1–{n}).",
                      raw=_clip(raw), first="A", last=option_label(n_options - 1),
                      n=n_options))


def _syntax_error(method: str, n_options: int) -> Text:
    return _("Write this ballot like: {example}", example=example(method, n_options))


def parse(method: str, words: Sequence[str], options: int | Sequence[str], *,
          max_choices: int | None = None, score_max: int = 5, credits: int = 100) -> Ballot:
    """The ballot `words` describe for a poll with these options (or this many), or UserError."""
    text = " ".join(words).strip()
    n_options = options if isinstance(options, int) else len(options)
    if len(words) > _MAX_WORDS or len(text) > 1000:
        raise UserError(_("That ballot is too long."))
    if method in ("score", "quadratic"):
        return _parse_values(method, text, options, score_max, credits)
    if method == "single" and not isinstance(options, int):
        whole = [o.casefold() for o in options]
        if whole.count(text.casefold()) == 1 and len(text) > 1:
            return Ballot(ranks=(whole.index(text.casefold()),))
    if "=" in text or (">" in text and method != "ranked"):
        raise UserError(_syntax_error(method, n_options))
    parts = [p for p in (_RANK_SEPARATORS if method == "ranked" else _SEPARATORS).split(text)
             if p]
    if not parts:
        raise UserError(_("Choose at least one option. {hint}",
                          hint=_syntax_error(method, n_options)))
    chosen: list[int] = []
    for part in parts:
        index = option_index(part, options)
        if index in chosen:
            raise UserError(_("Option {option} appears twice on your ballot.",
                              option=option_label(index)))
        chosen.append(index)
    if method == "single" and len(chosen) > 1:
        raise UserError(_("This poll takes exactly one choice. {hint}",
                          hint=_syntax_error(method, n_options)))
    if max_choices is not None and len(chosen) > max_choices:
        raise UserError(_("This poll allows at most {k} choices.", k=max_choices))
    ranks = tuple(sorted(chosen)) if method == "approval" else tuple(chosen)
    return Ballot(ranks=ranks)


def _parse_values(method: str, text: str, options: int | Sequence[str], score_max: int,
                  credits: int) -> Ballot:
    """`A=5 B=2` for score and quadratic polls."""
    n_options = options if isinstance(options, int) else len(options)
    text = re.sub(r"\s*=\s*", "=", text)
    parts = [p for p in _SEPARATORS.split(text) if p]
    if not parts:
        raise UserError(_("Choose at least one option. {hint}",
                          hint=_syntax_error(method, n_options)))
    values: dict[int, int] = {}
    for part in parts:
        name, sep, raw = part.partition("=")
        if not sep:
            raise UserError(_syntax_error(method, n_options))
        index = option_index(name, options)
        if index in values:
            raise UserError(_("Option {option} appears twice on your ballot.",
                              option=option_label(index)))
        if not _INTEGER.fullmatch(raw):
            raise UserError(_("“{raw}” is not a whole number.", raw=_clip(raw)))
        value = int(raw)
        if method == "score" and not 0 <= value <= score_max:
            raise UserError(_("Scores go from 0 to {max}, not {value}.", max=score_max,
                              value=value))
        values[index] = value
    pairs = tuple(sorted((o, v) for o, v in values.items() if method == "score" or v != 0))
    if not pairs:
        raise UserError(_("Give at least one option a non-zero number of votes."))
    if method == "quadratic":
        spent = quadratic_cost(pairs)
        if spent > credits:
            raise UserError(_("That ballot costs {cost} (votes²), more than the budget of "
                              "{budget}.", cost=spent, budget=credits))
    return Ballot(values=pairs)
