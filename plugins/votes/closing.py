"""Ending polls exactly once, then their effects (events, refunds, final edit) through an outbox.

`end` is one atomic op: `UPDATE … SET status = 'closed' WHERE id = $1 AND status = 'open'`
decides which caller (a sweep, another process's sweep, `!poll close`) closes the poll; the
same op computes and freezes the result and deletes the ballot secret. Only that caller goes
on to `finish` — after the commit — so `on_poll_closed` is emitted once. If the process dies
before finishing, `notified = 0` stays in the database and a later sweep claims it once its
lease has lapsed (a replay is possible only after such a crash: handlers are idempotent).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.model import OutgoingMessage
from bot.storage import Tx
from plugins.votes import reactions, render, spend, store
from plugins.votes.codec import compute_result, encode_result
from plugins.votes.models import PollResult

if TYPE_CHECKING:
    from plugins.votes.service import VotesService

log = logging.getLogger("ruche.votes")

#: How long a claimed close/cancel may stay unfinished before another sweep redoes it.
LEASE_SECONDS = 300.0
#: How old an unannounced poll must be before a sweep posts its message.
ANNOUNCE_GRACE_SECONDS = 60.0


async def end(svc: VotesService, poll_id: int, status: str = "closed"
              ) -> PollResult | bool | None:
    """Close (result) or cancel (True) an open poll; None if it had already ended."""
    now = svc.bot.now()

    async def op(tx: Tx) -> PollResult | bool | None:
        if not await store.end_poll(tx, poll_id, status, now):
            return None
        if status == "cancelled":
            return True
        poll = await store.get_poll(tx, poll_id)
        assert poll is not None
        result = compute_result(poll, await store.ballots(tx, poll_id))
        await store.set_result(tx, poll_id, encode_result(result))
        return result

    outcome = await svc.bot.db.atomic(op)
    if outcome is None:
        return None
    poll = await store.get_poll(svc.bot.db, poll_id)
    if poll is not None:
        svc.forget(poll)
    await finish(svc, poll_id)
    return outcome


async def finish(svc: VotesService, poll_id: int) -> None:
    """Refunds and events of an ended poll (once), then its final edit and announcement."""
    bot = svc.bot
    poll = await store.get_poll(bot.db, poll_id)
    if poll is None:
        return
    if poll.status == "cancelled":
        if poll.currency == "tokens" and not await spend.refund_all(svc, poll):
            log.warning("poll %s: refunds incomplete, retried later", poll_id,
                        extra={"plugin": "votes"})
            return
        await bot.hooks.notify("on_poll_cancelled", bot=bot, poll=poll)
    else:
        await bot.hooks.notify("on_poll_closed", bot=bot, poll=poll,
                               result=await svc.result(poll))
    await store.mark_notified(bot.db, poll_id)
    await show(svc, poll_id)


async def show(svc: VotesService, poll_id: int) -> None:
    """The final edit of the tally message and the result post; retried by sweeps on failure."""
    bot = svc.bot
    if not await store.claim_show(bot.db, poll_id):
        return
    try:
        poll = await store.get_poll(bot.db, poll_id)
        if poll is None:
            return
        await svc.live.final(poll_id)
        cfg = svc.config(poll.community)
        if poll.status == "closed" and cfg.announce_results and poll.room is not None \
                and poll.room.platform in bot.adapters:
            result = await svc.result(poll)
            text = render.results_text(poll, result, svc.translate(poll.community))
            await bot.send(poll.room, OutgoingMessage(text, reply_to=poll.message))
    except Exception:
        log.exception("poll %s: final edit failed, retried by the next sweep", poll_id,
                      extra={"plugin": "votes"})
        await store.unclaim_show(bot.db, poll_id)


async def sweep(svc: VotesService) -> int:
    """The deadline job (also run at startup): close what is due, finish what was left."""
    bot = svc.bot
    now = bot.now()
    closed = 0
    for poll_id in await store.due_polls(bot.db, now):
        try:
            if await end(svc, poll_id) is not None:
                closed += 1
        except Exception:
            log.exception("closing poll %s failed", poll_id, extra={"plugin": "votes"})
    lease = now - LEASE_SECONDS
    for poll_id in await store.unfinished(bot.db, lease):
        if await store.claim_finish(bot.db, poll_id, now, lease):
            await finish(svc, poll_id)
    for poll_id in await store.unshown(bot.db):
        await show(svc, poll_id)
    for poll_id in await store.unannounced(bot.db, now - ANNOUNCE_GRACE_SECONDS):
        poll = await store.get_poll(bot.db, poll_id)
        if poll is not None:
            try:
                await svc.announce(poll)
            except Exception:
                log.exception("announcing poll %s failed", poll_id, extra={"plugin": "votes"})
    for poll_id in await store.stale_messages(bot.db):
        svc.live.touch(poll_id)
    await spend.recover(svc, lease)
    await reactions.reconcile_all(svc)
    return closed
