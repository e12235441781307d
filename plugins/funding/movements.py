"""Driving one recorded intent to the ledger and marking it done: the outbox's three moves.

Each function replays the same (reason, ref) however often it runs, so a crash anywhere, a
racing sweep or another process makes the ledger move once; the state change after it is
conditional, so it happens once too. `refund` and `move` return True when the intent is
done; `confirm` says whether it confirmed the pledge, dropped it, or must be retried.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.api import Row, Tx, UserError
from plugins.funding import money, store

if TYPE_CHECKING:
    from bot.api import Bot

log = logging.getLogger("ruche.funding")


def _memo(row: Row) -> str:
    return f"funding round {row['round_id']}"


async def confirm(bot: Bot, row: Row) -> bool | None:
    """A `pending` pledge: move it into the escrow (again: a replay returns the first entry)
    and confirm it; True if this call confirmed it. If the member cannot pay, the movement
    never happened: the row goes (False). None: not now (tips unavailable, or a bug logged)."""
    escrow = money.escrow_account(int(row["round_id"]))
    try:
        entry = await money.transfer_entry(bot, row["community"], row["src"], escrow,
                                           int(row["amount"]), row["reason"], row["ref"],
                                           _memo(row))
    except UserError:
        if row["reason"] == money.PLEDGE or int(row["member_id"]) == money.TREASURY_MEMBER:
            await store.delete_pending(bot.db, int(row["id"]))
            return False
        log.error("funding: pledge %s cannot leave %s", row["ref"], row["src"],
                  extra={"plugin": "funding"})
        return None
    if entry is None:
        return None
    if getattr(entry, "dst", escrow) != escrow:  # a treasury ref that paid elsewhere first
        await store.delete_pending(bot.db, int(row["id"]))
        return False
    return await store.set_state(bot.db, int(row["id"]), "pending", "confirmed",
                                 float(bot.now()))


async def refund(bot: Bot, row: Row) -> bool:
    """A `refunding` pledge: give it back to its member (who may have linked accounts since),
    or to the treasury when the treasury made it."""
    rid, pid = int(row["round_id"]), int(row["id"])
    try:
        done = await money.transfer(bot, row["community"], money.escrow_account(rid),
                                    money.holder_account(int(row["member_id"])),
                                    int(row["amount"]), money.REFUND, money.refund_ref(rid, pid),
                                    _memo(row))
    except UserError:
        log.error("funding: escrow of round %s cannot refund pledge %s", rid, pid,
                  extra={"plugin": "funding"})
        return False
    if done:
        await store.set_state(bot.db, pid, "refunding", "refunded", float(bot.now()))
    return done


async def move(bot: Bot, row: Row) -> bool:
    """A `moving` pledge of a merged round: move it to the target round's escrow under the
    ref of the pledge the merge created there, then confirm that one and close this one."""
    pid = int(row["id"])
    target = await store.continuation(bot.db, pid)
    if target is None:  # pragma: no cover - written in the same op as the `moving` state
        log.error("funding: pledge %s is moving nowhere", pid, extra={"plugin": "funding"})
        return False
    try:
        done = await money.transfer(bot, row["community"], target["src"],
                                    money.escrow_account(int(target["round_id"])),
                                    int(target["amount"]), target["reason"], target["ref"],
                                    _memo(target))
    except UserError:
        log.error("funding: escrow of round %s cannot move pledge %s", row["round_id"], pid,
                  extra={"plugin": "funding"})
        return False
    if not done:
        return False
    now = float(bot.now())

    async def op(tx: Tx) -> None:
        await store.set_state(tx, int(target["id"]), "pending", "confirmed", now)
        await store.set_state(tx, pid, "moving", "moved", now)

    await bot.db.atomic(op)
    return True
