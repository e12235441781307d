"""Chat commands of the currency: thin — parse, call the service, reply in the room's language."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import time
from typing import TYPE_CHECKING, Annotated, Literal

from bot.api import (
    Amount,
    BadArgument,
    Context,
    Member,
    MemberConverter,
    PositiveInt,
    Rest,
    Text,
    Word,
    command,
    describe,
    group,
    plural_translatable,
    requires,
    translatable,
)
from plugins.tips.config import TipsConfig
from plugins.tips.integrity import ledger_rows
from plugins.tips.ledger import parse_account
from plugins.tips.models import LedgerEntry
from plugins.tips.money import fmt
from plugins.tips.reactions import message_link

if TYPE_CHECKING:
    from plugins.tips import TipsPlugin
    from plugins.tips.service import TipsService

_ = translatable("tips")
_n = plural_translatable("tips")

HISTORY_DEFAULT = 10
HISTORY_MAX = 50
LEADERBOARD_SIZE = 10

CAUSES: dict[str, Text] = {
    "tip": _("tip"),
    "grant": _("grant"),
    "allowance": _("allowance"),
    "demurrage": _("demurrage"),
    "budget": _("giving budget"),
    "budget_expired": _("expired budget"),
    "idea_accepted": _("reward: idea accepted"),
    "idea_implemented": _("reward: idea implemented"),
    "idea_funded": _("reward: idea funded"),
    "campaign_bounty": _("reward: campaign bounty"),
    "activity": _("reward: activity"),
    "pledge": _("pledge"),
    "pledge_move": _("pledge moved to another round"),
    "funding": _("funding released"),
    "refund": _("refund"),
    "mint": _("minted"),
    "welcome": _("welcome gift"),
    "member_linked": _("accounts linked"),
}
PLACES: dict[str, Text] = {
    "treasury": _("the treasury"),
    "mint": _("new tokens"),
    "burn": _("burned"),
    "escrow": _("escrow"),
    "project": _("a project"),
}


def service(ctx: Context) -> TipsService:
    """This bot's tips service, held by the plugin instance that registered the command."""
    plugin: TipsPlugin = ctx.plugin
    return plugin.service


class Recipient:
    """A mentioned member; cached for a minute so a busy room's tips skip the member lookup
    (the core's converter does the lookup, and every refusal, on a miss)."""

    name = "@member"

    async def convert(self, ctx: Context, raw: str) -> Member:
        svc = service(ctx)
        key = (ctx.community.id, ctx.adapter.platform, raw)
        hit = svc.cached_recipient(key)
        if hit is not None:
            return hit
        member = await _MEMBER.convert(ctx, raw)
        svc.remember_recipient(key, member)
        return member


_MEMBER = MemberConverter()


@functools.lru_cache(maxsize=8)
def _amount(decimals: int) -> Amount:
    return Amount(decimals)


class TipAmount:
    """An amount at the community's display precision (`amount_decimals`), as an integer."""

    name = "amount"

    async def convert(self, ctx: Context, raw: str) -> int:
        decimals = service(ctx).config(ctx.community.id).amount_decimals
        if decimals == 0 and 0 < len(raw) <= 15 and raw.isascii() and raw.isdigit():
            value = int(raw)  # the common case, "5": what Amount accepts, minus its regexes
            if value > 0:
                return value
        return await _amount(decimals).convert(ctx, raw)


Who = Annotated[Member, Recipient()]
Tokens = Annotated[int, TipAmount()]
Token = Annotated[str, Word()]


def _money(cfg: TipsConfig, amount: int) -> str:
    return f"{fmt(cfg, amount)} {cfg.currency}"


@command("tip", names={"fr": "pourboire"})
@requires("tips.tip")
async def tip(ctx: Context, member: Who, amount: Tokens, reason: Rest | None = None) -> None:
    """Give tokens to a member as thanks."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    reply_to = ctx.message.reply_to
    link = message_link(ctx.bot, reply_to) if reply_to is not None else ""
    await svc.tip(ctx.community.id, ctx.member, member, amount, reason or "", link=link)
    await ctx.reply(svc.render(ctx.locale, _(
        "{sender} tipped {receiver} {amount}.", sender=ctx.member.display_name,
        receiver=member.display_name, amount=_money(cfg, amount))))


@command("balance", names={"fr": "solde"})
@requires("tips.view")
async def balance(ctx: Context, member: Who | None = None) -> None:
    """Show a member's balance (yours by default)."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    who = member or ctx.member
    held = await svc.holdings(ctx.community.id, who.id)
    lines = [ctx.t(_("{name} has {amount}.", name=who.display_name,
                     amount=_money(cfg, held.balance)))]
    if cfg.giving_budget > 0:
        lines.append(ctx.t(_("Giving budget left this period: {amount}.",
                             amount=_money(cfg, held.budget))))
    if cfg.mutual_credit:
        lines.append(ctx.t(_("Mutual credit: balances may go down to -{limit}.",
                             limit=_money(cfg, cfg.credit_limit))))
    await ctx.reply("\n".join(lines))


@command("history", names={"fr": "historique"})
@requires("tips.view")
async def history(ctx: Context, member: Token | None = None, n: Token | None = None) -> None:
    """Show the latest ledger entries of a member (yours by default)."""
    who, count = ctx.member, HISTORY_DEFAULT
    got_member = got_count = False
    for raw in (x for x in (member, n) if x is not None):
        if re.fullmatch(r"[+-]?[0-9]+", raw):  # `-3` is a number that is not positive
            if got_count:
                raise BadArgument(_("Give at most one member and one number."))
            count, got_count = await PositiveInt().convert(ctx, raw), True
            if count > HISTORY_MAX:
                raise BadArgument(_("Show between 1 and {max} entries.", max=HISTORY_MAX))
        else:
            if got_member:
                raise BadArgument(_("Give at most one member and one number."))
            who, got_member = await Recipient().convert(ctx, raw), True
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    entries = await svc.history(ctx.community.id, who.id, count)
    if not entries:
        await ctx.reply(_("{name} has no ledger entries yet.", name=who.display_name))
        return
    ids = {parse_account(a)[1] for e in entries for a in (e.src, e.dst)} - {None}
    names = await ctx.bot.identity.names(sorted(i for i in ids if i is not None))
    causes: dict[str, Text | str] = dict(CAUSES)
    for reason in {e.reason for e in entries} - set(causes):
        words = await ctx.bot.hooks.first_safe("describe_ledger_reason", bot=ctx.bot,
                                               reason=reason)
        if words is not None:
            causes[reason] = words
    lines = [ctx.t(_("Latest entries of {name}:", name=who.display_name))]
    lines += [_history_line(ctx, cfg, e, who.id, names, causes) for e in entries]
    await ctx.reply("\n".join(lines))


def _history_line(ctx: Context, cfg: TipsConfig, entry: LedgerEntry, member_id: int,
                  names: dict[int, str], causes: dict[str, Text | str]) -> str:
    """`2026-11-25 14:02 · +5 BZZ · tip · from bob · “thanks” · link`."""
    incoming = parse_account(entry.dst)[1] == member_id
    other = entry.src if incoming else entry.dst
    kind, other_id = parse_account(other)
    if other_id is not None:
        who = names.get(other_id, "?")
    else:
        place = PLACES.get(kind)
        who = ctx.t(place) if place is not None else other
    cause = causes.get(entry.reason)
    direction = _("from {who}", who=who) if incoming else _("to {who}", who=who)
    parts = [
        time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.at)),
        ("+" if incoming else "−") + _money(cfg, entry.amount),
        ctx.t(cause) if cause is not None else entry.reason,
        ctx.t(direction),
    ]
    if entry.memo and entry.reason in ("tip", "grant"):
        parts.append(f"“{entry.memo}”")
    if entry.link:
        parts.append(entry.link)
    return "• " + " · ".join(parts)


@command("leaderboard", names={"fr": "classement"},
         options={"period": {"fr": "période"}})
@requires("tips.view")
async def leaderboard(ctx: Context, *, period: Literal["week", "month", "all"] = "all") -> None:
    """Show the richest members, or the most thanked this week or month."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    top = await svc.leaderboard(ctx.community.id, period, LEADERBOARD_SIZE)
    if not top:
        empty = {"all": _("Nobody holds any {currency} yet.", currency=cfg.currency),
                 "week": _("Nobody was tipped this week yet."),
                 "month": _("Nobody was tipped this month yet.")}
        await ctx.reply(empty[period])
        return
    names = await ctx.bot.identity.names([m for m, _amount in top])
    title = {"all": _("Top balances:"), "week": _("Most thanked this week:"),
             "month": _("Most thanked this month:")}[period]
    lines = [ctx.t(title)]
    lines += [f"{i}. {names.get(m, '?')} — {_money(cfg, amount)}"
              for i, (m, amount) in enumerate(top, 1)]
    await ctx.reply("\n".join(lines))


@command("grant", names={"fr": "accorder"})
@requires("tips.grant")
async def grant(ctx: Context, member: Who, amount: Tokens, reason: Rest) -> None:
    """Pay a member from the community treasury (moderators)."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    await svc.treasury.grant(ctx.community.id, ctx.member, member, amount, reason)
    await ctx.reply(_("{moderator} granted {receiver} {amount} from the treasury: {reason}",
                      moderator=ctx.member.display_name, receiver=member.display_name,
                      amount=_money(cfg, amount), reason=reason))


@command("treasury", names={"fr": "trésorerie"})
@requires("tips.treasury")
async def treasury(ctx: Context) -> None:
    """Show the treasury and the money supply (moderators)."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    t = await svc.totals(ctx.community.id)
    lines = [
        ctx.t(_("Treasury: {amount}.", amount=_money(cfg, t["treasury"]))),
        ctx.t(_n("Held by {n} member: {amount}.", "Held by {n} members: {amount}.",
                 t["accounts"], amount=_money(cfg, t["members"]))),
    ]
    if cfg.mutual_credit:
        lines.append(ctx.t(_("Mutual credit: balances sum to {total}; credit limit {limit}.",
                             total=_money(cfg, t["total"]),
                             limit=_money(cfg, cfg.credit_limit))))
    else:
        lines.append(ctx.t(_("Minted {minted}, burned {burned}, in circulation {total}.",
                             minted=_money(cfg, t["minted"]), burned=_money(cfg, t["burned"]),
                             total=_money(cfg, t["total"]))))
        lines.append(ctx.t(_("Largest grant: {amount}.", amount=_money(cfg, cfg.max_grant))))
    await ctx.reply("\n".join(lines))


@group("ledger", names={"fr": "registre"})
async def ledger_group(ctx: Context) -> None:
    """The community ledger (moderators)."""
    await ctx.reply(await describe(ctx, ledger_group))


@ledger_group.subcommand("export", names={"fr": "exporter"})
@requires("tips.export")
async def export(ctx: Context, file_format: Literal["csv", "json"] = "csv") -> None:
    """Upload the whole ledger as a CSV or JSON file (moderators)."""
    svc = service(ctx)
    cfg = svc.config(ctx.community.id)
    rows = await ledger_rows(svc, ctx.community.id)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(ctx.bot.now()))
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", ctx.community.id)[:40]
    if file_format == "json":
        doc = {"community": ctx.community.id, "currency": cfg.currency,
               "amount_decimals": cfg.amount_decimals, "exported_at": stamp, "entries": rows}
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    else:
        buf = io.StringIO()
        fields = ["id", "time", "from", "from_name", "to", "to_name", "amount", "units",
                  "currency", "reason", "ref", "memo", "link"]
        writer = csv.DictWriter(buf, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        data = buf.getvalue().encode("utf-8")
    await ctx.send_file(f"ledger-{safe}-{stamp}.{file_format}", data,
                        _("Ledger of {community}: {count} entries.",
                          community=ctx.community.name, count=len(rows)))


COMMANDS = [tip, balance, history, leaderboard, grant, treasury, ledger_group]
