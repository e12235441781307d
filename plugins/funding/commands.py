"""Chat commands `!fund open|show|list|close|update`, `!pledge`, `!unpledge`: parse → reply."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from bot.api import (
    Amount,
    BadArgument,
    Context,
    Duration,
    Positive,
    PositiveInt,
    Rest,
    Text,
    UserError,
    command,
    describe,
    group,
    plural_translatable,
    requires,
    translatable,
)
from plugins.funding import money, render, settlement, store, updates
from plugins.funding.models import Tier
from plugins.funding.service import OpenRequest
from plugins.funding.tiers import parse as parse_tiers
from plugins.funding.tiers import tier_for

if TYPE_CHECKING:
    from plugins.funding import FundingPlugin
    from plugins.funding.service import FundingService

_ = translatable("funding")
_n = plural_translatable("funding")

#: `!fund list` filters and the round states they show.
LISTS = {"open": ("open", "settling"), "ended": store.FINAL_STATES,
         "all": ("open", "settling", *store.FINAL_STATES)}


def _svc(ctx: Context) -> FundingService:
    """The service of the plugin instance whose command runs (converters included)."""
    plugin: FundingPlugin = ctx.plugin
    return plugin.service


# -- converters ------------------------------------------------------------------------------------

class IdeaNumberConverter:
    """An idea's number as members type it: `12` or `#12`."""

    name = "idea"

    async def convert(self, ctx: Context, raw: str) -> int:
        value: int = await PositiveInt().convert(ctx, raw.strip().removeprefix("#"))
        return value


async def _amount(ctx: Context, raw: str) -> int:
    """An amount at the community's display precision, as an integer of the smallest unit."""
    cur = await _svc(ctx).currency(ctx.community.id)
    value: int = await Amount(cur.decimals).convert(ctx, raw)
    return value


class TokensConverter:
    """A positive amount of the community's tokens (`10`, or `2.50` with decimals)."""

    name = "amount"

    async def convert(self, ctx: Context, raw: str) -> int:
        return await _amount(ctx, raw)


class TiersConverter:
    """`"10:Backer;50:Patron"`: reward tiers or stretch goals."""

    name = "AMOUNT:title;…"

    async def convert(self, ctx: Context, raw: str) -> tuple[Tier, ...]:
        limit = _svc(ctx).config(ctx.community.id).max_tiers
        return await parse_tiers(raw, lambda text: _amount(ctx, text), limit)


class WalletConverter:
    """Where a funded round's tokens go: `@member`, or a project wallet's name."""

    name = "@member|name"

    async def convert(self, ctx: Context, raw: str) -> str:
        text = raw.strip()
        if text.startswith("@"):
            member = await ctx.resolve_member(text)
            if member is None or member.is_bot:
                raise BadArgument(_("Unknown member: {raw}.", raw=text[:40]))
            return money.member_account(member.id)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", text):
            raise BadArgument(_("A project wallet is named with at most 32 lowercase letters, "
                                "digits, “-” or “_”, or is a @member."))
        return f"project:{text}"


IdeaNo = Annotated[int, IdeaNumberConverter()]
Tokens = Annotated[int, TokensConverter()]
TierSpec = Annotated[tuple[Tier, ...], TiersConverter()]
Wallet = Annotated[str, WalletConverter()]


async def _reply(ctx: Context, lines: list[Text | str]) -> None:
    await ctx.reply("\n".join(ctx.t(line) for line in lines))


# -- !fund -----------------------------------------------------------------------------------------

@group("fund", names={"fr": "financer"})
async def fund_group(ctx: Context) -> None:
    """Crowdfund accepted ideas with community tokens, all or nothing."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@fund_group.subcommand("open", names={"fr": "ouvrir"}, options={
    "until": {"fr": "jusqua"}, "tiers": {"fr": "paliers"}, "stretch": {"fr": "bonus"},
    "cap": {"fr": "plafond"}, "wallet": {"fr": "portefeuille"}})
@requires("funding.open")
async def open_round(ctx: Context, idea: IdeaNo, goal: Tokens, *, until: Duration | None = None,
                     tiers: TierSpec | None = None, stretch: TierSpec | None = None,
                     cap: Tokens | None = None, wallet: Wallet | None = None) -> None:
    """Open an all-or-nothing funding round for an accepted idea."""
    svc = _svc(ctx)
    opened = await svc.open_round(OpenRequest(
        community=ctx.community, member=ctx.member, number=idea, goal=goal, duration=until,
        tiers=tiers or (), stretch=stretch or (), cap=cap or 0, wallet=wallet,
        room=ctx.message.room))
    cur = await svc.display_currency(ctx.community.id)
    now = float(ctx.bot.now())
    await _reply(ctx, [
        _("Funding round open for idea #{number} “{title}”: goal {goal}, {time}.",
          number=opened.idea_number, title=opened.title, goal=cur.fmt(opened.goal),
          time=render.time_left(opened, now, ctx.bot.config.bot.timezone)),
        _("Pledge with {prefix}pledge {number} AMOUNT; if the goal is not reached, every "
          "pledge is refunded.", prefix=ctx.prefix, number=opened.idea_number),
    ])


@fund_group.subcommand("show", names={"fr": "voir"})
async def show(ctx: Context, idea: IdeaNo) -> None:
    """Show a funding round: progress, backers, time left, tiers and stretch goals."""
    svc = _svc(ctx)
    found = await svc.latest(ctx.community.id, idea)
    cfg = svc.config(ctx.community.id)
    if found.state == "succeeded":
        totals = [(int(r["member_id"]), int(r["amount"]))
                  for r in await store.backers(ctx.bot.db, found.id)]
    else:
        totals = await store.sums_by_member(ctx.bot.db, found.id, "confirmed")
    lines = await render.show(ctx.bot, found, await svc.display_currency(ctx.community.id),
                              totals, now=float(ctx.bot.now()), width=cfg.bar_width,
                              shown=cfg.show_backers, prefix=ctx.prefix)
    await _reply(ctx, lines)


@fund_group.subcommand("list", names={"fr": "liste"}, options={"page": {"fr": "page"}})
async def list_rounds(ctx: Context, state: Literal["open", "ended", "all"] = "open", *,
                      page: Positive = 1) -> None:
    """List funding rounds: in progress (default), ended or all."""
    svc = _svc(ctx)
    size = svc.config(ctx.community.id).list_size
    states = LISTS[state]
    found = await svc.rounds(ctx.community.id, states, size, (page - 1) * size)
    if not found:
        await ctx.reply(_("No funding round in progress.") if state == "open" and page == 1
                        else _("No funding rounds to show."))
        return
    total = await store.count_rounds(ctx.bot.db, ctx.community.id, states)
    cur = await svc.display_currency(ctx.community.id)
    now, tz = float(ctx.bot.now()), ctx.bot.config.bot.timezone
    lines: list[Text | str] = [_("Funding rounds, page {page} of {pages}:", page=page,
                                 pages=(total + size - 1) // size)]
    lines += ["• " + ctx.t(render.list_line(r, cur, now, tz)) for r in found]
    await _reply(ctx, lines)


@fund_group.subcommand("close", names={"fr": "clore"})
@requires("funding.moderate")
async def close(ctx: Context, idea: IdeaNo) -> None:
    """Settle a funding round now, by the same rule as at its deadline."""
    svc = _svc(ctx)
    current = await svc.active(ctx.community.id, idea)
    if current.state == "open":
        await settlement.close(svc, current.id, "close")
    else:
        await settlement.drive(svc, current.id)
    await ctx.bot.audit.record(ctx.community.id, ctx.member, "funding.close",
                               f"round {current.id} of idea #{idea}")
    final = await svc.round(current.id)
    assert final is not None
    if final.state not in store.FINAL_STATES:
        raise UserError(_("The round of idea #{number} is settling: a movement still in "
                          "flight will finish it shortly.", number=idea))
    funded = await settlement.backers_of(ctx.bot, final.id)
    await ctx.reply(await render.outcome(ctx.bot, final, funded,
                                         await svc.display_currency(ctx.community.id)))


@fund_group.subcommand("update", names={"fr": "nouvelles"})
async def update(ctx: Context, idea: IdeaNo, text: Rest) -> None:
    """Tell a round's backers how the project goes: posted here and sent to each privately."""
    sent = await updates.send(_svc(ctx), ctx.community.id, ctx.member, idea, text,
                              ctx.message.room)
    await ctx.reply(_n("Your update on idea #{number} went to its {n} backer privately.",
                       "Your update on idea #{number} went to its {n} backers privately.",
                       sent.backers, number=sent.round.idea_number))


# -- !pledge, !unpledge ------------------------------------------------------------------------------

@command("pledge", names={"fr": "promesse"})
@requires("funding.pledge")
async def pledge(ctx: Context, idea: IdeaNo, amount: Tokens) -> None:
    """Pledge tokens to an idea's funding round; refunded if its goal is missed."""
    svc = _svc(ctx)
    change = await svc.pledge(ctx.community, ctx.member, idea, amount)
    cur = await svc.display_currency(ctx.community.id)
    r = change.round
    title = tier_for(change.total, r.tiers)
    await _reply(ctx, [
        _("You pledged {amount} to idea #{number} (your pledge: {total}{tier}).",
          amount=cur.fmt(amount), number=idea, total=cur.fmt(change.total),
          tier=f", {title}" if title else ""),
        render.progress(r, cur, svc.config(ctx.community.id).bar_width),
    ])


@command("unpledge", names={"fr": "annuler-promesse"})
@requires("funding.pledge")
async def unpledge(ctx: Context, idea: IdeaNo) -> None:
    """Withdraw your pledge to an idea before its deadline: it is refunded in full."""
    svc = _svc(ctx)
    change, refunded = await svc.unpledge(ctx.community, ctx.member, idea)
    cur = await svc.display_currency(ctx.community.id)
    if refunded:
        await ctx.reply(_("Your pledge of {amount} to idea #{number} was refunded.",
                          amount=cur.fmt(change.amount), number=idea))
    else:
        await ctx.reply(_("Your pledge of {amount} to idea #{number} is withdrawn; the refund "
                          "will follow shortly.", amount=cur.fmt(change.amount), number=idea))


COMMANDS = (fund_group, pledge, unpledge)
