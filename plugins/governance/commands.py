"""Chat commands `!propose config|spend`, `!proposals`, `!rules`: parse → service → reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from bot.api import (
    Amount,
    Context,
    Member,
    MemberConverter,
    Rest,
    Text,
    UserError,
    Word,
    command,
    describe,
    group,
    requires,
    translatable,
)
from plugins.governance import store
from plugins.governance.models import Proposal
from plugins.governance.service import fmt_amount

if TYPE_CHECKING:
    from plugins.governance import GovernancePlugin
    from plugins.governance.service import GovernanceService

_ = translatable("governance")

#: A proposal's status in words.
STATUS: dict[str, Text] = {
    "opening": _("opening"),
    "open": _("open"),
    "paying": _("being paid"),
    "applied": _("applied"),
    "rejected": _("rejected"),
    "no_quorum": _("short of quorum"),
    "superseded": _("superseded"),
    "refused": _("refused"),
    "cancelled": _("cancelled"),
}
MAJORITY: dict[str, Text] = {
    "simple": _("more Yes than No"),
    "two-thirds": _("at least two thirds Yes"),
    "consensus": _("no Block ballot, and more Yes than No"),
}
LIST_SIZE = 10


def _svc(ctx: Context) -> GovernanceService:
    plugin: GovernancePlugin = ctx.plugin
    return plugin.service


class TokensConverter:
    """A positive amount of the community's tokens, at its display precision."""

    name = "amount"

    async def convert(self, ctx: Context, raw: str) -> int:
        _name, decimals = await _svc(ctx).currency(ctx.community.id)
        value: int = await Amount(decimals).convert(ctx, raw)
        return value


Tokens = Annotated[int, TokensConverter()]


@group("propose", names={"fr": "proposer"})
async def propose(ctx: Context) -> None:
    """Put a change of this community's settings, or a treasury spend, to a vote."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


def _opened(ctx: Context, p: Proposal) -> Text:
    return _("Proposal #{number} is open: vote on poll #{poll} with {prefix}vote {poll} Yes "
             "(or No).", number=p.number, poll=p.poll_number, prefix=ctx.prefix)


@propose.subcommand("config", names={"fr": "réglage"})
@requires("governance.propose")
async def propose_config(ctx: Context, key: Annotated[str, Word()],
                         value: Annotated[str, Word()], reason: Rest | None = None) -> None:
    """Propose a new value for a setting; checked like `config`, applied if the vote passes."""
    p = await _svc(ctx).propose_config(ctx.community, ctx.member, ctx.message.room, key, value,
                                       reason or "")
    await ctx.reply(_opened(ctx, p))


class Beneficiary:
    """`@member`, or the word `idea` (`idée`) followed by the idea's number in the rest."""

    name = "@member|idea"

    async def convert(self, ctx: Context, raw: str) -> Member | str:
        if raw.strip().lower() in IDEA_WORDS:
            return IDEA
        return await MemberConverter().convert(ctx, raw)


IDEA = "idea"
IDEA_WORDS = ("idea", "idée", "idee")


@propose.subcommand("spend", names={"fr": "dépense"})
@requires("governance.propose")
async def propose_spend(ctx: Context, amount: Tokens,
                        member_or_idea: Annotated[Member | str, Beneficiary()],
                        reason: Rest | None = None) -> None:
    """Propose paying a member or an idea's funding round from the treasury, once if passed."""
    svc = _svc(ctx)
    if isinstance(member_or_idea, Member):
        p = await svc.propose_spend(ctx.community, ctx.member, ctx.message.room, amount,
                                    member_or_idea, reason or "")
    else:
        first, _sep, rest = (reason or "").strip().partition(" ")
        number = first.removeprefix("#")
        if not number.isdigit() or not 0 < int(number) < 2**31:
            raise UserError(_("Name the idea by its number: {prefix}propose spend AMOUNT idea "
                              "N [reason].", prefix=ctx.prefix))
        p = await svc.propose_spend_idea(ctx.community, ctx.member, ctx.message.room, amount,
                                         int(number), rest)
    await ctx.reply(_opened(ctx, p))


@command("proposals", names={"fr": "propositions"})
async def proposals(ctx: Context) -> None:
    """List open proposals, then the latest decided ones."""
    found = await store.listing(ctx.bot.db, ctx.community.id, LIST_SIZE)
    if not found:
        await ctx.reply(_("No proposals yet; `propose` makes one."))
        return
    names = await ctx.bot.identity.names([p.member_id for p in found
                                          if p.member_id is not None])
    lines = [ctx.t(_("Proposals:"))]
    for p in found:
        if p.kind == "config":
            what = ctx.t(_("{key} → {value}", key=p.target, value=p.value))
        elif p.member_id is None:
            what = ctx.t(_("pay {amount} into the funding round of idea {idea}",
                           amount=p.value, idea=p.prior))
        else:
            who = names.get(p.member_id or 0, "?")
            what = ctx.t(_("pay {amount} to {member}", amount=p.value, member=who))
        poll = f" · poll #{p.poll_number}" if p.poll_number is not None else ""
        lines.append(f"• #{p.number} {what} — {ctx.t(STATUS.get(p.status, p.status))}{poll}")
    await ctx.reply("\n".join(lines))


@command("rules", names={"fr": "règles"})
async def rules(ctx: Context) -> None:
    """Show this community's constitution: what may be changed by vote, and how."""
    svc = _svc(ctx)
    c = svc.constitution(ctx.community.id)
    show = ctx.bot.settings.show
    quorum = await svc.required_quorum(ctx.community.id, c)
    lines = [ctx.t(_("Constitution of {community}:", community=ctx.community.name))]
    lines.append(ctx.t(_("• Settings that may be changed by vote: {keys}",
                         keys=", ".join(c.allowed) or "—")))
    lines.append(ctx.t(_("• Who may propose: {role} and above", role=c.proposer_role)))
    lines.append(ctx.t(_("• Vote: {method} poll, {ballots}, for {duration}",
                         method=c.method,
                         ballots=ctx.t(_("secret ballots") if c.secret
                                       else _("public ballots")),
                         duration=show(c.duration))))
    if c.quorum_share > 0:
        lines.append(ctx.t(_("• Quorum: {quorum} ballots now ({count} at least, or {share}% of "
                             "members active within {window})", quorum=quorum,
                             count=c.quorum, share=round(c.quorum_share * 100),
                             window=show(c.active_window))))
    else:
        lines.append(ctx.t(_("• Quorum: {quorum} ballots", quorum=quorum)))
    lines.append(ctx.t(_("• Passes with: {rule}", rule=ctx.t(MAJORITY[c.majority]))))
    lines.append(ctx.t(_("• Cooldown between proposals on the same thing: {cooldown}",
                         cooldown=show(c.cooldown))))
    if c.spend_max > 0:
        found = await ctx.bot.hooks.first("get_currency", bot=ctx.bot,
                                          community=ctx.community.id)
        name, decimals = found if found else ("", 0)
        period = (ctx.t(_(", {max} per {period}", max=fmt_amount(c.spend_period_max, decimals),
                          period=show(c.spend_period))) if c.spend_period_max > 0 else "")
        lines.append(ctx.t(_("• Treasury spending by vote: at most {max} {currency} per "
                             "proposal{period}", max=fmt_amount(c.spend_max, decimals),
                             currency=name, period=period)))
    else:
        lines.append(ctx.t(_("• Treasury spending by vote: not allowed")))
    await ctx.reply("\n".join(lines))


COMMANDS = (propose, proposals, rules)
