"""Chat commands `!budget open|show|support|withdraw|close`: parse → service → reply."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo

from bot.api import (
    Amount,
    BadArgument,
    Context,
    Text,
    UserError,
    describe,
    format_duration,
    group,
    parse_duration,
    requires,
    translatable,
)
from plugins.budget import closing, render, store
from plugins.budget.service import OpenRequest, remaining

if TYPE_CHECKING:
    from plugins.budget import BudgetPlugin
    from plugins.budget.service import BudgetService

_ = translatable("budget")

#: `3`, `#3` (approval) or `3:5` (points).
_CHOICE = re.compile(r"#?(\d{1,9})(?::(-?\d{1,9}))?")
_COST = re.compile(r"#?(\d{1,9}):(\S+)")


def _svc(ctx: Context) -> BudgetService:
    """The service of the plugin instance whose command runs (converters included)."""
    plugin: BudgetPlugin = ctx.plugin
    return plugin.service


async def _amount(ctx: Context, raw: str) -> int:
    cur = await _svc(ctx).currency(ctx.community.id)
    value: int = await Amount(cur.decimals).convert(ctx, raw)
    return value


class TokensConverter:
    """A positive amount of the community's tokens (`100`, or `2.50` with decimals)."""

    name = "amount"

    async def convert(self, ctx: Context, raw: str) -> int:
        return await _amount(ctx, raw)


class DeadlineConverter:
    """`--until 7d` (a duration from now) or `--until 2026-12-31` (the end of that day in the
    bot's time zone), as epoch seconds."""

    name = "duration|date"

    async def convert(self, ctx: Context, raw: str) -> float:
        now = float(ctx.bot.now())
        try:
            return now + parse_duration(raw).total_seconds()
        except ValueError:
            pass
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            raise BadArgument(_("“{raw}” is neither a duration (7d, 36h) nor a date "
                                "(2026-12-31).", raw=raw[:40])) from None
        tz = ZoneInfo(ctx.bot.config.bot.timezone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        return end.timestamp()


class CostsConverter:
    """`3:120,7:80`: the cost of ideas (by number) that have no open funding round."""

    name = "idea:cost,…"

    async def convert(self, ctx: Context, raw: str) -> dict[int, int]:
        costs: dict[int, int] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            found = _COST.fullmatch(part)
            if found is None:
                raise BadArgument(_("Costs are written IDEA:COST separated by commas, e.g. "
                                    "3:120,7:80; not “{raw}”.", raw=part[:40]))
            number = int(found.group(1))
            if number in costs:
                raise BadArgument(_("Idea #{number} is named twice.", number=number))
            costs[number] = await _amount(ctx, found.group(2))
        return costs


class ChoiceConverter:
    """One idea a member supports: `3` or `#3`, or `3:5` for five points."""

    name = "idea[:points]"

    async def convert(self, ctx: Context, raw: str) -> tuple[int, int | None]:
        found = _CHOICE.fullmatch(raw.strip())
        if found is None or int(found.group(1)) < 1:
            raise BadArgument(_("“{raw}” is not an idea: write its number, e.g. 3, or 3:5 "
                                "to give it five points.", raw=raw[:40]))
        points = found.group(2)
        return int(found.group(1)), None if points is None else int(points)


Tokens = Annotated[int, TokensConverter()]
Deadline = Annotated[float, DeadlineConverter()]
Costs = Annotated[dict[int, int], CostsConverter()]
Choice = Annotated[tuple[int, int | None], ChoiceConverter()]


async def _reply(ctx: Context, lines: list[Text | str]) -> None:
    await ctx.reply("\n".join(ctx.t(line) for line in lines))


@group("budget", names={"fr": "budget"})
async def budget_group(ctx: Context) -> None:
    """Spend part of the treasury on the ideas members support most."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@budget_group.subcommand("open", names={"fr": "ouvrir"}, options={
    "until": {"fr": "jusqua"}, "ideas": {"fr": "idees"}, "method": {"fr": "methode"},
    "costs": {"fr": "couts"}})
@requires("budget.open")
async def open_budget(ctx: Context, total: Tokens, *, until: Deadline,
                      ideas: Literal["accepted", "open"] = "accepted",
                      method: Literal["approval", "points"] = "approval",
                      costs: Costs | None = None) -> None:
    """Open a participatory budget from the treasury over the community's accepted ideas."""
    svc = _svc(ctx)
    opened = await svc.open(OpenRequest(
        community=ctx.community, member=ctx.member, total=total, deadline=until, status=ideas,
        method=method, costs=costs or {}, room=ctx.message.room))
    cur = await svc.display_currency(ctx.community.id)
    cfg = svc.config(ctx.community.id)
    left = format_duration(remaining(until, float(ctx.bot.now())))
    lines: list[Text | str] = [
        _("Budget open: {total} from the treasury, {method}; closes in {time}.",
          total=cur.fmt(total), method=render.method_label(method, cfg.points), time=left)]
    lines += [_("#{number} “{title}” · cost {cost}", number=i.number, title=i.title,
                cost=cur.fmt(i.cost)) for i in opened.ideas]
    if opened.without_cost:
        lines.append(_("Left out, without a cost: {ideas}.",
                       ideas=", ".join(f"#{n}" for n in opened.without_cost)))
    example = "3 7" if method == "approval" else "3:5 7:2"
    lines.append(_("Support ideas with {prefix}budget support {example}.", prefix=ctx.prefix,
                   example=example))
    await _reply(ctx, lines)


@budget_group.subcommand("show", names={"fr": "voir"})
async def show(ctx: Context) -> None:
    """Show the budget: its ideas, their support, and what would be funded now."""
    svc = _svc(ctx)
    db = ctx.bot.db
    round_id = await store.active_round_id(db, ctx.community.id)
    if round_id is None:
        latest = await store.latest_round_id(db, ctx.community.id)
        result = await closing.result_lines(svc, latest) if latest is not None else None
        if result is None:
            raise UserError(_("No budget is open."))
        await _reply(ctx, list(result))
        return
    head = await store.round_row(db, round_id)
    assert head is not None
    if head["state"] != "open":
        raise UserError(_("The budget is closing: its result follows shortly."))
    cur = await svc.display_currency(ctx.community.id)
    cfg = svc.config(ctx.community.id)
    ideas = await store.ideas(db, round_id)
    lines_now, spent = render.standing(head, ideas, await store.support_totals(db, round_id),
                                       cur, cfg.bar_width)
    left = format_duration(remaining(float(head["deadline"]), float(ctx.bot.now())))
    lines: list[Text | str] = [
        _("Budget of {total}, {method}; closes in {time}; {members}.",
          total=cur.fmt(int(head["total"])),
          method=render.method_label(head["method"], int(head["points"])), time=left,
          members=render.members(await store.supporters(db, round_id))),
        *lines_now,
        _("Would be funded now: {spent} of {total}.", spent=cur.fmt(spent),
          total=cur.fmt(int(head["total"])))]
    mine = await store.member_support(db, round_id, ctx.member.id)
    if mine:
        parts = [f"#{r['number']}" if head["method"] == "approval"
                 else f"#{r['number']}:{r['points']}" for r in mine]
        lines.append(_("Your support: {ideas}.", ideas=" ".join(parts)))
    await _reply(ctx, lines)


@budget_group.subcommand("support", names={"fr": "soutenir"})
@requires("budget.support")
async def support(ctx: Context, *ideas: Choice) -> None:
    """Support ideas of the budget (approval: 3 7; points: 3:5 7:2), replacing your support."""
    if not ideas:
        raise UserError(_("Name the ideas you support, e.g. {prefix}budget support 3 7.",
                          prefix=ctx.prefix))
    wanted = await _svc(ctx).support(ctx.community, ctx.member, ideas)
    round_id = await store.active_round_id(ctx.bot.db, ctx.community.id)
    head = await store.round_row(ctx.bot.db, round_id) if round_id is not None else None
    if head is not None and head["method"] == "points":
        parts = " ".join(f"#{n}:{p}" for n, p in sorted(wanted.items()))
        await ctx.reply(_("Your support: {ideas} ({used} of {points} points).", ideas=parts,
                          used=sum(wanted.values()), points=int(head["points"])))
    else:
        await ctx.reply(_("Your support: {ideas}.",
                          ideas=" ".join(f"#{n}" for n in sorted(wanted))))


@budget_group.subcommand("withdraw", names={"fr": "retirer"})
@requires("budget.support")
async def withdraw(ctx: Context) -> None:
    """Withdraw your whole support from the budget while it is open."""
    await _svc(ctx).withdraw(ctx.community, ctx.member)
    await ctx.reply(_("Your support is withdrawn."))


@budget_group.subcommand("close", names={"fr": "clore"})
@requires("budget.close")
async def close(ctx: Context) -> None:
    """Close the budget now and fund ideas by the same rule as at its deadline."""
    svc = _svc(ctx)
    round_id = await svc.active(ctx.community.id)
    await closing.close(svc, round_id, "close")
    await closing.drive(svc, round_id)
    await ctx.bot.audit.record(ctx.community.id, ctx.member, "budget.close",
                               f"budget {round_id}")
    result = await closing.result_lines(svc, round_id)
    if result is None:
        raise UserError(_("The budget is closing: a payment is still pending and will be "
                          "retried shortly."))
    await _reply(ctx, list(result))


COMMANDS = (budget_group,)
