"""The status lifecycle in one table: which action is allowed from which status, and where it leads.

pending → open → review → voting → accepted | rejected → implemented, plus withdrawn and merged.
Every command and event goes through `check()`, so an illegal move is refused with one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import Text, UserError, translatable
from plugins.ideas.models import STATUS_LABELS, status_label

_ = translatable("ideas")

#: Statuses everybody sees in lists by default (pending: only moderators and the author).
ACTIVE = ("open", "review", "voting", "accepted", "implemented")


@dataclass(frozen=True, slots=True)
class Action:
    """An action on an idea: allowed from `sources`; `target` is the new status (None: stays)."""

    name: str
    sources: frozenset[str]
    target: str | None
    label: Text


def _a(name: str, sources: str, target: str | None, label: Text) -> Action:
    return Action(name, frozenset(sources.split()), target, label)


#: THE transition table. Status changes and status-dependent actions are all listed here.
ACTIONS: dict[str, Action] = {a.name: a for a in (
    _a("approve", "pending", "open", _("approve")),
    _a("threshold", "open", "review", _("move to review")),
    _a("poll", "open review", "voting", _("put to a vote")),
    _a("accept", "open review voting", "accepted", _("accept")),
    _a("reject", "pending open review voting", "rejected", _("reject")),
    _a("vote_accept", "voting", "accepted", _("accept by vote")),
    _a("vote_reject", "voting", "rejected", _("reject by vote")),
    _a("vote_no_quorum", "voting", "review", _("send back to review")),
    _a("implement", "accepted", "implemented", _("mark as implemented")),
    _a("withdraw", "pending open", "withdrawn", _("withdraw")),
    _a("merge", "pending open review", "merged", _("merge")),
    _a("merge_into", "pending open review voting accepted", None, _("merge into")),
    _a("edit", "pending open", None, _("edit")),
    _a("support", "open review voting", None, _("support")),
    _a("unsupport", "open review voting", None, _("withdraw your support from")),
    _a("comment", "open review voting accepted rejected implemented", None,
       _("comment on")),
    _a("coauthor", "pending open review voting accepted implemented", None,
       _("add a co-author to")),
    _a("feedback", "implemented", None, _("give feedback on")),
    _a("credit", "pending open review voting accepted implemented", None,
       _("credit a contributor on")),
)}


def can(action: str, status: str) -> bool:
    """Whether `action` is allowed on an idea in `status`."""
    return status in ACTIONS[action].sources


def check(action: str, status: str, number: int) -> str:
    """The status after `action` (unchanged for non-transitions); UserError if not allowed here."""
    act = ACTIONS[action]
    if status not in act.sources:
        allowed = [STATUS_LABELS[s] for s in STATUS_LABELS if s in act.sources]
        raise UserError(_(
            "Cannot {action} idea #{number}: it is {status} (only possible when {allowed}).",
            action=act.label, number=number, status=status_label(status),
            allowed=join_texts(allowed),
        ))
    return act.target or status


def join_texts(items: list[Text]) -> Text:
    """Several Texts joined by commas, each translated in the reply's language when sent."""
    fields = {f"s{i}": item for i, item in enumerate(items)}
    return Text(", ".join("{" + name + "}" for name in fields), "ideas", fields)
