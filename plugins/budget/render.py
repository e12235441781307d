"""How budgets read in chat: the live standing (`!budget show`) and the result at close."""

from __future__ import annotations

from collections.abc import Sequence

from bot.api import Currency, Row, Text, plural_translatable, translatable
from plugins.budget.allocation import FUNDED, NO_FIT, Candidate, Placed, allocate

_ = translatable("budget")
_n = plural_translatable("budget")


def bar(value: int, top: int, width: int) -> str:
    """`▰▰▰▱▱▱`: support relative to the most supported idea; never empty once supported."""
    if top <= 0 or value <= 0:
        return "▱" * width
    filled = max(1, min(width, (2 * value * width + top) // (2 * top)))
    return "▰" * filled + "▱" * (width - filled)


def members(n: int) -> Text:
    return _n("{n} member took part", "{n} members took part", n, n=n)


def method_label(method: str, points: int) -> Text:
    if method == "points":
        return _("points: each member spreads {points} points", points=points)
    return _("approval: each member supports any number of ideas")


def verdict(reason: str, final: bool) -> Text:
    """What the rule says of an idea, now (`show`) or at close."""
    if reason == FUNDED:
        return _("funded") if final else _("funded if it closed now")
    if reason == NO_FIT:
        return _("did not fit") if final else _("does not fit now")
    return _("no support")


def candidates(ideas: Sequence[Row], totals: dict[int, int]) -> list[Candidate]:
    return [Candidate(int(r["idea_id"]), int(r["number"]), int(r["cost"]),
                      totals.get(int(r["idea_id"]), 0)) for r in ideas]


def idea_line(t_rank: int, row: Row, support: int, top: int, reason: str, cur: Currency,
              width: int, final: bool) -> Text:
    return _("{rank}. #{number} “{title}” {bar} {support} · cost {cost} · {verdict}",
             rank=t_rank, number=int(row["number"]), title=row["title"],
             bar=bar(support, top, width), support=support, cost=cur.fmt(int(row["cost"])),
             verdict=verdict(reason, final))


def standing(head: Row, ideas: Sequence[Row], totals: dict[int, int], cur: Currency,
             width: int) -> tuple[list[Text], int]:
    """The ranking as if the budget closed now, and what it would spend."""
    placed = allocate(candidates(ideas, totals), int(head["total"]))
    return _lines(placed, ideas, cur, width, final=False), _spent(placed)


def result(head: Row, ideas: Sequence[Row], cur: Currency, width: int) -> list[Text]:
    """The frozen result: ranking, funded ideas, what did not fit."""
    placed = [Placed(Candidate(int(r["idea_id"]), int(r["number"]), int(r["cost"]),
                               int(r["support"] or 0)), int(r["rank"]), str(r["reason"]))
              for r in sorted(ideas, key=lambda r: int(r["rank"] or 0))]
    funded = [p for p in placed if p.funded]
    lines = [_("Budget closed: {funded}, {spent} of {total} spent.",
               funded=_n("{n} idea funded", "{n} ideas funded", len(funded), n=len(funded)),
               spent=cur.fmt(int(head["spent"])),
               total=cur.fmt(int(head["total"])))]
    available = head["available"]
    if available is not None and int(available) < int(head["total"]):
        lines.append(_("The treasury held only {available} at close.",
                       available=cur.fmt(int(available))))
    lines += _lines(placed, ideas, cur, width, final=True)
    rounds = [f"#{int(r['number'])}" for r in sorted(ideas, key=lambda r: int(r["rank"] or 0))
              if r["paid"] and r["paid_round"] is not None]
    if rounds:
        lines.append(_("Paid into their funding round (it goes back to the treasury if the "
                       "round fails): {ideas}.", ideas=", ".join(rounds)))
    misfits = [f"#{p.candidate.number}" for p in placed if p.reason == NO_FIT]
    if misfits:
        lines.append(_("Did not fit in what was left: {ideas}.", ideas=", ".join(misfits)))
    return lines


def _lines(placed: Sequence[Placed], ideas: Sequence[Row], cur: Currency, width: int,
           final: bool) -> list[Text]:
    rows = {int(r["idea_id"]): r for r in ideas}
    top = max((p.candidate.support for p in placed), default=0)
    return [idea_line(p.rank, rows[p.candidate.idea_id], p.candidate.support, top, p.reason,
                      cur, width, final) for p in placed]


def _spent(placed: Sequence[Placed]) -> int:
    return sum(p.candidate.cost for p in placed if p.funded)


def joined(lines: Sequence[Text | str]) -> Text:
    """Lines as one Text whose parts are translated when it is sent (an outbox row stores one
    message); the joining template itself has nothing to translate."""
    keys = [f"line{i}" for i in range(len(lines))]
    return Text("\n".join("{" + k + "}" for k in keys), "budget", dict(zip(keys, lines, strict=True)))
