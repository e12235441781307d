"""Quadratic votes paid in community tokens, through the tips plugin's hooks.

The ledger is another plugin's transaction, so each movement is first written here as a
`pending` charge with a unique ref, then made through `charge_tokens` / `award_tokens`
(idempotent on (reason, ref)), then settled. A process killed in between leaves a pending
row; the sweep settles it later by replaying the same ref, so nothing is paid twice:
- a pending charge (> 0) means the ballot was never written: charge again (a replay is a
  no-op if it went through), then refund it under `ref:void`;
- a pending refund (< 0) means the ballot change was written: pay the refund.
`tips unavailable` (no answer) refuses new paid ballots and leaves pending rows for later.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.api import IntegrityError, Tx, UserError, translatable
from plugins.votes import store
from plugins.votes.codec import decode_ballot
from plugins.votes.models import Poll
from plugins.votes.tallies.quadratic import cost

if TYPE_CHECKING:
    from plugins.votes.service import VotesService

_ = translatable("votes")
log = logging.getLogger("ruche.votes.spend")

CHARGE_REASON = "poll_vote"
REFUND_REASON = "poll_refund"
#: Our ledger reasons in words, for the tips plugin's `!history`.
REASONS = {CHARGE_REASON: _("tokens spent on a vote"), REFUND_REASON: _("vote tokens refunded")}


async def _charge(svc: VotesService, community: str, member_id: int, amount: int,
                  ref: str) -> bool:
    """Take tokens (UserError if the member is short); False when tips is unavailable."""
    entry = await svc.bot.hooks.first("charge_tokens", bot=svc.bot, community=community,
                                      member_id=member_id, amount=amount,
                                      reason=CHARGE_REASON, ref=ref)
    return entry is not None


async def _refund(svc: VotesService, community: str, member_id: int, amount: int,
                  ref: str) -> bool:
    """Give tokens back; False (logged) when tips is unavailable or failed: retried later."""
    try:
        entry = await svc.bot.hooks.first("award_tokens", bot=svc.bot, community=community,
                                          member_id=member_id, amount=amount,
                                          reason=REFUND_REASON, ref=ref)
    except Exception:
        log.exception("refund %s failed; the sweep retries it", ref, extra={"plugin": "votes"})
        return False
    return entry is not None


def _unavailable() -> UserError:
    return UserError(_("This poll is paid in tokens, and the tips plugin is not available."))


def _busy(poll: Poll) -> UserError:
    return UserError(_("Your previous ballot on poll #{number} is still being recorded; try "
                       "again in a moment.", number=poll.number))


async def cast_paid(svc: VotesService, poll: Poll, member_id: int, choice: str,
                    weight: int) -> str | None:
    """Write a ballot whose cost is paid in tokens; returns the previous choice."""
    db = svc.bot.db
    price = cost(decode_ballot(poll.method, choice).values)
    now = svc.bot.now()

    async def reserve(tx: Tx) -> tuple[str, int]:
        if await store.claim_open(tx, poll.id, now) is None:
            raise UserError(_("Poll #{number} is closed.", number=poll.number))
        paid, count, pending = await store.paid(tx, poll.id, member_id)
        if pending:
            raise _busy(poll)
        ref = f"poll:{poll.id}:m{member_id}:{count + 1}"
        if price > paid:
            await store.insert_charge(tx, ref, poll.id, member_id, price - paid, "pending", now)
        return ref, price - paid

    ref, delta = await db.atomic(reserve)
    if delta > 0:
        try:
            charged = await _charge(svc, poll.community, member_id, delta, ref)
        except UserError:
            await store.delete_charge(db, ref)
            raise
        if not charged:
            await store.delete_charge(db, ref)
            raise _unavailable()

        async def settle(tx: Tx) -> None:
            await store.set_charge_state(tx, ref, "done")

        try:
            previous, _new = await svc.write(poll, member_id, lambda _p: choice,
                                             source="command", weight=weight, extra=settle)
        except UserError:  # the poll closed between the charge and the ballot
            if await _refund(svc, poll.community, member_id, delta, f"{ref}:void"):
                await store.set_charge_state(db, ref, "void")
            raise
        return previous

    async def record_refund(tx: Tx) -> None:
        if delta < 0:
            await store.insert_charge(tx, ref, poll.id, member_id, delta, "pending", now)

    previous, _new = await svc.write(poll, member_id, lambda _p: choice, source="command",
                                     weight=weight, extra=record_refund)
    if delta < 0 and await _refund(svc, poll.community, member_id, -delta, ref):
        await store.set_charge_state(db, ref, "done")
    return previous


async def withdraw_paid(svc: VotesService, poll: Poll, member_id: int,
                        remove: Callable[[str | None], None]) -> None:
    """`!unvote` on a token poll: remove the ballot and refund everything it cost."""
    now = svc.bot.now()
    refund: dict[str, int | str] = {}

    async def record_refund(tx: Tx) -> None:
        refund.clear()
        paid, count, pending = await store.paid(tx, poll.id, member_id)
        if pending:
            raise _busy(poll)
        if paid > 0:
            ref = f"poll:{poll.id}:m{member_id}:{count + 1}"
            await store.insert_charge(tx, ref, poll.id, member_id, -paid, "pending", now)
            refund.update(ref=ref, amount=paid)

    await svc.write(poll, member_id, remove, source="command", extra=record_refund)
    if refund:
        ref, amount = str(refund["ref"]), int(refund["amount"])
        if await _refund(svc, poll.community, member_id, amount, ref):
            await store.set_charge_state(svc.bot.db, ref, "done")


async def refund_all(svc: VotesService, poll: Poll) -> bool:
    """A cancelled poll gives every member back what their ballot cost; True when all done."""
    db = svc.bot.db
    complete = True
    for member_id, paid in await store.paid_by_member(db, poll.id):
        ref = f"poll:{poll.id}:m{member_id}:cancel"
        if not await _refund(svc, poll.community, member_id, paid, ref):
            complete = False
            continue
        try:
            await db.atomic(_record_refund(ref, poll.id, member_id, paid, svc.bot.now()))
        except IntegrityError:
            pass  # recorded by an earlier attempt
    return complete


def _record_refund(ref: str, poll_id: int, member_id: int, amount: int,
                   now: float) -> Callable[[Tx], Awaitable[None]]:
    async def op(tx: Tx) -> None:
        await store.insert_charge(tx, ref, poll_id, member_id, -amount, "done", now)

    return op


async def recover(svc: VotesService, before: float) -> None:
    """Settle charges left pending by a process that died mid-way (see the module doc)."""
    db = svc.bot.db
    for row in await store.pending_charges(db, before):
        ref, amount = str(row["ref"]), int(row["amount"])
        community, member_id = str(row["community"]), int(row["member_id"])
        try:
            if amount > 0:
                try:
                    charged = await _charge(svc, community, member_id, amount, ref)
                except UserError:  # it never went through, and cannot now
                    await store.set_charge_state(db, ref, "void")
                    continue
                if charged and await _refund(svc, community, member_id, amount, f"{ref}:void"):
                    await store.set_charge_state(db, ref, "void")
            elif await _refund(svc, community, member_id, -amount, ref):
                await store.set_charge_state(db, ref, "done")
        except Exception:
            log.exception("settling charge %s failed", ref, extra={"plugin": "votes"})
