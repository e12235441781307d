"""`!me`: what concerns one member now, in at most eight lines.

Everything comes from other plugins' read hooks, each about this member only — `member_ideas`
(ideas), `list_polls` and `polls_voted` (votes: whether *they* voted, never anyone else's
ballot), `list_funding_rounds` and `member_pledges` (funding), `get_balance` and
`member_flows` (tips). A disabled plugin's lines are simply absent. The member's own anonymous
ideas are listed only in an answer that reaches them alone (`private`): in a room they are left
out without a trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.api import Text
from plugins.pulse.render import _left
from plugins.pulse.state import Money
from plugins.pulse.texts import _, _n

if TYPE_CHECKING:
    from bot.api import Bot

Translate = Callable[[Text | str], str]

MAX_LINES = 8
MAX_IDEA_LINES = 4  # the fourth says how many more there are when they do not fit
MAX_POLLS = 3
MAX_ROUNDS = 3
WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Mine:
    """What the hooks said about one member (None: the plugin behind it is absent)."""

    at: float
    money: Money
    ideas: Sequence[Any] | None  # MemberIdea
    idea_polls: dict[str, Any]  # idea subject → its open poll
    idea_rounds: dict[str, Any]  # idea subject → its round in progress
    unvoted: Sequence[Any]  # open polls closing soon without this member's ballot
    backed: Sequence[tuple[Any, int]]  # (round, the member's pledged total)
    balance: int | None
    flows: Any | None  # MemberFlows
    names: dict[int, str]


async def gather(bot: Bot, community: str, member_id: int, *, closing_soon: float,
                 money: Money) -> Mine:
    """One call per hook, each answered from indexes on this member's rows."""
    now = float(bot.now())
    hooks = bot.hooks
    ideas = await hooks.first_safe("member_ideas", bot=bot, community=community,
                                   member_id=member_id, limit=MAX_IDEA_LINES + 20)
    polls = await hooks.first_safe("list_polls", default=[], bot=bot, community=community,
                                   statuses=["open"], limit=200)
    soon = [p for p in polls if p.closes_at is not None and p.closes_at - now <= closing_soon]
    voted = set(await hooks.first_safe("polls_voted", default=[], bot=bot, community=community,
                                       member_id=member_id, poll_ids=[p.id for p in soon])
                or [])
    rounds = await hooks.first_safe("list_funding_rounds", default=[], bot=bot,
                                    community=community, states=("open", "settling"))
    backed = await hooks.first_safe("member_pledges", default=[], bot=bot, community=community,
                                    member_id=member_id)
    balance = await hooks.first_safe("get_balance", bot=bot, community=community,
                                     member_id=member_id)
    flows = await hooks.first_safe("member_flows", bot=bot, community=community,
                                   member_id=member_id, since=now - WEEK)
    givers = [m for m, _a in flows.thanked_by] if flows is not None else []
    return Mine(
        at=now, money=money, ideas=ideas,
        idea_polls={p.subject: p for p in polls if p.subject},
        idea_rounds={r.subject: r for r in rounds or []},
        unvoted=[p for p in soon if p.id not in voted][:MAX_POLLS],
        backed=list(backed or [])[:MAX_ROUNDS],
        balance=balance if isinstance(balance, int) else None,
        flows=flows, names=await bot.identity.names(givers) if givers else {})


def _idea_line(m: Mine, item: Any, t: Translate) -> str:
    """One idea and what it needs next."""
    idea = item.idea
    head = f"#{idea.number} “{idea.title}”"
    if idea.anonymous:
        head = t(_("{idea} (anonymous)", idea=head))
    status = idea.status
    text: Text
    if status == "pending":
        text = _("💡 {idea}: waits for a moderator's approval.", idea=head)
    elif status == "open":
        text = _n("💡 {idea}: {n} more support to reach review ({count}/{threshold}).",
                  "💡 {idea}: {n} more supports to reach review ({count}/{threshold}).",
                  item.supports_needed, idea=head, count=idea.supporters,
                  threshold=item.threshold)
    elif status == "review":
        text = _("💡 {idea}: in review, a moderator decides or calls a vote.", idea=head)
    elif status == "voting" and idea.subject in m.idea_polls:
        poll = m.idea_polls[idea.subject]
        text = _("💡 {idea}: being voted on, poll #{poll} closes in {left}.", idea=head,
                 poll=poll.number, left=_left((poll.closes_at or m.at) - m.at))
    elif status == "voting":
        text = _("💡 {idea}: being voted on.", idea=head)
    elif idea.subject in m.idea_rounds:
        r = m.idea_rounds[idea.subject]
        text = _("💡 {idea}: funding {raised}/{goal} ({percent} %), {left} left.", idea=head,
                 raised=m.money(r.raised), goal=m.money(r.goal),
                 percent=int(100 * r.raised / r.goal) if r.goal else 0,
                 left=_left(r.deadline - m.at))
    else:
        text = _("💡 {idea}: accepted, waiting to be implemented.", idea=head)
    return t(text)


def me_message(m: Mine, t: Translate, *, private: bool) -> str:
    """At most eight lines: ideas, polls to vote in, rounds backed, balance, thanks."""
    lines: list[str] = []
    ideas = [i for i in m.ideas or () if private or not i.idea.anonymous]
    shown = ideas if len(ideas) <= MAX_IDEA_LINES else ideas[:MAX_IDEA_LINES - 1]
    lines += [_idea_line(m, item, t) for item in shown]
    if len(shown) < len(ideas):
        lines.append(t(_n("💡 …and {n} more idea in progress.",
                          "💡 …and {n} more ideas in progress.", len(ideas) - len(shown))))
    if m.unvoted:
        items = [t(_("#{number} “{question}” closes in {left}", number=p.number,
                     question=p.question, left=_left((p.closes_at or m.at) - m.at)))
                 for p in m.unvoted]
        lines.append(t(_("🗳️ Not voted yet: {list}.", list="; ".join(items))))
    if m.backed:
        items = [t(_("#{number} “{title}”: your {amount}, {raised}/{goal} ({percent} %), "
                     "{left} left", number=r.idea_number, title=r.title,
                     amount=m.money(total), raised=m.money(r.raised), goal=m.money(r.goal),
                     percent=int(100 * r.raised / r.goal) if r.goal else 0,
                     left=_left(r.deadline - m.at)))
                 for r, total in m.backed]
        lines.append(t(_("🤝 Rounds you back: {list}.", list="; ".join(items))))
    if not lines:
        lines.append(t(_("Nothing waits for you right now.")))
    if m.balance is not None:
        flows = m.flows
        lines.append(t(_("🪙 Balance: {balance}; last 7 days: +{received} in, −{sent} out.",
                         balance=m.money(m.balance),
                         received=m.money(flows.received if flows else 0),
                         sent=m.money(flows.sent if flows else 0))))
    if m.flows is not None and m.flows.thanked_by:
        items = [f"{m.names.get(giver, '?')} ({m.money(amount)})"
                 for giver, amount in m.flows.thanked_by]
        lines.append(t(_("🙏 Thanked by {list} this week.", list=", ".join(items))))
    return "\n".join(lines[:MAX_LINES])
