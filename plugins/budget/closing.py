"""Closing a budget exactly once, whoever asks (the sweep, `!budget close`), restart-safe.

`close` reads the treasury, then in ONE op claims the budget (open → closing, a conditional
UPDATE only one caller wins) and freezes the ranking and the funded ideas. `drive` pays each
funded idea from the treasury under the stable ref `budget:<budget>:idea:<idea>`: into the
idea's open funding round if it has one (it then counts toward that round's goal, and goes
back to the treasury if the round fails), else to its author with `award_tokens` — the tips
ledger writes a (reason, ref) once, so a payment replayed after a crash, a second close or a
restart moves nothing, and never both ways — then marks it paid (and where).
`finish` makes the budget closed once nothing is left to pay, recording its announcement in
the core outbox in the same op. A process killed anywhere leaves a state the sweep continues.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.api import Announcement, Text, Tx, UserError
from plugins.budget import money, render, store
from plugins.budget.allocation import allocate

if TYPE_CHECKING:
    from plugins.budget.service import BudgetService

log = logging.getLogger("ruche.budget")


def result_key(round_id: int) -> str:
    """The outbox key of a budget's result announcement."""
    return f"budget:round:{round_id}:result"


async def sweep(svc: BudgetService) -> None:
    """The job: close due budgets, finish interrupted payments, in enabled communities only."""
    bot = svc.bot
    now = float(bot.now())
    for row in await store.due_rounds(bot.db, now):
        if bot.plugin_enabled("budget", row["community"]):
            await close(svc, int(row["id"]), "deadline", due_only=True)
    for row in await store.closing_rounds(bot.db):
        if bot.plugin_enabled("budget", row["community"]):
            await drive(svc, int(row["id"]))


async def close(svc: BudgetService, round_id: int, kind: str, *, due_only: bool = False) -> bool:
    """Claim an open budget and freeze its result, then pay; False if it was not open (someone
    else closed it, or it is not due): a replayed close changes nothing."""
    bot = svc.bot
    row = await store.round_row(bot.db, round_id)
    if row is None or row["state"] != "open":
        return False
    balance = await money.treasury(bot, row["community"])
    if balance is None:
        if kind == "close":
            raise money.unavailable()
        return False  # the sweep retries once the tips plugin is back
    available = min(int(row["total"]), max(0, balance))
    now = float(bot.now())

    async def op(tx: Tx) -> bool:
        if not await store.claim(tx, round_id, kind, now, due_only=due_only):
            return False
        ideas = await store.ideas(tx, round_id)
        totals = await store.support_totals(tx, round_id)
        await store.record_allocation(tx, round_id, available,
                                      allocate(render.candidates(ideas, totals), available))
        return True

    async with svc.lock(round_id):
        claimed = await bot.db.atomic(op)
    if claimed:
        await drive(svc, round_id)
    return claimed


async def drive(svc: BudgetService, round_id: int) -> None:
    """Pay what is still unpaid, finish when nothing is left, then send the result."""
    bot = svc.bot
    async with svc.lock(round_id):
        row = await store.round_row(bot.db, round_id)
        if row is None or row["state"] != "closing":
            return
        community = row["community"]
        for idea in await store.unpaid(bot.db, round_id):
            idea_id, cost = int(idea["idea_id"]), int(idea["cost"])
            ref = money.pay_ref(round_id, idea_id)
            try:
                funding = await money.credit_round(bot, community, idea_id, cost, ref,
                                                   f"budget {round_id}, idea #{idea['number']}")
                done = funding is not None or await money.pay(
                    bot, community, int(idea["author_id"]), cost, ref)
            except UserError as exc:  # the treasury fell short or a plugin vetoed: retried
                log.warning("budget: budget %s cannot pay idea #%s yet: %s", round_id,
                            idea["number"], exc, extra={"plugin": "budget"})
                return
            if not done:
                log.warning("budget: budget %s waits for the tips plugin", round_id,
                            extra={"plugin": "budget"})
                return
            await store.mark_paid(bot.db, round_id, idea_id, funding)

        async def finish(tx: Tx) -> bool:
            if not await store.finish(tx, round_id):
                return False
            await record_result(svc, tx, round_id)
            return True

        await bot.db.atomic(finish)
    await bot.outbox.deliver([result_key(round_id)])


async def record_result(svc: BudgetService, tx: Tx, round_id: int) -> None:
    """In the op that closes the budget: its result goes to the outbox with it."""
    row = await store.round_row(tx, round_id)
    if row is None or row["close_kind"] == "close" or not svc.config(row["community"]).announce:
        return  # `!budget close` answers its caller; announcements off: nothing
    room = store.room_of(row)
    if room is None:
        return
    await svc.bot.outbox.add(tx, "budget", result_key(round_id), community=row["community"],
                             room=room, payload={"round": round_id})


async def result_lines(svc: BudgetService, round_id: int) -> list[Text] | None:
    """A closed budget's result, or None while it is still being paid."""
    row = await store.round_row(svc.bot.db, round_id)
    if row is None or row["state"] != "closed":
        return None
    cur = await svc.display_currency(row["community"])
    return render.result(row, await store.ideas(svc.bot.db, round_id), cur,
                         svc.config(row["community"]).bar_width)


async def render_announcement(svc: BudgetService, item: Announcement) -> Text | str | None:
    """The result, rendered when it is sent; None (try later) while payments are pending."""
    lines = await result_lines(svc, int(item.payload["round"]))
    return None if lines is None else render.joined(lines)
