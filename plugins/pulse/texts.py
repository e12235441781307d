"""Words shared by `!pulse`, digests and the dashboard, marked for translation once.

An idea's status is named by the ideas plugin (`plugins.ideas.models.status_label`), translated
in its catalog: pulse keeps no copy.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.api import Text, plural_translatable, translatable
from plugins.ideas.models import status_label
from plugins.pulse.state import Money
from plugins.pulse.store import Record

_ = translatable("pulse")
_n = plural_translatable("pulse")

REASON_LABELS: dict[str, Text] = {
    "idea_accepted": _("idea accepted"),
    "idea_implemented": _("idea implemented"),
    "idea_funded": _("idea funded"),
    "campaign_bounty": _("campaign bounty"),
    "activity": _("among the most active"),
    "grant": _("grant"),
}

METHOD_LABELS: dict[str, Text] = {
    "single": _("single choice"),
    "approval": _("approval"),
    "ranked": _("ranked choice"),
    "score": _("score"),
    "quadratic": _("quadratic"),
}

Names = Callable[[int | None], str | None]


def activity(record: Record, who: Names, money: Money,
             idea_numbers: dict[str, int] | None = None) -> Text:
    """One line of recent activity; never names a member the record does not carry."""
    k, n, title = record.kind, record.number, record.title
    amount = money(record.amount or 0)
    if k == "idea":
        author = who(record.actor)
        if author is None:
            return _("Idea #{number} “{title}” was proposed anonymously.", number=n, title=title)
        return _("{who} proposed idea #{number} “{title}”.", who=author, number=n, title=title)
    if k == "status":
        return _("Idea #{number} “{title}” is now {status}.", number=n, title=title,
                 status=status_label(record.detail))
    if k == "poll_opened":
        return _("Poll #{number} “{question}” opened.", number=n, question=title)
    if k == "poll_closed":
        ballots = record.amount or 0
        if record.detail:
            return _n("Poll #{number} “{question}” closed: “{winner}” won ({n} ballot).",
                      "Poll #{number} “{question}” closed: “{winner}” won ({n} ballots).",
                      ballots, number=n, question=title, winner=record.detail)
        return _n("Poll #{number} “{question}” closed without a winner ({n} ballot).",
                  "Poll #{number} “{question}” closed without a winner ({n} ballots).",
                  ballots, number=n, question=title)
    if k == "poll_cancelled":
        return _("Poll #{number} “{question}” was cancelled.", number=n, question=title)
    if k == "tip":
        return _("{giver} thanked {receiver} with {amount}.", giver=who(record.actor) or "?",
                 receiver=who(record.target) or "?", amount=amount)
    if k == "reward":
        reason = REASON_LABELS.get(record.detail, record.detail)
        receiver = who(record.target)
        if receiver is not None:
            return _("{who} received {amount} ({reason}).", who=receiver, amount=amount,
                     reason=reason)
        number = (idea_numbers or {}).get(record.title)
        if number is not None:
            return _("The authors of idea #{number} received {amount} ({reason}).",
                     number=number, amount=amount, reason=reason)
        return _("An idea's authors received {amount} ({reason}).", amount=amount,
                 reason=reason)
    if k == "funding":
        if record.detail == "open":
            return _("Funding opened for idea #{number} “{title}”: goal {amount}.", number=n,
                     title=title, amount=amount)
        if record.detail == "succeeded":
            return _("Idea #{number} “{title}” is funded: {amount} raised.", number=n,
                     title=title, amount=amount)
        return _("Funding for idea #{number} “{title}” failed; pledges were refunded.",
                 number=n, title=title)
    return _("Something happened ({kind}).", kind=k)
