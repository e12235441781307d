"""Scheduled sweeps: allowance (+ giving budget), demurrage and the activity reward.

Each runs every minute and at startup, and pays each period exactly once: the period key is
part of every entry's ref (`allowance`, `2026-11-25:member:12`), progress markers say which
periods are done, and after downtime the missed periods are caught up (at most `max_catch_up`).
The allowance is set-based (one INSERT … SELECT per period for many communities at once), so a
sweep over ten thousand communities costs a few hundred statements, not a million.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeVar

from bot.api import Row, Tx
from plugins.tips import ledger, store
from plugins.tips.ledger import MINT, TREASURY, Movement, budget_account, member_account
from plugins.tips.models import LedgerEntry
from plugins.tips.money import issuer, sink
from plugins.tips.periods import label, missed, period_start
from plugins.tips.rewards import WEIGHT_FIELDS, top_members
from plugins.tips.service import TipsService

CHUNK = 200  # members per atomic op: one op per chunk keeps the writer responsive
COMMUNITY_CHUNK = 50  # communities per set-based allowance op (~5,000 members at 100 each)
ACTIVITY_JOB = "activity"
R = TypeVar("R")


async def _chunked(svc: TipsService, rows: Sequence[R],
                   work: Callable[[Tx, R], Awaitable[list[LedgerEntry]]]) -> int:
    """Run `work` for each row, CHUNK rows per op; emit each chunk's entries after its commit."""
    total = 0
    for i in range(0, len(rows), CHUNK):
        part = rows[i:i + CHUNK]

        async def op(tx: Tx, part: Sequence[R] = part) -> list[LedgerEntry]:
            written: list[LedgerEntry] = []
            for row in part:
                written += await work(tx, row)
            return written

        written = await svc.atomic(op)
        total += len(written)
        await svc.emit(written)
    return total


async def _live(svc: TipsService) -> list[str]:
    """Every community with tips data where the plugin is on (one set lookup, not one per row)."""
    off = svc.bot.plugin_disabled_in("tips")
    return [c for c in await store.communities(svc.bot.db) if c not in off]


async def _each_community(svc: TipsService, sweep: Callable[[TipsService, str, float],
                                                            Awaitable[Any]]) -> None:
    now = float(svc.bot.now())
    for community in await _live(svc):
        await sweep(svc, community, now)


# -- allowance and giving budget -----------------------------------------------------------

async def allowance_job(svc: TipsService) -> None:
    """Pay the universal dividend and refresh giving budgets in every community."""
    now = float(svc.bot.now())
    live = await _live(svc)
    await allowance_many(svc, live, now)
    await budgets_many(svc, live, now)


async def allowance(svc: TipsService, community: str, now: float) -> int:
    """Pay each active member of one community what `allowance_many` would."""
    return await allowance_many(svc, [community], now)


@dataclass(frozen=True, slots=True)
class _AllowanceRule:
    """What decides an allowance: communities sharing it are swept by the same statements."""

    amount: int
    span: float
    window: float
    max_catch_up: int
    source: str


async def allowance_many(svc: TipsService, communities: Sequence[str], now: float) -> int:
    """Pay each active member `allowance_amount` for every period owed (catch-up included),
    in set-based statements over COMMUNITY_CHUNK communities sharing one allowance rule."""
    groups: dict[_AllowanceRule, list[str]] = {}
    for community in communities:
        cfg = svc.config(community)
        if cfg.allowance_amount <= 0:
            continue
        rule = _AllowanceRule(cfg.allowance_amount, cfg.allowance_period.total_seconds(),
                              cfg.active_window.total_seconds(), cfg.max_catch_up, issuer(cfg))
        groups.setdefault(rule, []).append(community)
    total = 0
    for rule, members in groups.items():
        for i in range(0, len(members), COMMUNITY_CHUNK):
            total += await _allowance_chunk(svc, rule, members[i:i + COMMUNITY_CHUNK], now)
    return total


async def _allowance_chunk(svc: TipsService, rule: _AllowanceRule, communities: list[str],
                           now: float) -> int:
    """One atomic op: an INSERT … SELECT of entries per period owed, the credits they add
    (one upsert per thousand accounts), the issuer's debit, then the progress markers."""
    span, window = rule.span, rule.window
    current = period_start(now, span)
    previous = current - span
    oldest = current - span * (rule.max_catch_up - 1)

    async def op(tx: Tx) -> list[LedgerEntry]:
        earliest = await store.oldest_allowance(tx, communities, oldest - window)
        starts = missed(earliest, now, span, rule.max_catch_up) or [current]
        written: list[LedgerEntry] = []
        for start in starts:
            rows = await store.insert_allowances(
                tx, communities, rule.source, rule.amount, start, label(start, span),
                start - window, start == current, now)
            written += [LedgerEntry(int(r["id"]), r["community"], rule.source, r["dst"],
                                    rule.amount, "allowance", r["ref"], "", "", now)
                        for r in rows]
        credits: dict[tuple[str, str], int] = {}
        for entry in written:
            key = (entry.community, entry.dst)
            credits[key] = credits.get(key, 0) + entry.amount
        await store.credit_many(tx, [(c, account, int(account.partition(":")[2]), amount)
                                     for (c, account), amount in sorted(credits.items())])
        if rule.source != MINT:  # mutual credit: the treasury issues, with no floor
            issued: dict[str, int] = {}
            for entry in written:
                issued[entry.community] = issued.get(entry.community, 0) + entry.amount
            for community, amount in sorted(issued.items()):
                await ledger.debit(tx, community, rule.source, amount, None)
        await store.mark_allowances(tx, communities, current, previous, current - window,
                                    oldest - window)
        return written

    written = await svc.atomic(op)
    await svc.emit(written)
    return len(written)


async def budgets_many(svc: TipsService, communities: Sequence[str], now: float) -> int:
    """Giving budgets of every community: those with one refill theirs; leftover budgets where
    the feature is off are found by one query over all communities, not one per community."""
    live = set(communities)
    leftover: dict[str, list[Row]] = {}
    for row in await store.positive_budgets(svc.bot.db):
        if row["community"] in live:
            leftover.setdefault(row["community"], []).append(row)
    total = 0
    for community in communities:
        if svc.config(community).giving_budget > 0:
            total += await budgets(svc, community, now)
        elif community in leftover:
            total += await budgets(svc, community, now, leftover[community])
    return total


async def budgets(svc: TipsService, community: str, now: float,
                  leftover: Sequence[Row] = ()) -> int:
    """Expire last period's giving budgets and refill active members' for this period."""
    cfg = svc.config(community)
    span = cfg.allowance_period.total_seconds()
    current = period_start(now, span)
    key = label(current, span)
    refill = cfg.giving_budget
    rows: Sequence[Row] = leftover
    if refill > 0:
        rows = await store.budget_due(svc.bot.db, community, current,
                                      current - cfg.active_window.total_seconds())
    active_since = current - cfg.active_window.total_seconds()

    async def renew(tx: Tx, row: Row) -> list[LedgerEntry]:
        member_id = int(row["member_id"])
        account = budget_account(member_id)
        ref = f"{key}:member:{member_id}"
        written: list[LedgerEntry] = []
        left = int(row["budget"])
        if left > 0:
            entry = await ledger.apply(tx, community, Movement(
                account, sink(cfg), left, "budget_expired", ref), now, floor=0)
            written += [entry] if entry else []
        if refill > 0:
            if float(row["last_seen"]) >= active_since:
                entry = await ledger.apply(tx, community, Movement(
                    issuer(cfg), account, refill, "budget", ref), now, floor=None)
                written += [entry] if entry else []
            await store.set_budget_at(tx, community, member_id, current)
        return written

    return await _chunked(svc, rows, renew)


# -- demurrage ----------------------------------------------------------------------------------

def melt(balance: int, rate: float) -> int:
    """Demurrage on a balance, rounded down (exact decimal maths: 0.29 × 100 is 29, not 28)."""
    if balance <= 0:
        return 0
    fee = (Decimal(balance) * Decimal(str(rate))).to_integral_value(rounding=ROUND_FLOOR)
    return min(balance, int(fee))


async def demurrage_job(svc: TipsService) -> None:
    """Melt positive balances by `demurrage_rate` per period in every community."""
    await _each_community(svc, demurrage)


async def demurrage(svc: TipsService, community: str, now: float) -> int:
    """Charge each positive member balance once per period owed, compounding over a catch-up."""
    cfg = svc.config(community)
    span = cfg.demurrage_period.total_seconds()
    current = period_start(now, span)
    if cfg.demurrage_rate <= 0:
        await svc.atomic(lambda tx: store.skip_demurrage(tx, community, current))
        return 0
    rows = await store.demurrage_due(svc.bot.db, community, current)
    to = sink(cfg, cfg.demurrage_destination)

    async def charge(tx: Tx, row: Row) -> list[LedgerEntry]:
        account = row["account"]
        written: list[LedgerEntry] = []
        if row["demurrage_at"] is not None:  # a new holder starts with the next period
            held = await store.balance(tx, community, account) or 0
            for start in missed(row["demurrage_at"], now, span, cfg.max_catch_up):
                fee = melt(held, cfg.demurrage_rate)
                if fee <= 0:
                    break
                entry = await ledger.apply(tx, community, Movement(
                    account, to, fee, "demurrage", f"{label(start, span)}:{account}",
                    memo=f"{cfg.demurrage_rate:g} per period"), now, floor=0)
                if entry is not None:
                    written.append(entry)
                    held -= fee
        await store.set_demurrage_at(tx, community, account, current)
        return written

    total = await _chunked(svc, rows, charge)
    await svc.atomic(lambda tx: store.skip_demurrage(tx, community, current))
    return total


# -- activity reward ----------------------------------------------------------------------------

async def activity_job(svc: TipsService) -> None:
    """Reward the most active members of every completed activity period."""
    await _each_community(svc, activity)


async def activity(svc: TipsService, community: str, now: float) -> int:
    """For each completed period not yet rewarded: pay `activity_reward` to the top_n."""
    cfg = svc.config(community)
    span = cfg.activity_period.total_seconds()
    db = svc.bot.db
    last = await store.sweep_state(db, community, ACTIVITY_JOB)
    if last is None:
        # The first sweep may come periods after the community's first activity (its members
        # are only noted every few minutes): start with the period of that activity, so the
        # community's first period is rewarded. Nothing scored exists from before the plugin.
        since = await store.first_activity(db, community)
        first = period_start(now if since is None else min(since, now), span) - span
        await svc.atomic(lambda tx: store.start_sweep_state(tx, community, ACTIVITY_JOB, first))
        last = await store.sweep_state(db, community, ACTIVITY_JOB)
        assert last is not None
    weights = {kind: getattr(cfg, name) for kind, name in WEIGHT_FIELDS.items()}
    total = 0
    for start in missed(last, now, span, cfg.max_catch_up, include_current=False):
        winners: list[tuple[int, int]] = []
        if cfg.activity_reward > 0:
            rows = await store.activity_counts(db, community, start, start + span)
            counts = [(int(r["member_id"]), r["kind"], int(r["n"])) for r in rows]
            winners = top_members(counts, weights, cfg.activity_top_n)
        key = label(start, span)
        moves = [Movement(TREASURY, member_account(m), cfg.activity_reward, "activity",
                          f"{key}:member:{m}", memo=f"score {score}") for m, score in winners]

        async def op(tx: Tx, moves: list[Movement] = moves,
                     start: float = start) -> list[LedgerEntry]:
            # Claim the period first, in the paying transaction: of two racing sweeps (maybe
            # with different winners, counted a moment apart) only one pays it.
            if not await store.claim_sweep_period(tx, community, ACTIVITY_JOB, start):
                return []
            return await svc.treasury.payout_op(tx, community, cfg, moves, now)

        written = await svc.atomic(op)
        total += len(written)
        await svc.emit(written)
    return total
