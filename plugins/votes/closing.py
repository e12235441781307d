"""Ending polls exactly once, then their effects (events, refunds, final edit) through an outbox.

`end` is one atomic op: `UPDATE … SET status = 'closed' WHERE id = $1 AND status = 'open'`
decides which caller (a sweep, another process's sweep, `!poll close`) closes the poll; the
same op computes and freezes the result and deletes the ballot secret. Only that caller goes
on to `finish` — after the commit — so `on_poll_closed` is emitted once. If the process dies
before finishing, `notified = 0` stays in the database and a later sweep claims it once its
lease has lapsed, or at once at the next start of the same process (the claim names its run;
a replay is possible only after such a crash: handlers are idempotent).

The final edit of the tally and the "Results of poll #N" post are recorded in the core outbox
by that same op, so they commit with the close: a kill after it is re-driven by the next
start, at least once (`bot.outbox`), whatever happens to the events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.api import Announcement, OutgoingMessage, Tx
from plugins.votes import reactions, render, spend, store
from plugins.votes.codec import compute_result, encode_result
from plugins.votes.models import Poll, PollResult

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
    gone = await svc.departed(poll_id)

    async def op(tx: Tx) -> PollResult | bool | None:
        if not await store.end_poll(tx, poll_id, status, now, svc.bot.outbox.owner.encode()):
            return None
        poll = await store.get_poll(tx, poll_id)
        assert poll is not None
        await record_show(svc, tx, poll)
        if status == "cancelled":
            return True
        result = compute_result(poll, await store.ballots(tx, poll_id), gone)
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


def keys(poll_id: int) -> tuple[str, str]:
    """The outbox keys of a poll's final edit and of its result post."""
    return f"votes:poll:{poll_id}:final", f"votes:poll:{poll_id}:results"


async def record_show(svc: VotesService, tx: Tx, poll: Poll) -> None:
    """In the op that ends the poll: the final edit and the result post go to the outbox."""
    final, results = keys(poll.id)
    await store.claim_show(tx, poll.id)
    outbox = svc.bot.outbox
    if poll.message is not None:
        await outbox.add(tx, "votes", final, community=poll.community, edit=poll.message,
                         payload={"poll": poll.id, "kind": "final"})
    if poll.status == "closed" and poll.room is not None \
            and svc.config(poll.community).announce_results:
        await outbox.add(tx, "votes", results, community=poll.community, room=poll.room,
                         reply_to=poll.message, payload={"poll": poll.id, "kind": "results"})


async def show(svc: VotesService, poll_id: int) -> None:
    """Deliver the final edit and the result post now (the outbox retries what fails)."""
    await svc.bot.outbox.deliver(keys(poll_id))


async def render_announcement(svc: VotesService, item: Announcement) -> OutgoingMessage | None:
    """The final tally or the result post of an ended poll, as it reads at send time."""
    poll = await store.get_poll(svc.bot.db, int(item.payload["poll"]))
    if poll is None or poll.status == "open":
        return OutgoingMessage("")  # nothing to show (never recorded so: a hand-edited row)
    if item.payload.get("kind") == "final":
        await svc.live.drop(poll.id)
        return OutgoingMessage(await svc.message_text(poll), buttons=svc.buttons(poll))
    if poll.status != "closed":
        return OutgoingMessage("")
    result = await svc.result(poll)
    return OutgoingMessage(render.results_text(poll, result, svc.translate(poll.community)))


async def _record_legacy(svc: VotesService, poll_id: int) -> None:
    """A poll ended before the outbox existed (shown = 0): record its messages now, once."""
    async def op(tx: Tx) -> None:
        poll = await store.get_poll(tx, poll_id)
        if poll is not None and poll.status != "open" and await store.claim_show(tx, poll_id):
            await record_show(svc, tx, poll)

    await svc.bot.db.atomic(op)
    await show(svc, poll_id)


async def release_stale_claims(svc: VotesService) -> None:
    """At startup: what a dead run of this host had claimed is finished now, not in minutes."""
    bot = svc.bot
    for owner in await store.finish_owners(bot.db):
        if bot.outbox.stale_owner(owner):
            await store.release_finish(bot.db, owner)


async def sweep(svc: VotesService) -> int:
    """The deadline job (also run at startup): close what is due, finish what was left."""
    bot = svc.bot
    now = bot.now()
    closed = 0
    for poll_id in await store.due_polls(bot.db, now, bot.plugin_disabled_in("votes")):
        try:
            if await end(svc, poll_id) is not None:
                closed += 1
        except Exception:
            log.exception("closing poll %s failed", poll_id, extra={"plugin": "votes"})
    lease = now - LEASE_SECONDS
    for poll_id in await store.unfinished(bot.db, lease):
        if await store.claim_finish(bot.db, poll_id, now, lease, bot.outbox.owner.encode()):
            await finish(svc, poll_id)
    for poll_id in await store.unshown(bot.db):
        await _record_legacy(svc, poll_id)
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
