"""Chat text: the one-message `!pulse` and the periodic digest, short by construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.api import Text, format_duration
from plugins.ideas.models import status_label
from plugins.pulse.state import Money, PollView, Snapshot
from plugins.pulse.store import Record
from plugins.pulse.texts import _, _n, activity

Translate = Callable[[Text | str], str]

MAX_POLLS = 3
MAX_FUNDING = 2
MAX_RECOGNITIONS = 3
MAX_LISTED = 5


def _left(seconds: float) -> str:
    return format_duration(timedelta(seconds=max(0, int(seconds))))


def _poll_line(poll: PollView, now: float, t: Translate) -> str:
    left = _left((poll.closes_at or now) - now)
    if poll.ballots is None:
        return t(_("#{number} “{question}” closes in {left} (results hidden)",
                   number=poll.number, question=poll.question, left=left))
    if poll.leader is None:
        return t(_("#{number} “{question}” closes in {left}, no one ahead", number=poll.number,
                   question=poll.question, left=left))
    return t(_("#{number} “{question}” closes in {left}, “{leader}” ahead",
               number=poll.number, question=poll.question, left=left, leader=poll.leader))


def pulse_message(s: Snapshot, t: Translate, *, closing_soon: float,
                  url: str | None = None) -> str:
    """Ideas by status, polls closing soon, funding, tokens of the last 24 h, recognitions."""
    lines = [t(_("📈 Pulse of {community}", community=s.name))]
    if s.counts is not None:
        parts = [t(_("{n} {status}", n=s.counts.get(status, 0), status=status_label(status)))
                 for status in ("open", "review", "voting", "accepted", "implemented")
                 if s.counts.get(status, 0)]
        lines.append(t(_("💡 Ideas: {list}.", list=" · ".join(parts))) if parts
                     else t(_("💡 No ideas yet.")))
    if s.polls is not None:
        soon = [p for p in s.polls if p.closes_at is not None
                and p.closes_at - s.at <= closing_soon][:MAX_POLLS]
        if soon:
            lines.append(t(_("🗳️ Closing soon: {list}.",
                             list="; ".join(_poll_line(p, s.at, t) for p in soon))))
        elif s.polls:
            lines.append(t(_n("🗳️ {n} open poll, next closing in {left}.",
                              "🗳️ {n} open polls, next closing in {left}.", len(s.polls),
                              left=_left((s.polls[0].closes_at or s.at) - s.at))))
    if s.funding:
        shown = [t(_("#{number} “{title}” {raised}/{goal} ({percent} %), {left} left",
                     number=f.number, title=f.title, raised=s.money(f.raised),
                     goal=s.money(f.goal), percent=int(f.share * 100),
                     left=_left(f.deadline - s.at))) for f in s.funding[:MAX_FUNDING]]
        lines.append(t(_("💰 Funding: {list}.", list="; ".join(shown))))
    amount, moves = s.moved_24h
    if moves:
        lines.append(t(_n("🪙 Last 24 h: {amount} moved, {n} tip.",
                          "🪙 Last 24 h: {amount} moved, {n} tips.", s.tips_24h[1],
                          amount=s.money(amount))))
    recognitions = [r for r in s.activity if r.kind in ("tip", "reward")][:MAX_RECOGNITIONS]
    if recognitions:
        shown = [t(activity(r, s.who, s.money, s.idea_numbers)).rstrip(".") for r in recognitions]
        lines.append(t(_("🏅 Latest thanks: {list}.", list="; ".join(shown))))
    if len(lines) == 1:
        lines.append(t(_("All quiet for now.")))
    if url:
        lines.append(t(_("📊 Live dashboard: {url}", url=url)))
    return "\n".join(lines)


@dataclass(frozen=True)
class Digest:
    """What happened in one period, ready to be written out."""

    name: str
    period: str  # "daily" | "weekly"
    label: str  # the period's first day, e.g. 2024-05-06
    new_ideas: tuple[Record, ...]
    decisions: tuple[Record, ...]
    polls: tuple[Record, ...]
    funded: tuple[Record, ...]
    moved: int
    tips: int
    contributors: tuple[str, ...]
    money: Money


def _listed(items: list[str], t: Translate) -> str:
    head = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        return t(_("{list} and {n} more", list=head, n=len(items) - MAX_LISTED))
    return head


def digest_message(d: Digest, t: Translate) -> str:
    """One message for the whole period, each kind of news on one line."""
    title = (_("📰 Daily digest of {community}, {day}", community=d.name, day=d.label)
             if d.period == "daily" else
             _("📰 Weekly digest of {community}, week of {day}", community=d.name, day=d.label))
    lines = [t(title)]
    if d.new_ideas:
        items = [f"#{r.number} “{r.title}”" for r in d.new_ideas]
        lines.append(t(_n("💡 {n} new idea: {list}.", "💡 {n} new ideas: {list}.",
                          len(items), list=_listed(items, t))))
    if d.decisions:
        items = [t(_("#{number} “{title}” {status}", number=r.number, title=r.title,
                     status=status_label(r.detail))) for r in d.decisions]
        lines.append(t(_("✅ Decisions: {list}.", list=_listed(items, t))))
    if d.polls:
        items = [t(_("#{number} “{question}” → {winner}", number=r.number, question=r.title,
                     winner=f"“{r.detail}”" if r.detail else t(_("no winner"))))
                 for r in d.polls]
        lines.append(t(_("🗳️ Polls closed: {list}.", list=_listed(items, t))))
    if d.funded:
        items = [t(_("#{number} “{title}” ({amount})", number=r.number, title=r.title,
                     amount=d.money(r.amount or 0))) for r in d.funded]
        lines.append(t(_("💰 Funded: {list}.", list=_listed(items, t))))
    if d.tips:
        lines.append(t(_n("🪙 {amount} moved, {n} tip.", "🪙 {amount} moved, {n} tips.",
                          d.tips, amount=d.money(d.moved))))
    if d.contributors:
        lines.append(t(_("🏅 Top contributors: {list}.", list=", ".join(d.contributors))))
    return "\n".join(lines)
