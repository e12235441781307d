"""Settling rounds exactly once, whoever asks (the sweep, `!fund close`, a merge), restart-safe.

A round is its own outbox. `claim` (open → settling, one conditional UPDATE) decides who
settles; `decide` (one op, once pending pledges are resolved) freezes the outcome and marks
what must leave the escrow (`refunding`, `moving`); then each movement is driven through the
ledger (idempotent refs) and marked done; `finish` makes the round final and records its
announcement in the core outbox in the same op; `notify` emits its event once (leased by this
run: a dead run's claim is released at the next start) and delivers the announcement. A process killed at any point leaves a state the next sweep continues
from, and every replayed movement is a no-op in the ledger.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.api import Announcement, RoomRef, Row, Text, Tx, translatable
from plugins.funding import money, movements, render, store
from plugins.funding.models import Backer, PledgeChange
from plugins.funding.tiers import tier_for

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.funding.service import FundingService

_ = translatable("funding")
log = logging.getLogger("ruche.funding")

NOTIFY_LEASE = 300.0  # seconds before another caller may re-emit a crashed notification


async def sweep(svc: FundingService) -> None:
    """The job: re-drive interrupted movements, settle due rounds, finish and announce."""
    bot = svc.bot
    now = float(bot.now())
    grace = svc.config().recovery_grace.total_seconds()
    stale = set(await store.stale_round_ids(bot.db, ("pending",), now - grace))
    stale |= set(await store.stale_round_ids(bot.db, ("refunding", "moving"), now + 1))
    for round_id in sorted(stale):
        async with svc.lock(round_id):
            await recover(svc, round_id)
    for round_id in await store.due_round_ids(bot.db, now, bot.plugin_disabled_in("funding")):
        await close(svc, round_id, "deadline", due_only=True)
    for round_id in await store.settling_round_ids(bot.db):
        await drive(svc, round_id)
    for round_id in await store.unnotified_round_ids(bot.db):
        await notify(svc, round_id)


async def recover(svc: FundingService, round_id: int) -> None:
    """Re-drive this round's movements a crash (or another process) left half-done. Pending
    pledges wait `recovery_grace`: a live command may still be deciding them."""
    bot = svc.bot
    grace = svc.config().recovery_grace.total_seconds()
    before = float(bot.now()) - grace
    for row in await store.pledges(bot.db, round_id, ("pending",)):
        if float(row["updated_at"]) < before and await movements.confirm(bot, row) \
                and row["reason"] == money.PLEDGE:
            await _pledged(svc, row)
    for row in await store.pledges(bot.db, round_id, ("refunding",)):
        await movements.refund(bot, row)


async def _pledged(svc: FundingService, row: Row) -> None:
    """`on_pledge` for a pledge the sweep completed (its member got no answer: it is still a
    fact others may count)."""
    bot = svc.bot
    round_id, member_id = int(row["round_id"]), int(row["member_id"])
    current = await svc.round(round_id)
    if current is not None:
        total = await store.member_total(bot.db, round_id, member_id)
        await bot.hooks.notify("on_pledge", bot=bot, pledge=PledgeChange(
            current, member_id, int(row["amount"]), total))


async def close(svc: FundingService, round_id: int, kind: str, *, due_only: bool = False,
                merge_idea: int | None = None) -> bool:
    """Claim an open round for settlement and settle it; False if someone else claimed it."""
    claimed = await store.claim(svc.bot.db, round_id, kind, float(svc.bot.now()),
                                due_only=due_only, merge_idea=merge_idea)
    if claimed:
        await drive(svc, round_id)
    return claimed


async def drive(svc: FundingService, round_id: int) -> None:
    """Take a settling round as far as it can go now, then announce it if it is final."""
    async with svc.lock(round_id):
        await _drive(svc, round_id)
    await notify(svc, round_id)


async def _drive(svc: FundingService, round_id: int) -> None:
    bot = svc.bot
    row = await store.round_row(bot.db, round_id)
    if row is None or row["state"] != "settling":
        return
    await recover(svc, round_id)
    if row["outcome"] is None:
        if await store.count_in(bot.db, round_id, ("pending",)):
            return  # a pledge is in flight: its amount is not known yet; the sweep decides
        now = float(bot.now())
        if not await bot.db.atomic(lambda tx: _decide(tx, round_id, now)):
            return
        row = await store.round_row(bot.db, round_id)
        assert row is not None
    outcome = row["outcome"]
    if outcome == "succeeded":
        await _release(svc, row)
        return
    for pledge in await store.pledges(bot.db, round_id, ("moving",)):
        await movements.move(bot, pledge)
    for pledge in await store.pledges(bot.db, round_id, ("refunding",)):
        await movements.refund(bot, pledge)
    await _finish_when_empty(svc, round_id, outcome, ("moving", "refunding"))


async def _decide(tx: Tx, round_id: int, now: float) -> bool:
    """Freeze the outcome: goal reached or not, or where a merged round's pledges go."""
    row = await store.round_row(tx, round_id)
    if row is None or row["state"] != "settling" or row["outcome"] is not None:
        return False
    if await store.count_in(tx, round_id, ("pending",)):
        return False
    raised, backers = await store.confirmed_totals(tx, round_id)
    kind = row["settle_kind"]
    if kind == "merge":
        target = await store.active_round_id(tx, row["community"], int(row["merge_idea"]))
        if target is not None and await store.guard_open(tx, target, now):
            await _move_all(tx, row, target, now)
            return await store.decide(tx, round_id, "merged", raised, backers, target, now)
        outcome = "cancelled"
    elif kind == "cancel":
        outcome = "cancelled"
    else:
        outcome = "succeeded" if raised >= int(row["goal"]) else "failed"
    if outcome != "succeeded":
        await store.set_round_states(tx, round_id, "confirmed", "refunding", now)
    return await store.decide(tx, round_id, outcome, raised, backers, None, now)


async def _move_all(tx: Tx, row: Row, target: int, now: float) -> None:
    """Each confirmed pledge becomes `moving`, with a `pending` continuation in the target
    round (the merge moves them whatever the target's cap: members did not choose it)."""
    round_id = int(row["id"])
    for pledge in await store.pledges(tx, round_id, ("confirmed",)):
        member_id = int(pledge["member_id"])
        _pledged, _busy, seq = await store.member_state(tx, target, member_id)
        await store.insert_pledge(
            tx, round_id=target, community=row["community"], member_id=member_id, seq=seq + 1,
            amount=int(pledge["amount"]), src=money.escrow_account(round_id),
            reason=money.MOVE, ref=money.move_ref(target, int(pledge["id"])), now=now,
            moved_from=int(pledge["id"]))
    await store.set_round_states(tx, round_id, "confirmed", "moving", now)


async def _release(svc: FundingService, row: Row) -> None:
    """Goal reached: the escrow goes to the wallet, backers are recorded with their tier."""
    bot = svc.bot
    round_id, raised = int(row["id"]), int(row["raised"])
    if not await money.transfer(bot, row["community"], money.escrow_account(round_id),
                                row["wallet"], raised, money.RELEASE,
                                money.release_ref(round_id), f"idea #{row['idea_number']}"):
        log.warning("funding: round %s waits for the tips plugin to release its escrow",
                    round_id, extra={"plugin": "funding"})
        return
    now = float(bot.now())
    tiers = store.decode_tiers(row["tiers"])

    async def finalize(tx: Tx) -> None:
        for member_id, total in await store.sums_by_member(tx, round_id, "confirmed"):
            await store.insert_backer(tx, round_id, row["community"], member_id, total,
                                      tier_for(total, tiers))
        await store.set_round_states(tx, round_id, "confirmed", "released", now)
        if await store.finish(tx, round_id, "succeeded", now):
            await record_outcome(svc, tx, round_id)

    await bot.db.atomic(finalize)


async def _finish_when_empty(svc: FundingService, round_id: int, state: str,
                             waiting: tuple[str, ...]) -> None:
    """Final once nothing is left to leave the escrow (a failed movement is retried later)."""
    bot = svc.bot
    now = float(bot.now())

    async def op(tx: Tx) -> None:
        if not await store.count_in(tx, round_id, waiting) \
                and await store.finish(tx, round_id, state, now):
            await record_outcome(svc, tx, round_id)

    await bot.db.atomic(op)


# -- after settlement -----------------------------------------------------------------------------

def outcome_key(round_id: int) -> str:
    """The outbox key of a round's outcome announcement."""
    return f"funding:round:{round_id}:outcome"


async def record_outcome(svc: FundingService, tx: Tx, round_id: int) -> None:
    """In the op that makes the round final: its announcement goes to the outbox with it."""
    row = await store.round_row(tx, round_id)
    if row is None or row["settle_kind"] == "close" or not row["room_platform"] \
            or not svc.config(row["community"]).announce:
        return  # `!fund close` answers its caller; no room, or announcements off: nothing
    room = RoomRef(row["room_platform"], row["room_id"], row["room_name"], row["room_guild"])
    await svc.bot.outbox.add(tx, "funding", outcome_key(round_id), community=row["community"],
                             room=room, payload={"round": round_id})


async def notify(svc: FundingService, round_id: int) -> None:
    """Emit a final round's event once (a crash before the end re-emits), then announce it."""
    bot = svc.bot
    row = await store.round_row(bot.db, round_id)
    if row is None or row["state"] not in store.FINAL_STATES:
        return
    if not row["notified"]:
        if not await store.claim_notify(bot.db, round_id, float(bot.now()), NOTIFY_LEASE,
                                        bot.outbox.owner.encode()):
            return
        final = await svc.round(round_id)
        assert final is not None
        if final.state == "succeeded":
            await bot.hooks.notify("on_funding_succeeded", bot=bot, round=final,
                                   backers=await backers_of(bot, round_id))
        elif final.state in ("failed", "cancelled"):
            await bot.hooks.notify("on_funding_failed", bot=bot, round=final)
        await bot.db.atomic(lambda tx: record_outcome(svc, tx, round_id))  # settled before
        await store.mark_notified(bot.db, round_id)  # the outbox existed: no-op otherwise
    await bot.outbox.deliver([outcome_key(round_id)])


async def release_stale_claims(bot: Bot) -> None:
    """At startup: event claims a dead run of this host held are free again at once."""
    for owner in await store.notify_owners(bot.db):
        if bot.outbox.stale_owner(owner):
            await store.release_notify(bot.db, owner)


async def backers_of(bot: Bot, round_id: int) -> tuple[Backer, ...]:
    """The recorded backers of a funded round, biggest first (none for other outcomes)."""
    return tuple(Backer(int(r["member_id"]), int(r["amount"]), r["tier"])
                 for r in await store.backers(bot.db, round_id))


async def render_announcement(svc: FundingService, item: Announcement) -> Text | str | None:
    """A final round's outcome, as it reads when it is sent (its backers, its merge target)."""
    round_id = int(item.payload["round"])
    final = await svc.round(round_id)
    row = await store.round_row(svc.bot.db, round_id)
    if final is None or row is None:
        return ""
    if final.state not in store.FINAL_STATES:
        return None  # cannot happen: recorded with the final state
    merged_into = row["merged_into"]
    target = await svc.round(int(merged_into)) if merged_into is not None else None
    return await render.outcome(svc.bot, final, await backers_of(svc.bot, round_id),
                                await svc.display_currency(final.community), target)
