"""Poll and result text: bars, the IRV round table, translated for the community's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.api import Button, Text, plural_translatable, translatable
from plugins.votes.ballots import example, option_label
from plugins.votes.models import Poll, PollResult

_ = translatable("votes")
_n = plural_translatable("votes")

Translate = Callable[[Text | str], str]

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
BAR_WIDTH = 10


def method_name(poll: Poll) -> Text:
    """How a method is called in messages."""
    if poll.method == "score":
        return _("score from 0 to {max}", max=poll.score_max)
    if poll.method == "quadratic":
        if poll.currency == "tokens":
            return _("quadratic, paid in tokens (cost = votes², at most {budget})",
                     budget=poll.credits)
        return _("quadratic, {budget} voice credits (cost = votes²)", budget=poll.credits)
    return {"single": _("single choice"), "approval": _("approval"),
            "ranked": _("ranked, instant runoff")}[poll.method]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A text bar: █ for the filled part, ░ for the rest."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def number(value: float) -> str:
    """1 rather than 1.0, and at most two decimals otherwise."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def when(timestamp: float, tz: str) -> str:
    """A deadline in the bot's time zone, to the minute."""
    try:
        zone = ZoneInfo(tz)
    except Exception:
        zone = ZoneInfo("UTC")
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or tz)


def label(poll: Poll, index: int, *, keycap: bool = False) -> str:
    """`1️⃣ A · Option text` — the letter is what `!vote` takes."""
    head = f"{KEYCAPS[index]} " if keycap and index < len(KEYCAPS) else ""
    return f"{head}{option_label(index)} · {poll.options[index]}"


def option_lines(poll: Poll, result: PollResult, t: Translate, *, keycaps: bool = False
                 ) -> list[str]:
    """One line per option with its bar and figures, in poll order."""
    totals = result.totals
    lines = []
    if poll.method == "score":
        for i in range(len(poll.options)):
            mean = result.means[i] if result.means else 0.0
            lines.append(f"{label(poll, i, keycap=keycaps)}  {bar(mean / poll.score_max)} "
                         + t(_("total {total} · mean {mean}", total=number(totals[i]),
                               mean=f"{mean:.2f}")))
        return lines
    if poll.method == "quadratic":
        top = max((abs(x) for x in totals), default=0.0) or 1.0
        return [f"{label(poll, i, keycap=keycaps)}  {bar(abs(totals[i]) / top)} "
                f"{'+' if totals[i] > 0 else ''}{number(totals[i])}"
                for i in range(len(poll.options))]
    if poll.method == "approval":
        base = float(result.ballots) if result.ballots else 0.0
        weight = max(base, max(totals, default=0.0))
    else:
        weight = sum(totals)
    for i in range(len(poll.options)):
        share = totals[i] / weight if weight else 0.0
        lines.append(f"{label(poll, i, keycap=keycaps)}  {bar(share)} "
                     f"{number(totals[i])} ({share:.0%})")
    return lines


def outcome(poll: Poll, result: PollResult) -> Text:
    """The one line that says what the poll decided."""
    if not result.quorum_met:
        counted = result.ballots if result.present is None else result.present
        return _("Quorum not reached ({ballots} of {quorum} ballots): no decision.",
                 ballots=counted, quorum=poll.quorum)
    if result.ballots == 0:
        return _("No ballots were cast.")
    if result.winner is None:
        return _("Tie: no option won.")
    return _("Winner: {option}", option=label(poll, result.winner))


def rounds_lines(poll: Poll, result: PollResult, t: Translate) -> list[str]:
    """The instant-runoff table: one line per round, eliminated options dropped."""
    lines = [t(_("Round by round (instant runoff):"))]
    out: set[int] = set()
    cursor = 0
    for number_, counts in enumerate(result.rounds, start=1):
        cells = " · ".join(f"{option_label(i)} {number(counts[i])}"
                           for i in range(len(poll.options)) if i not in out)
        note = ""
        last = number_ == len(result.rounds)
        if not last:
            gone: list[int] = []
            # options leaving after this round: zero-vote ones together, else exactly one
            while cursor < len(result.eliminated):
                option = result.eliminated[cursor]
                if gone and counts[option] != 0:
                    break
                gone.append(option)
                cursor += 1
                if counts[option] != 0:
                    break
            out.update(gone)
            note = t(_("eliminated: {options}",
                       options=", ".join(option_label(o) for o in gone)))
        elif result.winner is not None and len(result.rounds) > 0:
            note = t(_("{option} has a majority", option=option_label(result.winner)))
        exhausted = result.exhausted[number_ - 1] if result.exhausted else 0.0
        if exhausted:
            note += " · " + t(_("{n} exhausted", n=number(exhausted)))
        lines.append(t(_("Round {n}:", n=number_)) + f" {cells}" + (f" — {note}" if note else ""))
    return lines


def poll_message(poll: Poll, result: PollResult | None, ballots: int, t: Translate, *,
                 tz: str, prefix: str, keycaps: bool) -> str:
    """The live tally message, edited in place until the final version at close."""
    if poll.status == "cancelled":
        return "\n".join([t(_("📊 Poll #{number} — {question}", number=poll.number,
                              question=poll.question)),
                          t(_("This poll was cancelled."))])
    closed = poll.status == "closed"
    head = _("📊 Poll #{number} (closed) — {question}", number=poll.number,
             question=poll.question) if closed else \
        _("📊 Poll #{number} — {question}", number=poll.number, question=poll.question)
    lines = [t(head)]
    show_tally = result is not None and (closed or not poll.hidden)
    if show_tally and result is not None:
        lines += option_lines(poll, result, t, keycaps=keycaps and not closed)
    else:
        lines += [label(poll, i, keycap=keycaps) for i in range(len(poll.options))]
    info = [t(method_name(poll)), t(_n("{n} ballot", "{n} ballots", ballots))]
    if poll.quorum:
        info.append(t(_("quorum {quorum}", quorum=poll.quorum)))
    if not closed and poll.closes_at is not None:
        info.append(t(_("closes {when}", when=when(poll.closes_at, tz))))
    lines.append(" · ".join(info))
    if closed and result is not None:
        lines.append(t(outcome(poll, result)))
    else:
        if poll.hidden:
            lines.append(t(_("Results stay hidden until the poll closes.")))
        vote = t(_("Vote: {prefix}vote {number} {example}", prefix=prefix, number=poll.number,
                   example=example(poll.method, len(poll.options))))
        if keycaps:
            vote += " " + t(_("— or react with {first}…{last}", first=KEYCAPS[0],
                              last=KEYCAPS[len(poll.options) - 1]))
        lines.append(vote)
    if poll.anonymous:
        lines.append(t(_("🔒 Secret ballot: ballots are stored under a key that is destroyed "
                         "when the poll closes, so nobody can link a ballot to a member "
                         "afterwards.")))
    return "\n".join(lines)


def results_text(poll: Poll, result: PollResult, t: Translate) -> str:
    """`!poll results` and the announcement at close: ranking, outcome, IRV rounds."""
    state = {"open": _("open"), "closed": _("closed"), "cancelled": _("cancelled")}[poll.status]
    lines = [t(_("Results of poll #{number} ({state}) — {question}", number=poll.number,
                 state=t(state), question=poll.question))]
    lines += option_lines(poll, result, t)
    lines.append(t(_n("{n} ballot", "{n} ballots", result.ballots)) + " · "
                 + t(method_name(poll)))
    if poll.status == "closed":
        lines.append(t(outcome(poll, result)))
    elif result.winner is not None:
        lines.append(t(_("Leading: {option}", option=label(poll, result.winner))))
    if poll.method == "ranked" and result.rounds:
        lines += rounds_lines(poll, result, t)
    return "\n".join(lines)


def buttons(poll: Poll, t: Translate) -> tuple[Button, ...]:
    """Discord-style buttons (each is a command line run as the clicking member).

    Single choice gets one button per option; every method gets a form to type a ballot,
    a withdraw button and a results button (the live tally stays in the message)."""
    if not poll.is_open:
        return ()
    out: list[Button] = []
    if poll.method == "single":
        out += [Button(label(poll, i)[:80], f"cmd:vote {poll.number} {option_label(i)}",
                       emoji=KEYCAPS[i] if i < len(KEYCAPS) else "", style="primary")
                for i in range(len(poll.options))]
    else:
        out.append(Button(t(_("Vote…")), f"form:vote {poll.number}", emoji="🗳️",
                          style="primary"))
    out.append(Button(t(_("Withdraw my ballot")), f"cmd:unvote {poll.number}"))
    if not poll.hidden:
        out.append(Button(t(_("Results")), f"cmd:poll results {poll.number}", emoji="📊"))
    return tuple(out)


def list_line(poll: Poll, ballots: int, t: Translate, tz: str) -> str:
    """One poll in `!poll list`."""
    state = t(_n("{n} ballot", "{n} ballots", ballots))
    if poll.status == "open" and poll.closes_at is not None:
        state += " · " + t(_("closes {when}", when=when(poll.closes_at, tz)))
    elif poll.status != "open":
        state += " · " + t({"closed": _("closed"), "cancelled": _("cancelled")}[poll.status])
    return f"#{poll.number} {poll.question} — {state}"
