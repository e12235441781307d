"""Putting an idea to a vote through the votes plugin's `open_poll`, and deciding when it closes.

The ideas plugin never imports votes: it asks `open_poll` (None = voting unavailable, the
moderators decide) and listens to `on_poll_closed` for subjects `idea:<id>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.api import RoomRef, Text, Tx, UserError, translatable
from plugins.ideas import events, lifecycle, store
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import IdeaStatusChange, status_label
from plugins.votes.models import PollRequest

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("ideas")
log = logging.getLogger("ruche.ideas")

SUBJECT_PREFIX = "idea:"


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """`poll` is what `open_poll` returned (None: nobody can hold votes, moderators decide)."""

    poll: Any | None
    change: IdeaStatusChange | None = None
    skipped: bool = False  # an automatic request found the idea already moved on (no poll)


async def open_vote(bot: Bot, idea_id: int, by_member_id: int | None, *,
                    duration: timedelta | None = None, method: str | None = None,
                    fallback_room: RoomRef | None = None, auto: bool = False) -> PollOutcome:
    """Claim the idea (→ voting), ask for a poll, then confirm it or give the status back.

    Claiming first means two simultaneous requests (threshold + moderator) open one poll;
    an automatic request that lost the race is `skipped` instead of refused.
    """
    now = bot.now()

    async def claim(tx: Tx) -> tuple[store.IdeaRow, str]:
        row = await store.idea_by_id(tx, idea_id)
        assert row is not None
        new = lifecycle.check("poll", row.status, row.number)
        if not await store.set_status(tx, idea_id, row.status, new, reason=row.reason, now=now):
            raise UserError(_("Idea #{number} changed meanwhile; please try again.",
                              number=row.number))
        await store.set_poll(tx, idea_id, None, None)
        return row, row.status

    try:
        row, old = await bot.db.atomic(claim)
    except UserError:
        if not auto:
            raise
        return PollOutcome(None, skipped=True)
    cfg = bot.plugin_config(IdeasConfig, row.community)
    poll = None
    room = row.room or fallback_room
    if room is not None:
        locale = bot.communities.get(row.community).locale
        request = PollRequest(
            community=row.community, room=room,
            question=bot.i18n.translate(_("Accept idea #{number} “{title}”?", number=row.number,
                                          title=row.title), locale),
            options=(bot.i18n.translate(_("Yes"), locale), bot.i18n.translate(_("No"), locale)),
            method=method or cfg.poll_method,
            duration_seconds=(duration or cfg.poll_duration).total_seconds(),
            subject=f"{SUBJECT_PREFIX}{idea_id}", creator_id=by_member_id, quorum=cfg.quorum,
        )
        try:
            poll = await bot.hooks.first("open_poll", bot=bot, request=request)
        except Exception:
            log.exception("open_poll failed for idea %s; moderators decide", idea_id,
                          extra={"plugin": "ideas", "community": row.community})
    if poll is None:
        async def release(tx: Tx) -> None:
            await store.set_status(tx, idea_id, "voting", old, reason=row.reason, now=now)

        await bot.db.atomic(release)
        return PollOutcome(None)

    async def confirm(tx: Tx) -> IdeaStatusChange:
        await store.set_poll(tx, idea_id, _int(getattr(poll, "id", None)),
                             _int(getattr(poll, "number", None)))
        await store.add_history(tx, idea_id, old, "voting", by_member_id, "", now)
        change = IdeaStatusChange(await store.public_idea(tx, idea_id), old, "voting",
                                  by_member_id)
        await events.record_status(bot, tx, change, now)
        return change

    change = await bot.db.atomic(confirm)
    await events.status_changed(bot, change)
    return PollOutcome(poll, change)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def verdict(cfg: IdeasConfig, ballots: int, totals: tuple[float, ...],
            quorum_met: bool) -> str:
    """The decision rule: quorum first, then Yes must exceed `majority` of Yes + No."""
    if not quorum_met or ballots < cfg.quorum:
        return "vote_no_quorum" if cfg.no_quorum == "review" else "vote_reject"
    yes = float(totals[0]) if totals else 0.0
    no = float(totals[1]) if len(totals) > 1 else 0.0
    share = yes / (yes + no) if yes + no > 0 else 0.0
    return "vote_accept" if share > cfg.majority else "vote_reject"


def _reason(action: str, poll: Any, ballots: int, totals: tuple[float, ...],
            cfg: IdeasConfig) -> Text:
    number = getattr(poll, "number", "?")
    if action == "vote_no_quorum" or (action == "vote_reject" and ballots < cfg.quorum):
        return _("poll #{poll}: quorum not reached ({ballots} of {quorum} ballots)",
                 poll=number, ballots=ballots, quorum=cfg.quorum)
    yes = totals[0] if totals else 0.0
    no = totals[1] if len(totals) > 1 else 0.0
    return _("poll #{poll}: {yes} yes, {no} no", poll=number, yes=_num(yes), no=_num(no))


async def poll_closed(bot: Bot, poll: Any, result: Any) -> IdeaStatusChange | None:
    """Decide an idea whose poll closed; a second delivery of the same close changes nothing."""
    subject = str(getattr(poll, "subject", "") or "")
    if not subject.startswith(SUBJECT_PREFIX):
        return None
    try:
        idea_id = int(subject[len(SUBJECT_PREFIX):])
    except ValueError:
        return None
    row = await store.idea_by_id(bot.db, idea_id)
    if row is None or row.community != getattr(poll, "community", row.community):
        return None
    if row.poll_id is not None and row.poll_id != getattr(poll, "id", None):
        return None  # an older poll of this idea: the current one decides
    cfg = bot.plugin_config(IdeasConfig, row.community)
    present = getattr(result, "present", None)  # the quorum counts present members only
    ballots = int(getattr(result, "ballots", 0) if present is None else present)
    totals = tuple(getattr(result, "totals", ()) or ())
    action = verdict(cfg, ballots, totals, bool(getattr(result, "quorum_met", True)))
    locale = bot.communities.get(row.community).locale
    reason = bot.i18n.translate(_reason(action, poll, ballots, totals, cfg), locale)
    now = bot.now()

    async def op(tx: Tx) -> IdeaStatusChange | None:
        current = await store.idea_by_id(tx, idea_id)
        if current is None or not lifecycle.can(action, current.status):
            return None
        new = lifecycle.check(action, current.status, current.number)
        if not await store.set_status(tx, idea_id, current.status, new, reason=reason, now=now):
            return None
        await store.add_history(tx, idea_id, current.status, new, None, reason, now)
        change = IdeaStatusChange(await store.public_idea(tx, idea_id), current.status, new,
                                  None, reason)
        await events.record_status(bot, tx, change, now)
        await events.record_announce(bot, tx, change.idea, _(
            "Idea #{number} “{title}” is now {status} ({reason}).", number=change.idea.number,
            title=change.idea.title, status=status_label(change.new), reason=reason),
            f"verdict:{getattr(poll, 'id', '')}")
        return change

    change = await bot.db.atomic(op)
    if change is None:
        return None
    await events.status_changed(bot, change)
    return change
