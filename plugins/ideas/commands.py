"""Chat commands `!idea …` and `!campaign …`: parse → service → reply, nothing more."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated, Literal

from bot.api import (
    Amount,
    BadArgument,
    Choice,
    Context,
    Duration,
    Member,
    OutgoingMessage,
    Positive,
    PositiveInt,
    Rest,
    Text,
    UserError,
    describe,
    group,
    parse_duration,
    requires,
    translatable,
)
from plugins.ideas import campaigns, reading, render, service
from plugins.ideas.campaigns import Until
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import STATUSES, status_label
from plugins.ideas.service import Crossing
from plugins.ideas.voting import PollOutcome

_ = translatable("ideas")
log = logging.getLogger("ruche.ideas")


# -- converters ------------------------------------------------------------------------------------

class IdeaNumberConverter:
    """An idea's number as members see it: `12` or `#12`."""

    name = "number"

    async def convert(self, ctx: Context, raw: str) -> int:
        value: int = await PositiveInt().convert(ctx, raw.strip().removeprefix("#"))
        return value


class RatingConverter:
    """A feedback rating, 1 to 5."""

    name = "1-5"

    async def convert(self, ctx: Context, raw: str) -> int:
        if raw.strip() not in ("1", "2", "3", "4", "5"):
            raise BadArgument(_("The rating is a whole number from 1 to 5, not “{raw}”.",
                                raw=render.clip(raw, 20)))
        return int(raw.strip())


class CampaignNameConverter:
    """One word naming a campaign (letters, digits, `-`, `_`, `.`)."""

    name = "name"

    async def convert(self, ctx: Context, raw: str) -> str:
        if not re.fullmatch(r"\w[\w.\-]{0,39}", raw.strip()):
            raise BadArgument(_("A campaign name is one word of at most 40 letters, digits, "
                                "“-” or “.”, not “{raw}”.", raw=render.clip(raw, 40)))
        return raw.strip()


class UntilConverter:
    """A deadline: a duration (`7d`) or a date (`2026-12-31`, `2026-12-31T18:00`)."""

    name = "date|duration"

    async def convert(self, ctx: Context, raw: str) -> Until:
        text = raw.strip()
        try:
            return Until(duration=parse_duration(text))
        except ValueError:
            pass
        for fmt, date_only in (("%Y-%m-%d", True), ("%Y-%m-%dT%H:%M", False)):
            try:
                return Until(moment=datetime.strptime(text, fmt), date_only=date_only)
            except ValueError:
                continue
        raise BadArgument(_("“{raw}” is neither a date like 2026-12-31 nor a duration like 7d.",
                            raw=render.clip(raw, 40)))


class CreditShareConverter:
    """A credited contributor's share: a whole number from 1 to 100."""

    name = "share"

    async def convert(self, ctx: Context, raw: str) -> int:
        text = raw.strip()
        if not text.isdigit() or not 1 <= int(text) <= service.MAX_CREDIT_SHARE:
            raise BadArgument(_("A share is a whole number from 1 to {limit}, not “{raw}”.",
                                limit=service.MAX_CREDIT_SHARE, raw=render.clip(raw, 20)))
        return int(text)


IdeaNo = Annotated[int, IdeaNumberConverter()]
CreditShare = Annotated[int, CreditShareConverter()]
Rating = Annotated[int, RatingConverter()]
CampaignName = Annotated[str, CampaignNameConverter()]
Deadline = Annotated[Until, UntilConverter()]
Bounty = Annotated[int, Amount()]
StatusFilter = Annotated[str, Choice(*STATUSES, "all")]
Method = Literal["single", "approval", "ranked", "score", "quadratic"]


# -- helpers ---------------------------------------------------------------------------------------

async def _moderator(ctx: Context) -> bool:
    return await service.is_moderator(ctx.bot, ctx.member, ctx.community)


async def _reply_lines(ctx: Context, lines: list[Text | str | None]) -> None:
    await ctx.reply("\n".join(ctx.t(line) for line in lines if line is not None))


def _poll_lines(ctx: Context, number: int, outcome: PollOutcome | None,
                auto_poll: bool) -> list[Text | str | None]:
    if outcome is not None and outcome.skipped:
        return []
    if outcome is not None and outcome.poll is not None:
        poll = getattr(outcome.poll, "number", "?")
        return [_("Idea #{number} is now being voted on: poll #{poll} ({prefix}poll show {poll}).",
                  number=number, poll=poll, prefix=ctx.prefix)]
    if auto_poll:
        return [_("Voting is unavailable: a moderator will decide.")]
    return [_("A moderator will decide, or put it to a vote with {prefix}idea poll {number}.",
              prefix=ctx.prefix, number=number)]


def _crossing_lines(ctx: Context, crossing: Crossing | None) -> list[Text | str | None]:
    if crossing is None:
        return []
    idea = crossing.change.idea
    cfg = ctx.bot.plugin_config(IdeasConfig, ctx.community.id)
    return [_("Idea #{number} reached {supports} and moves to review.",
              number=idea.number, supports=render.supports(cfg.support_threshold)),
            *_poll_lines(ctx, idea.number, crossing.poll, cfg.auto_poll)]


# -- !idea -----------------------------------------------------------------------------------------

@group("idea", names={"fr": "idée"})
async def idea_group(ctx: Context) -> None:
    """Ideas: propose, support, discuss and decide together."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@idea_group.subcommand("submit", names={"fr": "soumettre"}, options={
    "campaign": {"fr": "campagne"}, "anonymous": {"fr": "anonyme"}})
@requires("ideas.submit")
async def submit(ctx: Context, text: Rest, *, campaign: CampaignName | None = None,
                 anonymous: bool = False) -> None:
    """Propose an idea: a title, then | and a description.

    Example: !idea submit Dark mode | easier on the eyes at night --anonymous
    """
    row = await service.submit(ctx.bot, ctx.community, ctx.member, ctx.message.room, text,
                               campaign=campaign, anonymous=anonymous,
                               moderator=await _moderator(ctx))
    lines: list[Text | str | None] = []
    if row.status == "pending":
        lines.append(_("Idea #{number} “{title}” is waiting for a moderator's approval.",
                       number=row.number, title=row.title))
    else:
        lines.append(_("Idea #{number} “{title}” submitted. Support it with "
                       "{prefix}idea support {number}.", number=row.number, title=row.title,
                       prefix=ctx.prefix))
    if row.anonymous:
        lines.append(_("The author stays anonymous to other members."))
    await _reply_lines(ctx, lines)
    if ctx.replies:
        await service.remember_message(ctx.bot, row.id, ctx.replies[-1].id)


@idea_group.subcommand("list", names={"fr": "liste"}, options={
    "mine": {"fr": "miennes"}, "campaign": {"fr": "campagne"}, "page": {"fr": "page"}})
async def list_ideas(ctx: Context, status: StatusFilter | None = None, *, mine: bool = False,
                     campaign: CampaignName | None = None, page: Positive = 1) -> None:
    """List ideas, newest first: by status, your own, or a campaign's."""
    moderator = await _moderator(ctx)
    result = await reading.list_page(ctx.bot, ctx.community, ctx.member, status=status,
                                     mine=mine, campaign=campaign, page=page,
                                     moderator=moderator)
    if not result.rows:
        await ctx.reply(_("No ideas here yet. Propose one with {prefix}idea submit <title>.",
                          prefix=ctx.prefix) if page == 1 else
                        _("No ideas on page {page}.", page=page))
        return
    reveal = moderator and ctx.message.is_direct
    command = f"{ctx.prefix}idea list" + (f" {status}" if status else "") + \
        (" --mine" if mine else "") + (f" --campaign {campaign}" if campaign else "")
    await _reply_lines(ctx, [
        _("Ideas, page {page}:", page=page),
        *(render.idea_line(r, result.names, reveal=reveal) for r in result.rows),
        render.page_footer(page, result.has_more, command),
    ])


@idea_group.subcommand("show", names={"fr": "voir"})
async def show(ctx: Context, idea: IdeaNo) -> None:
    """Show an idea: status, authors, supports, comments, poll and feedback."""
    moderator = await _moderator(ctx)
    d = await reading.details(ctx.bot, ctx.community, ctx.member, idea, moderator=moderator)
    row, names = d.row, d.names
    reveal = moderator and ctx.message.is_direct
    cfg = ctx.bot.plugin_config(IdeasConfig, ctx.community.id)
    lines: list[Text | str | None] = [
        _("Idea #{number} “{title}” — {status}", number=row.number, title=row.title,
          status=status_label(row.status)),
        row.description or None,
        _("By {author}", author=render.author(row, names, reveal=reveal)),
        _("Co-authors: {names}", names=", ".join(names.get(i, "?") for i in d.coauthors))
        if d.coauthors else None,
        _("Credited: {names}", names=", ".join(
            f"{names.get(m, '?')} ({share})" for m, share in d.credits)) if d.credits else None,
        _("Campaign: {name}", name=row.campaign) if row.campaign else None,
        _("Supports: {count} of {threshold} needed for review", count=row.supporters,
          threshold=cfg.support_threshold) if row.status == "open" else
        _("Supports: {count}", count=row.supporters),
        _("Comments: {count}", count=row.comments),
        _("Poll: #{poll} ({prefix}poll show {poll})", poll=row.poll_number, prefix=ctx.prefix)
        if row.poll_number is not None else None,
        _("Merged into idea #{target}.", target=d.merged_into) if d.merged_into else None,
        _("Reason: {reason}", reason=row.reason)
        if row.reason and row.status in ("accepted", "rejected", "implemented") else None,
        _("Feedback: {average}/5 ({ratings})", average=f"{d.feedback[1]:.1f}",
          ratings=render.ratings(d.feedback[0])) if d.feedback[0] else None,
    ]
    if d.comments:
        lines.append(_("Latest comments:"))
        lines += [f"  {ctx.t(render.commenter(row, m, names, reveal=reveal))}: "
                  f"{render.clip(text, 200)}" for m, text, _at in d.comments]
    lines += list(d.extra)
    await _reply_lines(ctx, lines)
    if row.anonymous and moderator and not ctx.message.is_direct:
        text = ctx.t(_("Idea #{number} was submitted anonymously by {name} (only moderators "
                       "see this).", number=row.number, name=names.get(row.author_id, "?")))
        try:  # only ever in private: a failure leaves the moderator with "anonymous"
            await ctx.adapter.send_direct(ctx.message.author, OutgoingMessage(text))
        except Exception:
            log.exception("could not tell moderator the author of idea %s", row.id,
                          extra={"plugin": "ideas", "community": ctx.community.id})


@idea_group.subcommand("search", names={"fr": "chercher"}, options={"page": {"fr": "page"}})
async def search(ctx: Context, words: Rest, *, page: Positive = 1) -> None:
    """Find ideas by the words of their title or description."""
    moderator = await _moderator(ctx)
    result = await reading.search(ctx.bot, ctx.community, words, page=page, moderator=moderator)
    if not result.rows:
        await ctx.reply(_("No idea matches “{words}”.", words=render.clip(words, 60)))
        return
    reveal = moderator and ctx.message.is_direct
    await _reply_lines(ctx, [
        _("Ideas matching “{words}”, page {page}:", words=render.clip(words, 60), page=page),
        *(render.idea_line(r, result.names, reveal=reveal) for r in result.rows),
        render.page_footer(page, result.has_more, f"{ctx.prefix}idea search {words}"),
    ])


@idea_group.subcommand("edit", names={"fr": "modifier"})
@requires("ideas.submit")
async def edit(ctx: Context, idea: IdeaNo, text: Rest) -> None:
    """Change an idea's title (and | description) while it is pending or open."""
    row = await service.edit(ctx.bot, ctx.community, ctx.member, idea, text,
                             moderator=await _moderator(ctx))
    await ctx.reply(_("Idea #{number} is now “{title}”.", number=row.number, title=row.title))


@idea_group.subcommand("withdraw", names={"fr": "retirer"})
@requires("ideas.submit")
async def withdraw(ctx: Context, idea: IdeaNo) -> None:
    """Withdraw your idea while it is pending or open."""
    change = await service.withdraw(ctx.bot, ctx.community, ctx.member, idea)
    await ctx.reply(_("Idea #{number} is withdrawn.", number=change.idea.number))


@idea_group.subcommand("support", names={"fr": "soutenir"})
@requires("ideas.support")
async def support(ctx: Context, idea: IdeaNo) -> None:
    """Support an idea; enough supports send it to review."""
    done = await service.support(ctx.bot, ctx.community, ctx.member, idea)
    await _reply_lines(ctx, [
        _("You support idea #{number} ({supports}).", number=done.number,
          supports=render.supports(done.supporters)),
        *_crossing_lines(ctx, done.crossing),
    ])


@idea_group.subcommand("unsupport", names={"fr": "retirer-soutien"})
@requires("ideas.support")
async def unsupport(ctx: Context, idea: IdeaNo) -> None:
    """Take back your support of an idea."""
    count = await service.unsupport(ctx.bot, ctx.community, ctx.member, idea)
    await ctx.reply(_("You no longer support idea #{number} ({supports}).", number=idea,
                      supports=render.supports(count)))


@idea_group.subcommand("comment", names={"fr": "commenter"})
@requires("ideas.comment")
async def comment(ctx: Context, idea: IdeaNo, text: Rest) -> None:
    """Add a comment to an idea's discussion."""
    row, count = await service.comment(ctx.bot, ctx.community, ctx.member, idea, text)
    await ctx.send(OutgoingMessage(
        ctx.t(_("Comment added to idea #{number} ({count} in the discussion).",
                number=row.number, count=count)),
        reply_to=ctx.message.ref, thread_of=service.thread_of(row, ctx.message.room)))


@idea_group.subcommand("coauthor", names={"fr": "coauteur"})
@requires("ideas.submit")
async def coauthor(ctx: Context, idea: IdeaNo, member: Member) -> None:
    """Add a co-author to your idea; co-authors share its rewards."""
    row = await service.coauthor(ctx.bot, ctx.community, ctx.member, idea, member)
    await ctx.reply(_("{name} is now a co-author of idea #{number}.",
                      name=member.display_name, number=row.number))


@idea_group.subcommand("credit", names={"fr": "créditer"})
@requires("ideas.submit")
async def credit(ctx: Context, idea: IdeaNo, member: Member, share: CreditShare = 1) -> None:
    """Credit a member who improved your idea: its later rewards are shared with them."""
    row, new = await service.credit(ctx.bot, ctx.community, ctx.member, idea, member, share)
    if new:
        await ctx.reply(_("{name} is now credited on idea #{number} (share {share}): its next "
                          "rewards are shared with them.", name=member.display_name,
                          number=row.number, share=share))
    else:
        await ctx.reply(_("{name}'s share on idea #{number} is now {share}.",
                          name=member.display_name, number=row.number, share=share))


@idea_group.subcommand("merge", names={"fr": "fusionner"})
@requires("ideas.moderate")
async def merge(ctx: Context, duplicate: IdeaNo, target: IdeaNo) -> None:
    """Merge a duplicate idea into another: supports, comments and co-authors move."""
    done = await service.merge(ctx.bot, ctx.community, ctx.member, duplicate, target)
    await _reply_lines(ctx, [
        _("Idea #{source} is merged into idea #{target}, which now has {supports}.",
          source=done.merge.source.number, target=done.merge.target.number,
          supports=render.supports(done.merge.target.supporters)),
        *_crossing_lines(ctx, done.crossing),
    ])


async def _decide(ctx: Context, action: str, idea: int, reason: str | None) -> None:
    change = await service.decide(ctx.bot, ctx.community, ctx.member, action, idea,
                                  reason or "")
    await ctx.reply(_("Idea #{number} “{title}” is now {status}; its authors were told.",
                      number=change.idea.number, title=change.idea.title,
                      status=status_label(change.new)))


@idea_group.subcommand("approve", names={"fr": "approuver"})
@requires("ideas.moderate")
async def approve(ctx: Context, idea: IdeaNo, reason: Rest | None = None) -> None:
    """Approve a pending idea so that members can see and support it."""
    await _decide(ctx, "approve", idea, reason)


@idea_group.subcommand("accept", names={"fr": "accepter"})
@requires("ideas.moderate")
async def accept(ctx: Context, idea: IdeaNo, reason: Rest | None = None) -> None:
    """Accept an idea (moderators' decision)."""
    await _decide(ctx, "accept", idea, reason)


@idea_group.subcommand("reject", names={"fr": "refuser"})
@requires("ideas.moderate")
async def reject(ctx: Context, idea: IdeaNo, reason: Rest | None = None) -> None:
    """Reject an idea, with the reason its authors will read."""
    await _decide(ctx, "reject", idea, reason)


@idea_group.subcommand("implement", names={"fr": "réaliser"})
@requires("ideas.moderate")
async def implement(ctx: Context, idea: IdeaNo, reason: Rest | None = None) -> None:
    """Mark an accepted idea as implemented; feedback opens."""
    await _decide(ctx, "implement", idea, reason)


@idea_group.subcommand("poll", names={"fr": "sondage"}, options={
    "duration": {"fr": "durée"}, "method": {"fr": "méthode"}})
@requires("ideas.moderate")
async def poll(ctx: Context, idea: IdeaNo, *, duration: Duration | None = None,
               method: Method | None = None) -> None:
    """Put an idea to a vote of the members."""
    outcome = await service.put_to_vote(ctx.bot, ctx.community, ctx.member, idea,
                                        duration=duration, method=method,
                                        room=ctx.message.room)
    if outcome.poll is None:
        raise UserError(_("Voting is unavailable here: decide with {prefix}idea accept or "
                          "{prefix}idea reject.", prefix=ctx.prefix))
    await _reply_lines(ctx, _poll_lines(ctx, idea, outcome, True))


@idea_group.subcommand("feedback", names={"fr": "avis"})
@requires("ideas.feedback")
async def feedback(ctx: Context, idea: IdeaNo, rating: Rating, text: Rest | None = None) -> None:
    """Rate an implemented idea from 1 to 5, with an optional comment."""
    count, average = await service.feedback(ctx.bot, ctx.community, ctx.member, idea, rating,
                                            text or "")
    await ctx.reply(_("Thanks! Idea #{number} is rated {average}/5 ({ratings}).",
                      number=idea, average=f"{average:.1f}", ratings=render.ratings(count)))


# -- !campaign -------------------------------------------------------------------------------------

@group("campaign", names={"fr": "campagne"})
async def campaign_group(ctx: Context) -> None:
    """Campaigns: open calls for ideas, with a bounty for the accepted ones."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@campaign_group.subcommand("open", names={"fr": "ouvrir"}, options={
    "bounty": {"fr": "prime"}, "until": {"fr": "jusqua"}})
@requires("ideas.campaigns")
async def campaign_open(ctx: Context, name: CampaignName, description: Rest | None = None, *,
                        bounty: Bounty | None = None, until: Deadline | None = None) -> None:
    """Open a call for ideas, with an optional bounty and deadline."""
    row = await campaigns.open_campaign(
        ctx.bot, ctx.community, ctx.member, ctx.message.room, name, bounty=bounty or 0,
        closes_at=campaigns.deadline_of(ctx.bot, until), description=description or "")
    await _reply_lines(ctx, [
        _("Campaign {name} is open.", name=row.name),
        render.campaign_line(row, ctx.bot.now(), ctx.bot.config.bot.timezone),
        _("Submit ideas with {prefix}idea submit <title> --campaign {name}.",
          prefix=ctx.prefix, name=row.name),
    ])


@campaign_group.subcommand("list", names={"fr": "liste"})
async def campaign_list(ctx: Context) -> None:
    """List the campaigns, open ones first."""
    rows = await campaigns.list_all(ctx.bot, ctx.community)
    if not rows:
        await ctx.reply(_("No campaigns yet."))
        return
    now, tz = ctx.bot.now(), ctx.bot.config.bot.timezone
    await _reply_lines(ctx, [_("Campaigns:"), *(render.campaign_line(r, now, tz) for r in rows)])


@campaign_group.subcommand("close", names={"fr": "clore"})
@requires("ideas.campaigns")
async def campaign_close(ctx: Context, name: CampaignName) -> None:
    """Close a campaign now: its accepted ideas share the bounty."""
    closed = await campaigns.close_by_name(ctx.bot, ctx.community, ctx.member, name)
    await ctx.reply(campaigns.closed_text(closed))


COMMANDS = [idea_group, campaign_group]
