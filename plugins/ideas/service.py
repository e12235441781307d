"""The rules of ideas: who may do what, in which status, and what each action changes.

Every write is one `bot.db.atomic` op that re-reads the idea, checks the transition table
(`lifecycle.check`) and writes conditionally; events and notifications follow the commit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import Community, Member, MessageRef, RoomRef, Tx, UserError, clean_text, translatable
from plugins.ideas import events, lifecycle, store, voting
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import IdeaMerged, IdeaStatusChange
from plugins.ideas.store import IdeaRow

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("ideas")

MODERATE = "ideas.moderate"
DAY = 86400.0
MAX_COAUTHORS = 10
MAX_CREDITS = 20  # credited contributors per idea
MAX_CREDIT_SHARE = 100  # the largest `[share]` of one credited contributor


async def is_moderator(bot: Bot, member: Member, community: Community) -> bool:
    """Moderators decide, merge, see pending ideas and (in private) anonymous authors."""
    return await bot.permissions.allowed(member, MODERATE, community)


# -- text -----------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    """The core's rule for stored text (no control, bidi or zero-width characters; lines kept)."""
    return clean_text(text, multiline=True)


def fold(text: str) -> str:
    """Lower case without accents (“Café” → “cafe”): the LIKE search's view of a text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_text(text: str, cfg: IdeasConfig) -> tuple[str, str]:
    """`Title | description` → (title, description), checked against the configured lengths."""
    title, _sep, description = _clean(text).partition("|")
    title = " ".join(title.split())
    description = description.strip()
    if not title:
        raise UserError(_("An idea needs a title: write “title | description”."))
    if len(title) > cfg.max_title_length:
        raise UserError(_("The title is too long ({length} characters, at most {limit}).",
                          length=len(title), limit=cfg.max_title_length))
    if len(description) > cfg.max_description_length:
        raise UserError(_("The description is too long ({length} characters, at most {limit}).",
                          length=len(description), limit=cfg.max_description_length))
    return title, description


# -- shared pieces ---------------------------------------------------------------------------------

async def _load(q: store.Q, community: str, number: int) -> IdeaRow:
    if isinstance(q, Tx):  # a write: hold the idea until the op commits
        await store.lock_ideas(q, community, (number,))
    row = await store.idea_by_number(q, community, number)
    if row is None:
        raise UserError(_("There is no idea #{number}.", number=number))
    return row


def _changed(number: int) -> UserError:
    return UserError(_("Idea #{number} changed meanwhile; please try again.", number=number))


async def _transition(bot: Bot, tx: Tx, row: IdeaRow, action: str, member_id: int | None,
                      reason: str, now: float, *,
                      merged_into: int | None = None) -> IdeaStatusChange:
    """Apply one row of the transition table, conditionally on the status just read; the
    authors' notice is recorded with it (a merge records its own)."""
    new = lifecycle.check(action, row.status, row.number)
    if not await store.set_status(tx, row.id, row.status, new, reason=reason, now=now,
                                  merged_into=merged_into):
        raise _changed(row.number)
    await store.add_history(tx, row.id, row.status, new, member_id, reason, now)
    change = IdeaStatusChange(await store.public_idea(tx, row.id), row.status, new, member_id,
                              reason)
    if action != "merge":
        await events.record_status(bot, tx, change, now)
    return change


async def _cross(bot: Bot, tx: Tx, idea_id: int, cfg: IdeasConfig, member_id: int | None,
                 now: float) -> IdeaStatusChange | None:
    """The support count reached the threshold: open → review, for exactly one writer."""
    act = lifecycle.ACTIONS["threshold"]
    assert act.target is not None
    for old in act.sources:
        if await store.cross_threshold(tx, idea_id, old, act.target, cfg.support_threshold, now):
            await store.add_history(tx, idea_id, old, act.target, member_id, "", now)
            idea = await store.public_idea(tx, idea_id)
            change = IdeaStatusChange(idea, old, act.target, member_id, "")
            await events.record_status(bot, tx, change, now)
            return change
    return None


async def _is_author(q: store.Q, row: IdeaRow, member_id: int) -> bool:
    return member_id == row.author_id or member_id in await store.coauthor_ids(q, row.id)


@dataclass(frozen=True, slots=True)
class Crossing:
    """What happened after a support or a merge pushed an idea over the threshold."""

    change: IdeaStatusChange
    poll: voting.PollOutcome | None


async def _after_crossing(bot: Bot, change: IdeaStatusChange | None,
                          cfg: IdeasConfig) -> Crossing | None:
    if change is None:
        return None
    await events.status_changed(bot, change)
    poll = await voting.open_vote(bot, change.idea.id, None, auto=True) if cfg.auto_poll \
        else None
    return Crossing(change, poll)


# -- submit, edit, withdraw ------------------------------------------------------------------------

async def submit(bot: Bot, community: Community, member: Member, room: RoomRef, text: str, *,
                 campaign: str | None, anonymous: bool, moderator: bool) -> IdeaRow:
    """Create idea #N (open, or pending under pre-moderation), within the submission limit."""
    cfg = bot.plugin_config(IdeasConfig, community.id)
    title, description = parse_text(text, cfg)
    now = bot.now()

    async def op(tx: Tx) -> int:
        campaign_id = None
        if campaign is not None:
            found = await store.campaign_by_name(tx, community.id, campaign)
            if found is None:
                raise UserError(_("There is no campaign named {name}.", name=campaign))
            if found.status != "open" or (found.closes_at is not None and found.closes_at <= now):
                raise UserError(_("The campaign {name} is closed.", name=found.name))
            campaign_id = found.id
        limit = cfg.submissions_per_day
        if limit and not moderator and await store.recent_submissions(
                tx, community.id, member.id, now - DAY) >= limit:
            raise UserError(_("You have reached the limit of {limit} ideas per day; "
                              "try again tomorrow.", limit=limit))
        number = await store.next_number(tx, community.id)
        return await store.insert_idea(
            tx, community=community.id, number=number, title=title, description=description,
            search_text=fold(f"{title}\n{description}"),
            status="pending" if cfg.premoderation else "open", author_id=member.id,
            anonymous=anonymous, campaign_id=campaign_id, room=room, now=now)

    idea_id = await bot.db.atomic(op)
    row = await store.idea_by_id(bot.db, idea_id)
    assert row is not None
    await events.submitted(bot, row.public())
    return row


async def edit(bot: Bot, community: Community, member: Member, number: int, text: str, *,
               moderator: bool) -> IdeaRow:
    """New `title | description` (a title alone keeps the description), while pending/open."""
    cfg = bot.plugin_config(IdeasConfig, community.id)
    now = bot.now()

    async def op(tx: Tx) -> IdeaRow:
        row = await _load(tx, community.id, number)
        if not moderator and not await _is_author(tx, row, member.id):
            raise UserError(_("Only the authors of idea #{number} or a moderator can edit it.",
                              number=number))
        lifecycle.check("edit", row.status, row.number)
        title, description = parse_text(text, cfg)
        if "|" not in text:
            description = row.description
        await store.update_text(tx, row.id, title, description,
                                fold(f"{title}\n{description}"), now)
        updated = await store.idea_by_id(tx, row.id)
        assert updated is not None
        return updated

    return await bot.db.atomic(op)


async def withdraw(bot: Bot, community: Community, member: Member,
                   number: int) -> IdeaStatusChange:
    """The author takes back an idea that is still pending or open."""
    now = bot.now()

    async def op(tx: Tx) -> IdeaStatusChange:
        row = await _load(tx, community.id, number)
        if member.id != row.author_id:
            raise UserError(_("Only the author of idea #{number} can withdraw it.",
                              number=number))
        return await _transition(bot, tx, row, "withdraw", member.id, "", now)

    change = await bot.db.atomic(op)
    await events.status_changed(bot, change)
    return change


# -- support -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Supported:
    """A support was counted; `crossing` is set for the one support that crossed the threshold."""

    number: int
    supporters: int
    threshold: int
    crossing: Crossing | None = None


async def support(bot: Bot, community: Community, member: Member, number: int) -> Supported:
    """One support per member; insert, recount and threshold move happen in one transaction."""
    cfg = bot.plugin_config(IdeasConfig, community.id)
    now = bot.now()

    async def op(tx: Tx) -> tuple[int, IdeaStatusChange | None]:
        row = await _load(tx, community.id, number)
        lifecycle.check("support", row.status, row.number)
        if await _is_author(tx, row, member.id):
            raise UserError(_("You cannot support your own idea #{number}.", number=number))
        if not await store.add_support(tx, row.id, member.id, now):
            raise UserError(_("You already support idea #{number}.", number=number))
        count = await store.refresh_supporters(tx, row.id)
        return count, await _cross(bot, tx, row.id, cfg, member.id, now)

    count, change = await bot.db.atomic(op)
    crossing = await _after_crossing(bot, change, cfg)
    return Supported(number, count, cfg.support_threshold, crossing)


async def unsupport(bot: Bot, community: Community, member: Member, number: int) -> int:
    """Withdraw one's support while the idea is still undecided; returns the new count."""
    async def op(tx: Tx) -> int:
        row = await _load(tx, community.id, number)
        lifecycle.check("unsupport", row.status, row.number)
        if not await store.remove_support(tx, row.id, member.id):
            raise UserError(_("You do not support idea #{number}.", number=number))
        return await store.refresh_supporters(tx, row.id)

    return await bot.db.atomic(op)


# -- discussion and co-creation --------------------------------------------------------------------

def _comment_text(bot: Bot, community: Community, text: str) -> str:
    """Comments and feedback texts: cleaned, and refused beyond `max_comment_length`."""
    limit = bot.plugin_config(IdeasConfig, community.id).max_comment_length
    text = _clean(text).strip()
    if len(text) > limit:
        raise UserError(_("The comment is too long ({length} characters, at most {limit}).",
                          length=len(text), limit=limit))
    return text


async def comment(bot: Bot, community: Community, member: Member, number: int,
                  text: str) -> tuple[IdeaRow, int]:
    """Add to the idea's discussion; returns the idea and its comment count."""
    text = _comment_text(bot, community, text)
    now = bot.now()

    async def op(tx: Tx) -> tuple[IdeaRow, int]:
        row = await _load(tx, community.id, number)
        lifecycle.check("comment", row.status, row.number)
        return row, await store.add_comment(tx, row.id, member.id, text, now)

    return await bot.db.atomic(op)


async def coauthor(bot: Bot, community: Community, member: Member, number: int,
                   other: Member) -> IdeaRow:
    """The author shares the idea (and its rewards) with another member."""
    now = bot.now()

    async def op(tx: Tx) -> IdeaRow:
        row = await _load(tx, community.id, number)
        if member.id != row.author_id:
            raise UserError(_("Only the author of idea #{number} can add co-authors.",
                              number=number))
        lifecycle.check("coauthor", row.status, row.number)
        if other.id == row.author_id:
            raise UserError(_("You are already the author of idea #{number}.", number=number))
        if len(await store.coauthor_ids(tx, row.id)) >= MAX_COAUTHORS:
            raise UserError(_("Idea #{number} already has {limit} co-authors.",
                              number=number, limit=MAX_COAUTHORS))
        if not await store.add_coauthor(tx, row.id, other.id, now):
            raise UserError(_("{name} is already a co-author of idea #{number}.",
                              name=other.display_name, number=number))
        return row

    row = await bot.db.atomic(op)
    await events.tell_authors(bot, row.public((other.id,)), _(
        "You are now a co-author of idea #{number} “{title}”.", number=row.number,
        title=row.title), skip=(row.author_id,))
    return row


async def credit(bot: Bot, community: Community, member: Member, number: int, other: Member,
                 share: int) -> tuple[IdeaRow, bool]:
    """An author credits a member who improved the idea; later rewards are shared with them.

    Returns the idea and whether the member is newly credited (else their share changed).
    """
    now = bot.now()

    async def op(tx: Tx) -> tuple[IdeaRow, bool]:
        row = await _load(tx, community.id, number)
        authors = (row.author_id, *await store.coauthor_ids(tx, row.id))
        if member.id not in authors:
            raise UserError(_("Only the authors of idea #{number} can credit contributors.",
                              number=number))
        lifecycle.check("credit", row.status, row.number)
        if other.id in authors:
            raise UserError(_("{name} is an author of idea #{number}: authors already share "
                              "its rewards.", name=other.display_name, number=number))
        known = {m for m, _s in await store.credits(tx, row.id)}
        if other.id not in known and len(known) >= MAX_CREDITS:
            raise UserError(_("Idea #{number} already credits {limit} contributors.",
                              number=number, limit=MAX_CREDITS))
        return row, await store.put_credit(tx, row.id, other.id, share, member.id, now)

    return await bot.db.atomic(op)


async def feedback(bot: Bot, community: Community, member: Member, number: int, rating: int,
                   text: str) -> tuple[int, float]:
    """Rate an implemented idea (again replaces); returns the count and average rating."""
    text = _comment_text(bot, community, text)
    now = bot.now()

    async def op(tx: Tx) -> tuple[int, float]:
        row = await _load(tx, community.id, number)
        lifecycle.check("feedback", row.status, row.number)
        if await _is_author(tx, row, member.id):
            raise UserError(_("Feedback comes from the people who use idea #{number}, not from "
                              "its authors.", number=number))
        await store.put_feedback(tx, row.id, member.id, rating, text, now)
        return await store.feedback_summary(tx, row.id)

    return await bot.db.atomic(op)


# -- moderation ------------------------------------------------------------------------------------

DECISIONS = ("approve", "accept", "reject", "implement")


async def decide(bot: Bot, community: Community, member: Member, action: str, number: int,
                 reason: str) -> IdeaStatusChange:
    """approve / accept / reject / implement: a moderator moves the idea along the table."""
    assert action in DECISIONS
    if action == "reject" and not reason.strip():
        raise UserError(_("Give a reason for the rejection: the authors will read it."))
    reason = _clean(reason).strip()[:500]
    now = bot.now()
    backers: list[int] = []
    if action == "implement":  # asked for feedback with the supporters (funding may be off)
        found = await store.idea_by_number(bot.db, community.id, number)
        if found is not None:
            backers = list(await bot.hooks.first_safe(
                "idea_backers", default=[], bot=bot, community=community.id,
                subject=f"idea:{found.id}") or [])

    async def op(tx: Tx) -> IdeaStatusChange:
        row = await _load(tx, community.id, number)
        change = await _transition(bot, tx, row, action, member.id, reason, now)
        if change.new == "implemented":
            await events.record_feedback_asks(
                bot, tx, change.idea, [*await store.supporter_ids(tx, row.id), *backers],
                community.prefix)
        return change

    change = await bot.db.atomic(op)
    await bot.audit.record(community.id, member, f"ideas.{action}",
                           f"#{number} “{change.idea.title}”" + (f": {reason}" if reason else ""))
    await events.status_changed(bot, change)
    return change


@dataclass(frozen=True, slots=True)
class Merged:
    """Result of `!idea merge`."""

    merge: IdeaMerged
    crossing: Crossing | None = None


async def merge(bot: Bot, community: Community, member: Member, source_no: int,
                target_no: int) -> Merged:
    """Duplicate `source` into `target`: supports (once each), comments, co-authors move."""
    if source_no == target_no:
        raise UserError(_("An idea cannot be merged into itself."))
    cfg = bot.plugin_config(IdeasConfig, community.id)
    now = bot.now()

    async def op(tx: Tx) -> tuple[IdeaStatusChange, IdeaMerged, IdeaStatusChange | None]:
        await store.lock_ideas(tx, community.id, (source_no, target_no))
        src = await _load(tx, community.id, source_no)
        dst = await _load(tx, community.id, target_no)
        lifecycle.check("merge_into", dst.status, dst.number)
        change = await _transition(bot, tx, src, "merge", member.id, f"#{dst.number}", now,
                                   merged_into=dst.id)
        owners = (dst.author_id, *await store.coauthor_ids(tx, dst.id))
        await store.move_supports(tx, src.id, dst.id, owners, now)
        if src.author_id not in owners:  # the duplicate's author backs the surviving idea
            await store.add_support(tx, dst.id, src.author_id, now)
        await store.move_comments(tx, src.id, dst.id)
        await store.move_coauthors(tx, src.id, dst.id, owners, now)
        await store.refresh_supporters(tx, dst.id)
        crossed = await _cross(bot, tx, dst.id, cfg, member.id, now)
        source = await store.public_idea(tx, src.id)
        target = await store.public_idea(tx, dst.id)
        merge = IdeaMerged(source, target, member.id)
        await events.record_merge(bot, tx, merge, change, now)
        return change, merge, crossed

    change, merged, crossed = await bot.db.atomic(op)
    await bot.audit.record(community.id, member, "ideas.merge", f"#{source_no} → #{target_no}")
    await events.merged(bot, merged, change)
    return Merged(merged, await _after_crossing(bot, crossed, cfg))


# -- reading and polls -----------------------------------------------------------------------------

async def visible_idea(bot: Bot, community: Community, member: Member, number: int, *,
                       moderator: bool) -> IdeaRow:
    """An idea the member may read: pending ones only for their authors and moderators."""
    row = await _load(bot.db, community.id, number)
    if row.status == "pending" and not moderator and not await _is_author(bot.db, row,
                                                                         member.id):
        raise UserError(_("Idea #{number} is waiting for a moderator's approval.",
                          number=number))
    return row


async def remember_message(bot: Bot, idea_id: int, message_id: str) -> None:
    """The submission reply is the idea's message: comments are threaded under it."""
    await store.set_message(bot.db, idea_id, message_id)


def thread_of(row: IdeaRow, room: RoomRef) -> MessageRef | None:
    """The idea's message, when the comment is made in the room that holds it."""
    if row.message_id is None or row.room is None:
        return None
    if (row.room.platform, row.room.id) != (room.platform, room.id):
        return None
    return MessageRef(room.platform, room.id, row.message_id)


async def put_to_vote(bot: Bot, community: Community, member: Member, number: int, *,
                      duration: timedelta | None, method: str | None,
                      room: RoomRef) -> voting.PollOutcome:
    """A moderator asks the members: the votes plugin holds the poll, `on_poll_closed` decides."""
    row = await visible_idea(bot, community, member, number, moderator=True)
    outcome = await voting.open_vote(bot, row.id, member.id, duration=duration, method=method,
                                     fallback_room=room)
    if outcome.poll is not None:
        await bot.audit.record(community.id, member, "ideas.poll",
                               f"#{number} (poll #{getattr(outcome.poll, 'number', '?')})")
    return outcome


# -- accounts --------------------------------------------------------------------------------------

async def relink(bot: Bot, community: Community, old: int, new: int) -> None:
    """`!link` joined two members: their ideas, supports and feedback become one person's."""
    async def op(tx: Tx) -> None:
        for idea_id in await store.relink_member(tx, community.id, old, new):
            await store.refresh_supporters(tx, idea_id)

    await bot.db.atomic(op)
