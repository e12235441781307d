"""Chat commands: `!poll new|show|list|results|close|cancel`, `!vote`, `!unvote` — thin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from bot.api import (
    BadArgument,
    Context,
    Duration,
    Integer,
    Positive,
    UserError,
    command,
    describe,
    group,
    requires,
    translatable,
)
from plugins.votes import closing, render, store
from plugins.votes.models import MAX_QUORUM, PollRequest

if TYPE_CHECKING:
    from plugins.votes import VotesPlugin
    from plugins.votes.models import Poll
    from plugins.votes.service import VotesService

_ = translatable("votes")

Method = Literal["single", "approval", "ranked", "score", "quadratic"]


class PollNumberConverter:
    """A poll number as members type it: `3` or `#3`."""

    name = "poll"

    async def convert(self, ctx: Context, raw: str) -> int:
        text = raw.strip().removeprefix("#")
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 2**31:
            raise BadArgument(_("“{raw}” is not a poll number (like 3 or #3).", raw=raw[:20]))
        return int(text)


PollNumber = Annotated[int, PollNumberConverter()]


class QuorumConverter(Integer):
    """`--quorum N`: ballots needed for a result, refused before anything is stored."""

    async def convert(self, ctx: Context, raw: str) -> int:
        value = await super().convert(ctx, raw)
        if not 0 <= value <= MAX_QUORUM:
            raise BadArgument(_("The quorum must be a whole number of ballots, 0 or more."))
        return value


Quorum = Annotated[int, QuorumConverter()]


def service(ctx: Context) -> VotesService:
    """This bot's votes service, held by the plugin instance that registered the command."""
    plugin: VotesPlugin = ctx.plugin
    return plugin.service


async def _poll(ctx: Context, number: int, *, fresh: bool = False) -> Poll:
    return await service(ctx).get(ctx.community.id, number, fresh=fresh)


@group("poll", names={"fr": "sondage"})
async def poll_group(ctx: Context) -> None:
    """Create, show and manage polls."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@poll_group.subcommand("new", names={"fr": "nouveau"}, options={
    "method": {"fr": "méthode"}, "duration": {"fr": "durée"}, "anonymous": {"fr": "anonyme"},
    "hidden": {"fr": "caché"}, "quorum": {"fr": "quorum"}, "max_choices": {"fr": "choix_max"}})
@requires("votes.create")
async def new(ctx: Context, question: str, *options: str, method: Method | None = None,
              duration: Duration | None = None, anonymous: bool = False,
              hidden: bool = False, quorum: Quorum = 0,
              max_choices: Positive | None = None) -> None:
    """Open a poll: new "Question" "Option A" "Option B" …"""
    svc = service(ctx)
    request = PollRequest(
        community=ctx.community.id, room=ctx.message.room, question=question,
        options=tuple(options), method=method or svc.config(ctx.community.id).default_method,
        duration_seconds=duration.total_seconds() if duration is not None else None,
        creator_id=ctx.member.id, anonymous=anonymous, hidden=hidden, quorum=quorum,
        max_choices=max_choices)
    await svc.open_poll(request)


@poll_group.subcommand("show", names={"fr": "voir"})
async def show(ctx: Context, number: PollNumber) -> None:
    """Show a poll and its live tally."""
    poll = await _poll(ctx, number, fresh=True)
    await ctx.reply(await service(ctx).message_text(poll))


@poll_group.subcommand("list", names={"fr": "liste"}, options={"page": {"fr": "page"}})
async def list_polls(ctx: Context, state: Literal["open", "closed", "all"] = "open", *,
                     page: Positive = 1) -> None:
    """List the polls: open (default), closed or all."""
    svc = service(ctx)
    size = svc.config(ctx.community.id).list_page_size
    statuses = {"open": ("open",), "closed": ("closed", "cancelled"),
                "all": ("open", "closed", "cancelled")}[state]
    polls, total = await store.list_polls(ctx.bot.db, ctx.community.id, statuses, size,
                                          (page - 1) * size)
    if not polls:
        await ctx.reply(_("No polls here yet.") if page == 1 else _("No such page."))
        return
    pages = (total + size - 1) // size
    heads = {"open": _("Open polls, page {page} of {pages}:", page=page, pages=pages),
             "closed": _("Ended polls, page {page} of {pages}:", page=page, pages=pages),
             "all": _("All polls, page {page} of {pages}:", page=page, pages=pages)}
    lines = [ctx.t(heads[state])]
    tz = ctx.bot.config.bot.timezone
    for poll in polls:
        count = await store.count_ballots(ctx.bot.db, poll.id)
        lines.append("• " + render.list_line(poll, count, ctx.t, tz))
    await ctx.reply("\n".join(lines))


@poll_group.subcommand("results", names={"fr": "résultats"})
async def results(ctx: Context, number: PollNumber) -> None:
    """Show a poll's results (hidden polls: once closed)."""
    svc = service(ctx)
    poll = await _poll(ctx, number, fresh=True)
    if poll.status == "cancelled":
        raise UserError(_("Poll #{number} was cancelled: it has no results.", number=number))
    if poll.hidden and poll.is_open:
        raise UserError(_("The results of poll #{number} stay hidden until it closes.",
                          number=number))
    await ctx.reply(render.results_text(poll, await svc.result(poll), ctx.t))


async def _manage(ctx: Context, number: int) -> Poll:
    """The poll, if the member may close/cancel it and it is still open."""
    svc = service(ctx)
    poll = await store.find_poll(ctx.bot.db, ctx.community.id, number)
    if poll is None:
        raise UserError(_("There is no poll #{number}.", number=number))
    if not await svc.may_manage(poll, ctx.member, ctx.community):
        raise UserError(_("Only the poll's creator or a moderator can do that."))
    if not poll.is_open:
        raise UserError(_("Poll #{number} has already ended.", number=number))
    return poll


async def _end(ctx: Context, poll: Poll, status: str) -> None:
    """Close or cancel; a moderator ending someone else's poll goes to the audit log."""
    if await closing.end(service(ctx), poll.id, status) is None:
        raise UserError(_("Poll #{number} has already ended.", number=poll.number))
    if poll.creator_id != ctx.member.id:
        action = "votes.close" if status == "closed" else "votes.cancel"
        await ctx.bot.audit.record(ctx.community.id, ctx.member, action, f"poll #{poll.number}")


@poll_group.subcommand("close", names={"fr": "clore"})
async def close(ctx: Context, number: PollNumber) -> None:
    """Close a poll now and show its result (creator or moderator)."""
    await _end(ctx, await _manage(ctx, number), "closed")
    if not service(ctx).config(ctx.community.id).announce_results:
        await ctx.reply(_("Poll #{number} is closed.", number=number))


@poll_group.subcommand("cancel", names={"fr": "annuler"})
async def cancel(ctx: Context, number: PollNumber) -> None:
    """Cancel a poll without result; token costs are refunded (creator or moderator)."""
    poll = await _manage(ctx, number)
    await _end(ctx, poll, "cancelled")
    if poll.currency == "tokens":
        await ctx.reply(_("Poll #{number} was cancelled; the tokens its ballots cost are "
                          "refunded.", number=number))
    else:
        await ctx.reply(_("Poll #{number} was cancelled.", number=number))


@command("vote", names={"fr": "voter"})
@requires("votes.vote")
async def vote(ctx: Context, poll: PollNumber, *choices: str) -> None:
    """Vote: vote 3 B · vote 3 A C · vote 3 C>A>B · vote 3 A=5 B=2"""
    target = await _poll(ctx, poll)
    replaced = await service(ctx).cast(target, ctx.member, choices)
    if replaced:
        await ctx.reply(_("Your ballot on poll #{number} replaces your previous one.",
                          number=poll), ephemeral=True)
    else:
        await ctx.reply(_("Your ballot on poll #{number} is recorded.", number=poll),
                        ephemeral=True)


@command("unvote", names={"fr": "retirer-vote"})
@requires("votes.vote")
async def unvote(ctx: Context, poll: PollNumber) -> None:
    """Withdraw your ballot from a poll."""
    target = await _poll(ctx, poll)
    await service(ctx).withdraw(target, ctx.member)
    await ctx.reply(_("Your ballot on poll #{number} is withdrawn.", number=poll),
                    ephemeral=True)


COMMANDS = [poll_group, vote, unvote]
