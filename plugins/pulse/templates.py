"""The dashboard's HTML: a whole page for the first load, and the same sections as fragments.

Server-rendered, so the page reads without JavaScript; the live script only swaps a section's
inner HTML for the fragment the server rendered with these same functions. Every text goes
through `esc` (titles, names and options are member input). Tallies and flows are `<meter>`s,
funding a `<progress>`: each bar also says its number in text, for screen readers and for
readers of the page without CSS.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.api import Text
from plugins.ideas.models import status_label
from plugins.pulse import svg
from plugins.pulse.state import PollView, Snapshot
from plugins.pulse.texts import METHOD_LABELS, _, _n, activity

Translate = Callable[[Text | str], str]
LANGUAGES = {"en": "English", "fr": "Français"}
SECTIONS = ("charts", "pipeline", "polls", "funding", "feedback", "flows", "leaderboard",
            "treasury", "activity")


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _time(at: float, tz: ZoneInfo) -> str:
    moment = datetime.fromtimestamp(at, tz)
    return (f'<time datetime="{moment.isoformat(timespec="seconds")}">'
            f'{moment.strftime("%Y-%m-%d %H:%M")}</time>')


def _left(seconds: float, t: Translate) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return t(_("{d} d {h} h", d=days, h=hours))
    if hours:
        return t(_("{h} h {m} min", h=hours, m=minutes))
    return t(_("{m} min", m=minutes))


def _heading(section: str, text: str) -> str:
    return f'<h2 id="{section}-h">{esc(text)}</h2>'


# -- sections ---------------------------------------------------------------------------------

def pipeline(s: Snapshot, t: Translate) -> str:
    out = [_heading("pipeline", t(_("Idea pipeline")))]
    if s.counts is None:
        out.append(f'<p class="empty">{esc(t(_("Ideas are not enabled here.")))}</p>')
        return "".join(out)
    out.append('<div class="columns">')
    for col in s.pipeline:
        label = t(status_label(col.status))
        out.append(f'<div class="column st-{esc(col.status)}" role="group" '
                   f'aria-labelledby="col-{esc(col.status)}">'
                   f'<h3 id="col-{esc(col.status)}">{esc(label)} '
                   f'<span class="count">{col.count}</span></h3>')
        if col.ideas:
            out.append("<ol>")
            for idea in col.ideas:
                author = idea.author if idea.author is not None else t(_("anonymous"))
                support = t(_n("{n} supporter", "{n} supporters", idea.supporters))
                out.append(f'<li><span class="num">#{idea.number}</span> '
                           f'<span class="title">{esc(idea.title)}</span>'
                           f'<span class="meta">{esc(author)} · {esc(support)}</span></li>')
            out.append("</ol>")
            if col.count > len(col.ideas):
                more = t(_("and {n} more", n=col.count - len(col.ideas)))
                out.append(f'<p class="more">{esc(more)}</p>')
        else:
            out.append(f'<p class="empty">{esc(t(_("None")))}</p>')
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _poll(poll: PollView, s: Snapshot, t: Translate) -> str:
    meta = [t(METHOD_LABELS.get(poll.method, poll.method))]
    if poll.secret:
        meta.append(t(_("secret ballot")))
    if poll.ballots is not None:
        meta.append(t(_n("{n} ballot", "{n} ballots", poll.ballots)))
    if poll.status == "open" and poll.closes_at is not None:
        meta.append(t(_("closes in {left}", left=_left(poll.closes_at - s.at, t))))
    out = [f'<article class="poll" aria-labelledby="poll-{poll.number}">'
           f'<h3 id="poll-{poll.number}"><span class="num">#{poll.number}</span> '
           f'{esc(poll.question)}</h3><p class="meta">{esc(" · ".join(meta))}</p>']
    if poll.ballots is None:
        out.append(f'<p class="hidden-tally">{esc(t(_("Results stay hidden until the poll closes.")))}</p>')
    else:
        out.append('<ul class="bars">')
        for i, bar in enumerate(poll.bars):
            value = f"{bar.value:g}"
            out.append(f'<li><label for="p{poll.number}o{i}">{esc(bar.label)}</label>'
                       f'<meter id="p{poll.number}o{i}" min="0" max="1" '
                       f'value="{bar.share:.3f}">{esc(value)}</meter>'
                       f'<span class="val">{esc(value)}</span></li>')
        out.append("</ul>")
        if poll.leader is not None:
            key = (_("Winner: {option}", option=poll.leader) if poll.status == "closed"
                   else _("Ahead: {option}", option=poll.leader))
            out.append(f'<p class="leader">{esc(t(key))}</p>')
    out.append("</article>")
    return "".join(out)


def polls(s: Snapshot, t: Translate) -> str:
    out = [_heading("polls", t(_("Open polls")))]
    if s.polls is None:
        out.append(f'<p class="empty">{esc(t(_("Polls are not enabled here.")))}</p>')
        return "".join(out)
    if not s.polls:
        out.append(f'<p class="empty">{esc(t(_("No poll is open.")))}</p>')
    out.extend(_poll(p, s, t) for p in s.polls)
    if s.closed_polls:
        out.append(f'<h3 class="sub">{esc(t(_("Recently closed")))}</h3>')
        out.extend(_poll(p, s, t) for p in s.closed_polls)
    return "".join(out)


def funding(s: Snapshot, t: Translate) -> str:
    out = [_heading("funding", t(_("Funding rounds")))]
    if not s.funding:
        out.append(f'<p class="empty">{esc(t(_("No funding round in progress.")))}</p>')
        return "".join(out)
    out.append('<ul class="rounds">')
    for f in s.funding:
        percent = int(f.share * 100)
        label = t(_("{raised} of {goal} ({percent} %), {backers} backers, {left} left",
                    raised=s.money(f.raised), goal=s.money(f.goal), percent=percent,
                    backers=f.backers, left=_left(f.deadline - s.at, t)))
        out.append(f'<li><span class="num">#{f.number}</span> <span class="title">'
                   f'{esc(f.title)}</span><progress max="100" value="{percent}" '
                   f'aria-label="{esc(label)}">{percent} %</progress>'
                   f'<span class="meta">{esc(label)}</span>' + _round_chart(s, f.number, t) + "</li>")
    out.append("</ul>")
    return "".join(out)


def _round_chart(s: Snapshot, number: int, t: Translate) -> str:
    """A round's pledged total over time against its goal, with the same in words."""
    series = s.charts.rounds.get(number) if s.charts is not None else None
    if series is None:
        return ""
    raised = series.points[-1][1] if series.points else 0
    title = t(_("Pledges to idea #{number} over time", number=number))
    desc = t(_("{raised} pledged of a {goal} goal, {n} changes recorded.",
               raised=s.money(raised), goal=s.money(series.goal), n=len(series.points) - 2))
    rows = [(datetime.fromtimestamp(at, ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M"),
             s.money(v)) for at, v in series.points]
    return (svg.progress("round" + str(number), series.points, series.goal, series.start,
                         series.end, title=title, desc=desc, money=s.money)
            + svg.table(title, [t(_("Time (UTC)")), t(_("Pledged"))], rows))


def feedback(s: Snapshot, t: Translate) -> str:
    """What users said of implemented ideas: the average out of 5 and how many rated."""
    out = [_heading("feedback", t(_("Feedback on implemented ideas")))]
    if not s.feedback:
        out.append(f'<p class="empty">{esc(t(_("No feedback yet.")))}</p>')
        return "".join(out)
    out.append('<ul class="feedback">')
    for f in s.feedback:
        label = t(_n("{average}/5 from {n} rating", "{average}/5 from {n} ratings", f.ratings,
                     average=f"{f.average:.1f}"))
        out.append(f'<li><span class="num">#{f.number}</span> <span class="title">'
                   f'{esc(f.title)}</span> <meter min="1" max="5" value="{f.average:.2f}" '
                   f'aria-label="{esc(label)}"></meter> <span class="meta">{esc(label)}</span>'
                   '</li>')
    out.append("</ul>")
    return "".join(out)


def flows(s: Snapshot, t: Translate) -> str:
    out = [_heading("flows", t(_("Who thanks whom")))]
    if not s.flows:
        out.append(f'<p class="empty">{esc(t(_("No tips yet.")))}</p>')
        return "".join(out)
    total = sum(f.amount for f in s.flows)
    members = len({n for f in s.flows for n in (f.giver, f.receiver)})
    out.append(svg.network(
        [(f.giver, f.receiver, f.amount) for f in s.flows],
        title=t(_("Who thanks whom, as a network")),
        desc=t(_("{n} links between {members} members, {amount} in all; the table below "
                 "lists them.", n=len(s.flows), members=members, amount=s.money(total))),
        money=s.money))
    out.append(f'<table><caption>{esc(t(_("Tips between members, largest first")))}</caption>'
               f'<thead><tr><th scope="col">{esc(t(_("From")))}</th>'
               f'<th scope="col">{esc(t(_("To")))}</th>'
               f'<th scope="col">{esc(t(_("Amount")))}</th>'
               f'<th scope="col">{esc(t(_("Tips")))}</th></tr></thead><tbody>')
    for i, f in enumerate(s.flows):
        out.append(f'<tr><td>{esc(f.giver)}</td><td>{esc(f.receiver)}</td>'
                   f'<td><meter id="flow{i}" min="0" max="1" value="{f.share:.3f}" '
                   f'aria-hidden="true"></meter> {esc(s.money(f.amount))}</td>'
                   f'<td>{f.tips}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


ACTIVITY_LABELS: dict[str, Text] = {"idea": _("Ideas"), "ballot": _("Ballots"),
                                     "tip": _("Tips"), "pledge": _("Pledges")}
STAGE_LABELS: dict[str, Text] = {
    "submitted": _("Submitted"), "supported": _("Supported"), "voting": _("In vote"),
    "accepted": _("Accepted"), "funded": _("Funded"), "implemented": _("Implemented")}


def charts(s: Snapshot, t: Translate) -> str:
    """Activity per day over 30 days and the idea funnel, each with its words and table."""
    out = [_heading("charts", t(_("The community at a glance")))]
    c = s.charts
    if c is None:
        return "".join(out)
    series = [svg.Series(t(ACTIVITY_LABELS[k]), v) for k, v in c.activity.items()]
    totals = ", ".join(x.label + " " + str(x.total) for x in series)
    title = t(_("Activity per day, last {n} days", n=len(c.days)))
    out.append('<figure class="picture">' + svg.activity(
        c.days, series, title=title,
        desc=t(_("From {first} to {last}: {totals}.", first=c.days[0], last=c.days[-1],
                 totals=totals))))
    out.append(svg.table(title, [t(_("Day")), *(x.label for x in series)],
                         [(day, *(x.values[i] for x in series)) for i, day in enumerate(c.days)
                          if any(x.values[i] for x in series)]))
    out.append("</figure>")
    stages = [(t(STAGE_LABELS[k]), n) for k, n in c.funnel]
    title = t(_("Idea pipeline, from submission to implementation"))
    words = ", ".join(label + " " + str(n) for label, n in stages)
    out.append('<figure class="picture">' + svg.funnel(
        stages, title=title,
        desc=t(_("Ideas that reached each stage or a later one: {list}.", list=words))))
    out.append(svg.table(title, [t(_("Stage")), t(_("Ideas"))], stages) + "</figure>")
    return "".join(out)


def leaderboard(s: Snapshot, t: Translate) -> str:
    title = _("Top balances") if s.leaderboard_kind == "balance" else _("Most thanked (30 days)")
    out = [_heading("leaderboard", t(title))]
    if not s.leaderboard:
        out.append(f'<p class="empty">{esc(t(_("Nobody yet.")))}</p>')
        return "".join(out)
    out.append('<ol class="ranks">')
    for r in s.leaderboard:
        out.append(f'<li><span class="name">{esc(r.name)}</span> '
                   f'<span class="amount">{esc(s.money(r.amount))}</span></li>')
    out.append("</ol>")
    return "".join(out)


def treasury(s: Snapshot, t: Translate) -> str:
    out = [_heading("treasury", t(_("Treasury and circulation"))), "<dl>"]
    if s.treasury is not None:
        out.append(f'<dt>{esc(t(_("Treasury")))}</dt><dd>{esc(s.money(s.treasury))}</dd>')
    out.append(f'<dt>{esc(t(_("Moved in the last 24 h")))}</dt>'
               f'<dd>{esc(s.money(s.moved_24h[0]))}</dd>'
               f'<dt>{esc(t(_("Tips in the last 24 h")))}</dt><dd>{s.tips_24h[1]}</dd></dl>')
    return "".join(out)


def activity_list(s: Snapshot, t: Translate, tz: ZoneInfo) -> str:
    out = [_heading("activity", t(_("Recent activity")))]
    if not s.activity:
        out.append(f'<p class="empty">{esc(t(_("Nothing has happened yet.")))}</p>')
        return "".join(out)
    out.append('<ol class="feed">')
    for r in s.activity:
        text = t(activity(r, s.who, s.money, s.idea_numbers))
        out.append(f'<li class="k-{esc(r.kind)}">{_time(r.at, tz)} {esc(text)}</li>')
    out.append("</ol>")
    return "".join(out)


def sections(s: Snapshot, t: Translate, tz: ZoneInfo) -> dict[str, str]:
    """Every section's inner HTML, by element id (the live script swaps them by id)."""
    return {
        "charts": charts(s, t),
        "pipeline": pipeline(s, t),
        "polls": polls(s, t),
        "funding": funding(s, t),
        "feedback": feedback(s, t),
        "flows": flows(s, t),
        "leaderboard": leaderboard(s, t),
        "treasury": treasury(s, t),
        "activity": activity_list(s, t, tz),
        "updated": esc(t(_("Updated {time}", time=datetime.fromtimestamp(s.at, tz).strftime(
            "%H:%M:%S")))),
    }


# -- pages ----------------------------------------------------------------------------------

def _document(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light dark">'
            f'<title>{esc(title)}</title><link rel="icon" href="data:,">'
            '<link rel="stylesheet" href="/static/pulse.css">'
            f'</head><body>{body}</body></html>')


#: The page shell, for the member's own page too (plugins.pulse.personal).
document = _document


def page(s: Snapshot, t: Translate, tz: ZoneInfo, *, lang: str, stream: str,
         query: dict[str, str]) -> str:
    """The whole dashboard of one community."""
    parts = sections(s, t, tz)
    langs = []
    for code, name in LANGUAGES.items():
        params = "&".join(f"{quote(k)}={quote(v)}" for k, v in {**query, "lang": code}.items())
        current = ' aria-current="true"' if code == lang else ""
        langs.append(f'<a href="?{esc(params)}" hreflang="{code}" lang="{code}"{current}>'
                     f'{esc(name)}</a>')
    title = t(_("Pulse of {community}", community=s.name))
    shown = [k for k in SECTIONS if (k != "funding" or s.funding is not None)
             and (k != "feedback" or s.feedback is not None)]
    body = [f'<a class="skip" href="#main">{esc(t(_("Skip to the dashboard")))}</a>',
            f'<header><h1>{esc(title)}</h1><p class="status"><span id="updated">'
            f'{parts["updated"]}</span> <span id="live" class="live" '
            f'data-on="{esc(t(_("live")))}" data-off="{esc(t(_("reconnecting…")))}"></span></p>'
            f'<nav aria-label="{esc(t(_("Language")))}">{" · ".join(langs)}</nav></header>',
            f'<main id="main" data-stream="{esc(stream)}">']
    for key in shown:
        body.append(f'<section id="{key}" class="card {key}" aria-labelledby="{key}-h">'
                    f'{parts[key]}</section>')
    body.append('</main><footer><p>' + esc(t(_(
        "Read-only view of what members can already see in chat: anonymous authors and "
        "secret ballots are never shown."))) + "</p></footer>")
    body.append('<script src="/static/pulse.js" defer></script>')
    return _document(lang, title, "".join(body))


def index(communities: list[tuple[str, str]], t: Translate, lang: str) -> str:
    """The list of public dashboards."""
    title = t(_("Ruche dashboards"))
    items = "".join(f'<li><a href="/c/{quote(cid, safe="")}">{esc(name)}</a></li>'
                    for cid, name in communities)
    if not items:
        items = f'<li>{esc(t(_("No public dashboard yet.")))}</li>'
    return _document(lang, title, f'<main id="main"><h1>{esc(title)}</h1><ul>{items}</ul></main>')
