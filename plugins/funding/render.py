"""How rounds read in the chat: progress bars, `!fund show` / `list`, outcomes. No rules here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.api import Currency, Text, format_duration, plural_translatable, translatable
from plugins.funding.models import Backer, FundingRound, Tier
from plugins.funding.tiers import reached, tier_for

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("funding")
_n = plural_translatable("funding")

STATE_LABELS: dict[str, Text] = {
    "open": _("open"),
    "settling": _("settling"),
    "succeeded": _("funded"),
    "failed": _("goal missed, refunded"),
    "cancelled": _("cancelled, refunded"),
    "merged": _("merged"),
}


def bar(raised: int, goal: int, width: int) -> str:
    """`▰▰▰▰▰▰▱▱▱▱`: rounded, full only at the goal, never empty once someone pledged."""
    if raised >= goal:
        filled = width
    else:
        filled = min(width - 1, max(1 if raised > 0 else 0,
                                    (2 * raised * width + goal) // (2 * goal)))
    return "▰" * filled + "▱" * (width - filled)


def percent(raised: int, goal: int) -> int:
    return raised * 100 // goal


def progress(r: FundingRound, cur: Currency, width: int) -> Text:
    return _("{bar} {percent}% · {raised} of {goal}", bar=bar(r.raised, r.goal, width),
             percent=percent(r.raised, r.goal), raised=cur.number(r.raised),
             goal=cur.fmt(r.goal))


def backers(n: int) -> Text:
    return _n("{n} backer", "{n} backers", n)


def time_left(r: FundingRound, now: float, tz: str) -> Text:
    """Time left and the local deadline; or when it ended."""
    try:
        zone = ZoneInfo(tz)
    except Exception:
        zone = ZoneInfo("UTC")
    moment = r.settled_at if r.settled_at is not None and r.state != "open" else r.deadline
    date = datetime.fromtimestamp(moment, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if r.state != "open":
        return _("ended {date}", date=date)
    left = r.deadline - now
    if left <= 0:
        return _("deadline passed, settling soon")
    minutes = math.ceil(left / 60)
    return _("{left} left (until {date})", left=format_duration(timedelta(minutes=minutes)),
             date=date)


def tier_list(tiers: Sequence[Tier], cur: Currency, counts: dict[str, int]) -> str:
    return " · ".join(f"{t.title} ({cur.fmt(t.amount)}+): {counts.get(t.title, 0)}"
                      for t in tiers)


def stretch_list(goals: Sequence[Tier], raised: int, cur: Currency) -> str:
    done = {g.amount for g in reached(raised, goals)}
    return " · ".join(("✓ " if g.amount in done else "") + f"{cur.fmt(g.amount)} {g.title}"
                      for g in goals)


async def wallet(bot: Bot, r: FundingRound) -> Text | str:
    """Who receives the funds; never the name of an anonymous idea's author."""
    kind, _sep, rest = r.wallet.partition(":")
    if kind == "member" and rest.isdigit():
        if r.anonymous:
            return _("the idea's author")
        names = await bot.identity.names([int(rest)])
        return names.get(int(rest), "?")
    return _("the project wallet “{name}”", name=rest)


async def show(bot: Bot, r: FundingRound, cur: Currency, totals: list[tuple[int, int]],
               *, now: float, width: int, shown: int, prefix: str) -> list[Text | str]:
    """`!fund show`: title, bar, backers and time, tiers, stretch goals, wallet, backers."""
    tz = bot.config.bot.timezone
    lines: list[Text | str] = [
        _("Funding of idea #{number} “{title}” — {state}", number=r.idea_number, title=r.title,
          state=STATE_LABELS.get(r.state, r.state)),
        progress(r, cur, width),
        _("{backers} · {time}", backers=backers(r.backers), time=time_left(r, now, tz)),
    ]
    if r.tiers:
        counts: dict[str, int] = {}
        for _member, total in totals:
            title = tier_for(total, r.tiers)
            counts[title] = counts.get(title, 0) + 1
        lines.append(_("Tiers: {tiers}", tiers=tier_list(r.tiers, cur, counts)))
    if r.stretch_goals:
        lines.append(_("Stretch goals: {goals}", goals=stretch_list(r.stretch_goals, r.raised,
                                                                     cur)))
    if r.cap:
        lines.append(_("At most {cap} per member.", cap=cur.fmt(r.cap)))
    lines.append(_("Funds go to {wallet} if the goal is reached.", wallet=await wallet(bot, r))
                 if r.state in ("open", "settling") else
                 _("Funds went to {wallet}.", wallet=await wallet(bot, r))
                 if r.state == "succeeded" else "")
    if totals and shown:
        names = await bot.identity.names([m for m, _t in totals[:shown]])
        people = ", ".join(_backer(names.get(m, "?"), t, r.tiers, cur) for m, t in totals[:shown])
        more = len(totals) - shown
        lines.append(_("Backers: {names}", names=people + (f" (+{more})" if more > 0 else "")))
    if r.state == "open" and r.deadline > now:
        lines.append(_("Pledge with {prefix}pledge {number} AMOUNT.", prefix=prefix,
                       number=r.idea_number))
    return [line for line in lines if line]


def _backer(name: str, total: int, tiers: Sequence[Tier], cur: Currency) -> str:
    title = tier_for(total, tiers)
    return f"{name} {cur.fmt(total)}" + (f" ({title})" if title else "")


def list_line(r: FundingRound, cur: Currency, now: float, tz: str) -> Text:
    """`#3 Solar oven — ▰▰▱… 60% · 60 of 100 BZZ · 4 backers · 2d left`."""
    return _("#{number} {title} — {progress} · {backers} · {time}", number=r.idea_number,
             title=r.title, progress=progress(r, cur, 6), backers=backers(r.backers),
             time=time_left(r, now, tz) if r.state == "open"
             else STATE_LABELS.get(r.state, r.state))


def describe(r: FundingRound, cur: Currency, now: float, tz: str, width: int) -> Text:
    """The line `!idea show` adds under an idea."""
    if r.state == "succeeded":
        return _("Funded: {raised} of {goal} from {backers}.", raised=cur.fmt(r.raised),
                 goal=cur.fmt(r.goal), backers=backers(r.backers))
    if r.state == "open":
        return _("Funding: {progress} · {backers} · {time}", progress=progress(r, cur, width),
                 backers=backers(r.backers), time=time_left(r, now, tz))
    return _("Funding: {state} ({raised} of {goal}).", state=STATE_LABELS.get(r.state, r.state),
             raised=cur.fmt(r.raised), goal=cur.fmt(r.goal))


async def outcome(bot: Bot, r: FundingRound, funded: Sequence[Backer], cur: Currency,
                  target: FundingRound | None = None) -> Text:
    """What the room hears when a round settles (and `!fund close` answers)."""
    if r.state == "succeeded":
        names = await bot.identity.names([b.member_id for b in funded])
        people = ", ".join(names.get(b.member_id, "?") + (f" ({b.tier})" if b.tier else "")
                           for b in funded[:20])
        goals = reached(r.raised, r.stretch_goals)
        extra = _(" Stretch goals reached: {goals}.",
                  goals=", ".join(g.title for g in goals)) if goals else ""
        return _("Idea #{number} “{title}” is funded: {raised} of {goal} from {backers}, "
                 "released to {wallet}. Thanks to {people}!{extra}", number=r.idea_number,
                 title=r.title, raised=cur.fmt(r.raised), goal=cur.fmt(r.goal),
                 backers=backers(r.backers), wallet=await wallet(bot, r), people=people,
                 extra=extra)
    if r.state == "merged" and target is not None:
        return _("Idea #{number} was merged into idea #{target}: its {backers} now back "
                 "idea #{target}'s round ({raised}).", number=r.idea_number,
                 target=target.idea_number, backers=backers(r.backers), raised=cur.fmt(r.raised))
    if r.state == "cancelled":
        return _("The funding round of idea #{number} “{title}” was cancelled: every pledge "
                 "({raised} from {backers}) was refunded.", number=r.idea_number,
                 title=r.title, raised=cur.fmt(r.raised), backers=backers(r.backers))
    return _("Idea #{number} “{title}” missed its goal: {raised} of {goal}. Every pledge was "
             "refunded in full.", number=r.idea_number, title=r.title,
             raised=cur.fmt(r.raised), goal=cur.fmt(r.goal))
