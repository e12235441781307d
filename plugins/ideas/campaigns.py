"""Campaigns: open calls for ideas with a bounty and a deadline, closed exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.api import Community, Member, RoomRef, Text, Tx, UserError, translatable
from plugins.ideas import events, store
from plugins.ideas.models import CampaignClosed
from plugins.ideas.store import CampaignRow

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("ideas")
log = logging.getLogger("ruche.ideas")

MAX_BOUNTY = 10**12
MAX_DESCRIPTION = 500


@dataclass(frozen=True, slots=True)
class Until:
    """`--until`: a duration from now, or a local date (a bare date means the end of that day)."""

    duration: timedelta | None = None
    moment: datetime | None = None
    date_only: bool = False


def deadline_of(bot: Bot, until: Until | None) -> float | None:
    """The deadline as a timestamp; dates are read in `[bot] timezone`; the past is refused."""
    if until is None:
        return None
    now = bot.now()
    if until.duration is not None:
        return now + until.duration.total_seconds()
    assert until.moment is not None
    try:
        zone = ZoneInfo(bot.config.bot.timezone)
    except Exception:
        zone = ZoneInfo("UTC")
    moment = until.moment
    if until.date_only:  # "until June 30" includes June 30
        moment += timedelta(days=1, seconds=-1)
    at = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp()
    if at <= now:
        raise UserError(_("That deadline is already past."))
    return at


async def open_campaign(bot: Bot, community: Community, member: Member, room: RoomRef,
                        name: str, *, bounty: int, closes_at: float | None,
                        description: str) -> CampaignRow:
    """A moderator opens a call for ideas; names are unique per community (any case)."""
    if bounty > MAX_BOUNTY:
        raise UserError(_("That bounty is too large."))
    description = " ".join(description.split())
    if len(description) > MAX_DESCRIPTION:
        raise UserError(_("The description is too long ({length} characters, at most {limit}).",
                          length=len(description), limit=MAX_DESCRIPTION))
    now = bot.now()

    async def op(tx: Tx) -> int:
        campaign_id = await store.insert_campaign(
            tx, community=community.id, name=name, description=description, bounty=bounty,
            closes_at=closes_at, created_by=member.id, room=room, now=now)
        if campaign_id is None:
            raise UserError(_("A campaign named {name} already exists.", name=name))
        return campaign_id

    campaign_id = await bot.db.atomic(op)
    await bot.audit.record(community.id, member, "ideas.campaign_open",
                           f"“{name}” (bounty {bounty})")
    row = await store.campaign_by_id(bot.db, campaign_id)
    assert row is not None
    return row


async def list_all(bot: Bot, community: Community) -> list[CampaignRow]:
    """Open campaigns (soonest deadline first), then the last closed ones."""
    return await store.list_campaigns(bot.db, community.id, 20)


async def close_by_name(bot: Bot, community: Community, member: Member,
                        name: str) -> CampaignClosed:
    """A moderator closes a campaign now; its accepted ideas share the bounty (tips pays)."""
    row = await store.campaign_by_name(bot.db, community.id, name)
    if row is None:
        raise UserError(_("There is no campaign named {name}.", name=name))
    closed = await close(bot, row.id)
    if closed is None:
        raise UserError(_("The campaign {name} is closed.", name=row.name))
    await bot.audit.record(community.id, member, "ideas.campaign_close", f"“{row.name}”")
    return closed


async def close(bot: Bot, campaign_id: int, *, announce: bool = False) -> CampaignClosed | None:
    """open → closed once; emits `on_campaign_closed` only for the call that closed it. With
    `announce`, its result post is recorded in the outbox by the op that closes it."""
    now = bot.now()

    async def op(tx: Tx) -> CampaignClosed | None:
        row = await store.campaign_by_id(tx, campaign_id)
        if row is None or not await store.close_campaign(tx, campaign_id, now):
            return None
        winners = [await store.public_idea(tx, i) for i in
                   await store.campaign_winners(tx, campaign_id)]
        closed = CampaignClosed(row.community, row.name, row.bounty, tuple(winners))
        if announce and row.room is not None:
            await bot.outbox.add(tx, "ideas", f"ideas:campaign:{campaign_id}:closed",
                                 community=row.community, room=row.room,
                                 text=closed_text(closed))
        return closed

    closed = await bot.db.atomic(op)
    if closed is not None:
        await events.campaign_closed(bot, closed)
        await bot.outbox.flush("ideas")
    return closed


async def close_due(bot: Bot) -> int:
    """The deadline sweep (also at startup): closes and announces every campaign due."""
    count = 0
    for campaign_id in await store.due_campaigns(bot.db, bot.now(),
                                                 bot.plugin_disabled_in("ideas")):
        if await close(bot, campaign_id, announce=True) is not None:
            count += 1
    return count


def closed_text(closed: CampaignClosed) -> Text:
    """The announcement of a closed campaign."""
    if not closed.accepted_ideas:
        return _("Campaign {name} is closed; no idea of it was accepted.", name=closed.name)
    numbers = ", ".join(f"#{i.number}" for i in closed.accepted_ideas)
    return _("Campaign {name} is closed. Accepted ideas: {numbers}; they share the bounty of "
             "{bounty}.", name=closed.name, numbers=numbers, bounty=closed.bounty)
