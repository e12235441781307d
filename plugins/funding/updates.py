"""`!fund update N TEXT`: the wallet's owner tells the round's backers how the project goes.

The update is posted in the round's room and sent privately to every backer (confirmed
pledges, or the recorded backers once funded). Its row and all its announcements are written
in one transaction through the core outbox, so each backer receives it once, even when the bot
restarts in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.api import Tx, UserError, translatable
from plugins.funding import money, store

if TYPE_CHECKING:
    from bot.api import Member, RoomRef
    from plugins.funding.models import FundingRound
    from plugins.funding.service import FundingService

_ = translatable("funding")

MAX_TEXT = 1000


@dataclass(frozen=True, slots=True)
class Sent:
    """What `!fund update` did: the round, and how many backers it reached privately."""

    round: FundingRound
    backers: int


def owner_of(r: FundingRound) -> int | None:
    """The member whose wallet the round fills; a project wallet's is whoever opened it."""
    prefix = money.member_account(0)[:-1]
    if r.wallet.startswith(prefix):
        return int(r.wallet.removeprefix(prefix))
    return r.opened_by


async def recipients(svc: FundingService, r: FundingRound) -> list[int]:
    """The round's backers: recorded once funded, else members with a confirmed pledge."""
    if r.state == "succeeded":
        return [int(row["member_id"]) for row in await store.backers(svc.bot.db, r.id)]
    return [m for m, _total in await store.sums_by_member(svc.bot.db, r.id, "confirmed")]


async def send(svc: FundingService, community: str, member: Member, number: int, text: str,
               room: RoomRef) -> Sent:
    """Record the update and queue its announcements (room + each backer), then deliver them."""
    body = " ".join(text.split())
    if not body:
        raise UserError(_("Write the update after the idea's number."))
    if len(body) > MAX_TEXT:
        raise UserError(_("An update is at most {limit} characters.", limit=MAX_TEXT))
    r = await svc.latest(community, number)
    if owner_of(r) != member.id:
        raise UserError(_("Only the owner of the round's wallet can send its backers "
                          "updates."))
    backers = [m for m in await recipients(svc, r) if m != member.id]
    bot = svc.bot
    message = _("📣 Update on idea #{number} “{title}”: {text}", number=r.idea_number,
                title=r.title, text=body)
    target = r.room or room

    async def op(tx: Tx) -> list[str]:
        update_id = await tx.fetchval(
            "INSERT INTO funding_updates (round_id, community, author_id, text, backers,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", r.id, community,
            member.id, body, len(backers), bot.now())
        keys = [await bot.outbox.add(tx, "funding", f"funding:update:{update_id}:room",
                                     community=community, room=target, text=message)]
        for backer in backers:
            keys.append(await bot.outbox.add(
                tx, "funding", f"funding:update:{update_id}:member:{backer}",
                community=community, member_id=backer, text=message))
        return keys

    await bot.outbox.deliver(await bot.db.atomic(op))
    return Sent(r, len(backers))
