"""The currency's rules: tips, reads, presence and account links (treasury payments are in
`treasury.py`, shared plumbing in `base.py`).

Every movement is one `bot.db.atomic` op (SQLite group-commits them in its writer thread);
refusals are `UserError`s raised before or inside the op, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import Member, Tx, UserError, format_duration, translatable
from plugins.tips import ledger, store
from plugins.tips.base import ServiceBase
from plugins.tips.config import TipsConfig
from plugins.tips.ledger import (
    Insufficient,
    Movement,
    budget_account,
    member_account,
    parse_account,
)
from plugins.tips.models import LedgerEntry, Tip, TransferRequest
from plugins.tips.money import MAX_MEMO, Holdings, fmt, insufficient, issuer, member_floor
from plugins.tips.periods import calendar, period_start
from plugins.tips.treasury import Treasury

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("tips")

SEEN_RESOLUTION = 600.0  # seconds: presence is written at most this often per member
_FAR_FUTURE = 1e300  # "no cooldown": any previous tip time is allowed


class Replayed(Exception):
    """The movement's (reason, ref) is already in the ledger: the op rolls back and we say so."""


class TipsService(ServiceBase):
    """One per bot, held by its `TipsPlugin`: tips, reads, presence and links.

    Treasury payments are a part it holds (`self.treasury`); the plumbing stays its base class
    because the tip hot path and every module call it on the service (`svc.config`), hop-free."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.treasury = Treasury(self)

    # -- tips -----------------------------------------------------------------------------------

    def check_tip(self, cfg: TipsConfig, sender: Member, receiver: Member, amount: int,
                  memo: str) -> None:
        """Refusals that need no database: same person, bots, bounds, memo length."""
        if receiver.is_bot or sender.is_bot:
            raise UserError(_("Bots cannot send or receive tips."))
        if sender.id == receiver.id:
            raise UserError(_("You cannot tip yourself."))
        if amount <= 0:
            raise UserError(_("The amount must be at least 1."))
        if amount > cfg.max_tip:
            raise UserError(_("A tip is at most {max} {currency}.",
                              max=fmt(cfg, cfg.max_tip), currency=cfg.currency))
        if cfg.daily_cap and amount > cfg.daily_cap:
            raise UserError(_("You may give at most {cap} {currency} per day.",
                              cap=fmt(cfg, cfg.daily_cap), currency=cfg.currency))
        if len(memo) > MAX_MEMO:
            raise UserError(_("The reason is too long (at most {limit} characters).",
                              limit=MAX_MEMO))

    async def tip(self, community: str, sender: Member, receiver: Member, amount: int,
                  memo: str = "", *, ref: str | None = None, link: str = "",
                  via_reaction: bool = False) -> Tip | None:
        """Move `amount` from sender to receiver in one op; None if `ref` was already paid."""
        cfg = self.config(community)
        self.check_tip(cfg, sender, receiver, amount, memo)
        src, dst = member_account(sender.id), member_account(receiver.id)
        if self.listened("validate_transfer"):
            await self.validate(TransferRequest(community, src, dst, amount, "tip", ref, memo))
        now = float(self.bot.now())
        cal = self.calendar(now)
        cap = cfg.daily_cap
        cooldown = cfg.cooldown.total_seconds() if cfg.cooldown else 0.0
        not_after = now - cooldown if cooldown else _FAR_FUTURE
        floor = member_floor(cfg)
        budget = budget_account(sender.id) if cfg.giving_budget > 0 else None
        known = self._known_accounts(community)

        async def op(tx: Tx) -> LedgerEntry:
            # Rows are touched in account order (budget:…, then both member:… rows in one
            # statement), so concurrent tips cannot deadlock on PostgreSQL.
            if ref is not None and await store.entry_exists(tx, community, "tip", ref):
                raise Replayed
            source, debit = src, amount
            if budget is not None and await store.debit_guarded(tx, community, budget, amount,
                                                                0, False):
                source, debit = budget, 0  # the giver's row still counts the tip
            if src not in known or dst not in known:
                await store.open_accounts(tx, community, sorted(
                    (a, *parse_account(a)) for a in (src, dst)))
            # The guarded update before the entry: a refusal (the common failure) has written
            # nothing, so the database writer need not undo anything (issue 16).
            if not await store.tip_balances(tx, community, src, dst, amount, debit, floor,
                                            cal.day, cal.week, cal.month, now, cap, not_after):
                raise await self._refusal(tx, cfg, community, src, amount, debit, floor,
                                          cal.day, now, cooldown)
            entry_id = await store.insert_entry(tx, community, source, dst, amount, "tip", ref,
                                                memo, link, now)
            if entry_id is None:
                raise Replayed  # a concurrent replay won the race: this op is rolled back
            return LedgerEntry(entry_id, community, source, dst, amount, "tip", ref, memo,
                               link, now)

        try:
            entry = await self.bot.db.atomic(op)
        except Replayed:
            return None
        known.update((src, dst))  # committed: they exist from now on (never deleted)
        tip = Tip(entry, sender.id, receiver.id, via_reaction)
        if self.listened("on_ledger_entry"):
            await self.emit((entry,))
        if self.listened("on_tip_sent"):
            await self.bot.hooks.notify("on_tip_sent", bot=self.bot, tip=tip)
        return tip

    async def _refusal(self, tx: Tx, cfg: TipsConfig, community: str, src: str, amount: int,
                       debit: int, floor: int, day: str, now: float,
                       cooldown: float) -> UserError:
        """Why the guarded tip statement refused: the balance, the daily cap or the cooldown
        (the op raises this, so the entry it wrote is rolled back)."""
        row = await store.giver_state(tx, community, src)
        held = int(row["balance"]) if row is not None else 0
        if row is not None and cooldown and float(row["last_tip_at"]) > now - cooldown:
            wait = max(1, round(float(row["last_tip_at"]) + cooldown - now))
            return UserError(_("You tipped a moment ago: wait {seconds} s before the next "
                               "tip.", seconds=wait))
        given = int(row["given_day"]) if row is not None and row["day"] == day else 0
        if cfg.daily_cap and given + amount > cfg.daily_cap:
            return UserError(_(
                "Daily cap reached: you gave {given} of {cap} {currency} today, so at most "
                "{left} more.", given=fmt(cfg, given), cap=fmt(cfg, cfg.daily_cap),
                currency=cfg.currency, left=fmt(cfg, max(0, cfg.daily_cap - given)),
            ))
        # Otherwise the balance (on PostgreSQL a concurrent tip may have refilled it since).
        _kind, member_id = parse_account(src)
        if held <= 0 <= floor and cfg.allowance_amount > 0 and member_id is not None:
            return await self._empty_wallet(tx, cfg, community, member_id, amount, now)
        return insufficient(cfg, Insufficient(src, held, debit, floor))

    async def _empty_wallet(self, tx: Tx, cfg: TipsConfig, community: str, member_id: int,
                            amount: int, now: float) -> UserError:
        """A member with nothing to give (often a newcomer) learns when tokens come."""
        span = cfg.allowance_period.total_seconds()
        current = period_start(now, span)
        row = await store.presence(tx, community, member_id)
        active = row is not None and float(row["last_seen"]) >= now - cfg.active_window.total_seconds()
        paid = row["allowance_at"] if row is not None else None
        terms = {"currency": cfg.currency, "amount": fmt(cfg, amount),
                 "allowance": fmt(cfg, cfg.allowance_amount),
                 "period": format_duration(cfg.allowance_period)}
        if not active:  # a refused command is not presence: bad input changes nothing
            return UserError(_(
                "You have no {currency} yet, so you cannot give {amount}. Active members "
                "receive {allowance} {currency} every {period}: take part here (say hello!) "
                "and your first ones arrive within a minute.", **terms))
        if paid is None or float(paid) < current:
            when = _("within a minute")  # the next sweep pays the period they are owed
        else:
            when = _("in {duration}", duration=format_duration(
                timedelta(seconds=max(60, round(current + span - now)))))
        return UserError(_(
            "You have no {currency} yet, so you cannot give {amount}. Every active member "
            "receives {allowance} {currency} every {period}: your next one arrives {when}.",
            when=when, **terms))

    # -- reads ----------------------------------------------------------------------------------

    async def holdings(self, community: str, member_id: int) -> Holdings:
        db = self.bot.db
        bal = await store.balance(db, community, member_account(member_id)) or 0
        budget = 0
        if self.config(community).giving_budget > 0:
            budget = await store.balance(db, community, budget_account(member_id)) or 0
        return Holdings(bal, budget)

    async def history(self, community: str, member_id: int, limit: int) -> list[LedgerEntry]:
        accounts = [member_account(member_id)]
        if self.config(community).giving_budget > 0:
            accounts.append(budget_account(member_id))
        return await store.history(self.bot.db, community, accounts, limit)

    async def leaderboard(self, community: str, period: str,
                          limit: int = 10) -> list[tuple[int, int]]:
        """Top members, present ones only: a member who left keeps their balance, off the board."""
        gone = await self.bot.identity.departed(community)
        if period == "all":
            top = await store.top_balances(self.bot.db, community, limit + len(gone))
        else:
            cal = calendar(float(self.bot.now()))
            key = cal.week if period == "week" else cal.month
            top = await store.top_received(self.bot.db, community, period, key,
                                           limit + len(gone))
        return [(m, amount) for m, amount in top if m not in gone][:limit]

    async def totals(self, community: str) -> dict[str, int]:
        await self.treasury.ensure_minted(community)
        return await store.totals(self.bot.db, community)

    # -- presence, activity, linking --------------------------------------------------------

    def seen(self, community: str, member_id: int) -> Awaitable[None] | None:
        """Note that a member is active (allowance eligibility): a write at most every few
        minutes per member, and None (nothing to await) in between — the hot path's case."""
        now = float(self.bot.now())
        key = (community, member_id)
        last = self._seen.get(key)
        if last is not None and 0 <= now - last < SEEN_RESOLUTION:
            return None
        if len(self._seen) > 100_000:
            self._seen.clear()
        self._seen[key] = now
        cfg = self.config(community)
        span = cfg.allowance_period.total_seconds()
        inactive_before = now - cfg.active_window.total_seconds()
        owed_from = period_start(now, span) - span
        if cfg.welcome_amount > 0 and not cfg.mutual_credit:
            return self._welcome(cfg, community, member_id, now, inactive_before, owed_from)
        return self.atomic(lambda tx: store.mark_seen(tx, community, member_id, now,
                                                      inactive_before, owed_from))

    async def _welcome(self, cfg: TipsConfig, community: str, member_id: int, now: float,
                       inactive_before: float, owed_from: float) -> None:
        """`seen`, plus a one-time gift and a welcome message for a member seen the first time
        (both in the same transaction: never paid twice, never paid without the message)."""
        key = f"tips:welcome:{community}:{member_id}"
        prefix = self.bot.communities.get(community).prefix

        async def op(tx: Tx) -> LedgerEntry | None:
            first = await store.presence(tx, community, member_id) is None
            await store.mark_seen(tx, community, member_id, now, inactive_before, owed_from)
            if not first:
                return None
            entry = await ledger.apply(tx, community, Movement(
                issuer(cfg), member_account(member_id), cfg.welcome_amount, "welcome",
                f"member:{member_id}"), now, floor=None)
            if entry is not None:
                await self.bot.outbox.add(tx, "tips", key, community=community,
                                          member_id=member_id, text=_(
                    "Welcome! Here are {amount} {currency} to thank the people who help you: "
                    "{prefix}tip @someone 5 thanks.", amount=fmt(cfg, cfg.welcome_amount),
                    currency=cfg.currency, prefix=prefix))
            return entry

        entry = await self.atomic(op)
        if entry is not None:
            await self.emit((entry,))
            await self.bot.outbox.deliver([key])

    async def activity(self, community: str, member_id: int, kind: str, ref: str) -> None:
        """Count one scored action for the activity reward (idempotent on kind + ref)."""
        now = float(self.bot.now())
        await self.atomic(
            lambda tx: store.record_activity(tx, community, member_id, kind, ref, now))

    async def link(self, community: str, old: int, new: int) -> list[LedgerEntry]:
        """Move the old member's balance (and budget, and activity) into the linked member;
        a replay finds nothing left to move, so it is idempotent."""
        if old == new:
            return []
        now = float(self.bot.now())

        async def op(tx: Tx) -> list[LedgerEntry]:
            written: list[LedgerEntry] = []
            for account_of in (member_account, budget_account):
                src, dst = account_of(old), account_of(new)
                held = await store.balance(tx, community, src) or 0
                if held == 0:
                    continue
                memo = f"linked member {old} into {new}"
                if held > 0:
                    entry = await ledger.apply(tx, community, Movement(
                        src, dst, held, "member_linked", None, memo), now, floor=0)
                else:  # mutual-credit debt: the linked member takes it over
                    entry = await ledger.apply(tx, community, Movement(
                        dst, src, -held, "member_linked", None, memo), now,
                        floor=ledger.UNLIMITED)
                if entry is not None:
                    written.append(entry)
            await store.move_activity(tx, community, old, new)
            await store.forget_member(tx, community, old)
            return written

        written = await self.atomic(op)
        self.forget_members(community)
        await self.emit(written)
        return written

