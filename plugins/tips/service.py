"""The currency's rules: who may move what, from where, and the events once it is committed.

Every movement is one `bot.db.atomic` op (SQLite group-commits them in its writer thread);
refusals are `UserError`s raised before or inside the op, so nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.commands import UserError
from bot.i18n import Text, translatable
from bot.model import Member
from bot.storage import Tx
from plugins.tips import ledger, store
from plugins.tips.config import TipsConfig
from plugins.tips.ledger import (
    MINT,
    TREASURY,
    Insufficient,
    Movement,
    budget_account,
    member_account,
    parse_account,
)
from plugins.tips.models import LedgerEntry, Tip, TransferRequest
from plugins.tips.periods import Calendar, calendar, period_start

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("tips")
T = TypeVar("T")

PLUGIN = "tips"
MAX_MEMO = 300
SEEN_RESOLUTION = 600.0  # seconds: presence is written at most this often per member
MEMBER_CACHE_TTL = 60.0  # seconds a resolved @mention is trusted without a database read
_FAR_FUTURE = 1e300  # "no cooldown": any previous tip time is allowed


class Replayed(Exception):
    """The movement's (reason, ref) is already in the ledger: the op rolls back and we say so."""


def member_floor(cfg: TipsConfig) -> int:
    """How low a member's balance may go: zero, or the credit limit in mutual credit."""
    return -cfg.credit_limit if cfg.mutual_credit else 0


def treasury_floor(cfg: TipsConfig) -> int | None:
    """The treasury never goes below zero, except in mutual credit where it has no floor."""
    return ledger.UNLIMITED if cfg.mutual_credit else 0


def issuer(cfg: TipsConfig) -> str:
    """Where new tokens (allowance, budgets) come from: minted, or the mutual-credit treasury."""
    return TREASURY if cfg.mutual_credit else MINT


def sink(cfg: TipsConfig, destination: str = "burn") -> str:
    """Where melted or expired tokens go: burned, or back to the treasury."""
    return TREASURY if cfg.mutual_credit or destination == "treasury" else ledger.BURN


def split(total: int, parts: int) -> list[int]:
    """`total` in `parts` integer shares differing by at most one, larger shares first."""
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def fmt(cfg: TipsConfig, amount: int) -> str:
    """An integer amount shown with the community's display precision."""
    d = cfg.amount_decimals
    if d == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**d)
    return f"{sign}{whole}.{frac:0{d}d}"


@dataclass(frozen=True, slots=True)
class Holdings:
    """A member's balance and (when enabled) their unspent giving budget."""

    balance: int
    budget: int


class TipsService:
    """One per bot: the rules plus a few caches that keep the tip hot path to one database op."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._recipients: dict[tuple[str, str, str], tuple[Member, float]] = {}
        self._seen: dict[tuple[str, int], float] = {}
        self._treasury_ready: set[str] = set()
        self._calendar: tuple[float, Calendar] = (-1.0, calendar(0.0))
        self._listened: dict[str, bool] = {}
        self._accounts: dict[str, set[str]] = {}  # per community, seen committed
        self._templates: dict[tuple[str, str, str], str] = {}

    def config(self, community: str) -> TipsConfig:
        return self.bot.plugin_config(PLUGIN, community)  # type: ignore[no-any-return]

    # -- caches -------------------------------------------------------------------------------

    def cached_recipient(self, key: tuple[str, str, str]) -> Member | None:
        hit = self._recipients.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_recipient(self, key: tuple[str, str, str], member: Member) -> None:
        if len(self._recipients) > 50_000:
            self._recipients.clear()
        self._recipients[key] = (member, time.monotonic() + MEMBER_CACHE_TTL)

    def render(self, locale: str, text: Text) -> str:
        """`text` translated, through a per-locale cache of its template: the core's safe
        formatter is pure Python and the busiest reply (a tip) should not pay it each time.
        Only for messages whose values are plain strings and whose msgid has no braces but
        its placeholders; anything unexpected falls back to the core's translation."""
        key = (text.domain, text.msgid, locale)
        template = self._templates.get(key)
        if template is None:
            placeholders = {name: "{" + name + "}" for name in text.kwargs}
            template = self.bot.i18n.translate(Text(text.msgid, text.domain, placeholders),
                                               locale)
            self._templates[key] = template
        try:
            return template.format_map(text.kwargs)
        except (KeyError, ValueError, IndexError, AttributeError):
            return self.bot.i18n.translate(text, locale)

    def _known_accounts(self, community: str) -> set[str]:
        """Accounts of a community seen committed; rows are never deleted, so this only grows."""
        known = self._accounts.get(community)
        if known is None or len(known) > 100_000:
            known = self._accounts[community] = set()
        return known

    def forget_members(self, community: str) -> None:
        """A link changed who is who in this community: resolve mentions afresh."""
        self._recipients = {k: v for k, v in self._recipients.items() if k[0] != community}
        self._seen = {k: v for k, v in self._seen.items() if k[0] != community}

    # -- plumbing -------------------------------------------------------------------------------

    async def atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        return await self.bot.db.atomic(op)

    def listened(self, hook: str) -> bool:
        """Whether any plugin implements `hook` (plugins are all registered before startup),
        so the tip hot path skips building payloads nobody reads."""
        known = self._listened.get(hook)
        if known is None:
            known = self._listened[hook] = bool(list(self.bot.hooks.implementers(hook)))
        return known

    async def emit(self, entries: Iterable[LedgerEntry]) -> None:
        """`on_ledger_entry` for each committed entry (after the commit, never before)."""
        if not self.listened("on_ledger_entry"):
            return
        for entry in entries:
            await self.bot.hooks.notify("on_ledger_entry", bot=self.bot, entry=entry)

    async def validate(self, request: TransferRequest) -> None:
        """Ask `validate_transfer` implementations; the first veto refuses the transfer."""
        if not self.listened("validate_transfer"):
            return
        for veto in await self.bot.hooks.collect("validate_transfer", bot=self.bot,
                                                 transfer=request):
            if isinstance(veto, Text | str) and str(veto):
                raise UserError(veto)

    async def vetoed(self, request: TransferRequest) -> bool:
        try:
            await self.validate(request)
        except UserError:
            return True
        return False

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
            entry_id = await store.insert_entry(tx, community, source, dst, amount, "tip", ref,
                                                memo, link, now)
            if entry_id is None:
                raise Replayed
            if src not in known or dst not in known:
                await store.open_accounts(tx, community, sorted(
                    (a, *parse_account(a)) for a in (src, dst)))
            if not await store.tip_balances(tx, community, src, dst, amount, debit, floor,
                                            cal.day, cal.week, cal.month, now, cap, not_after):
                raise await self._refusal(tx, cfg, community, src, amount, debit, floor,
                                          cal.day, now, cooldown)
            return LedgerEntry(entry_id, community, source, dst, amount, "tip", ref, memo,
                               link, now)

        try:
            entry = await self.bot.db.atomic(op)
        except Replayed:
            return None
        known.update((src, dst))  # committed: they exist from now on (never deleted)
        tip = Tip(entry, sender.id, receiver.id, via_reaction)
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
        if debit and held - debit < floor:
            return self._insufficient(cfg, Insufficient(src, held, debit, floor))
        given = int(row["given_day"]) if row is not None and row["day"] == day else 0
        if cfg.daily_cap and given + amount > cfg.daily_cap:
            return UserError(_(
                "Daily cap reached: you gave {given} of {cap} {currency} today, so at most "
                "{left} more.", given=fmt(cfg, given), cap=fmt(cfg, cfg.daily_cap),
                currency=cfg.currency, left=fmt(cfg, max(0, cfg.daily_cap - given)),
            ))
        last = float(row["last_tip_at"]) if row is not None else 0.0
        wait = max(1, round(last + cooldown - now))
        return UserError(_("You tipped a moment ago: wait {seconds} s before the next tip.",
                           seconds=wait))

    def _insufficient(self, cfg: TipsConfig, exc: Insufficient) -> UserError:
        if exc.account == TREASURY:
            return UserError(_("The treasury holds {balance} {currency}: not enough for "
                               "{amount}.", balance=fmt(cfg, exc.balance),
                               amount=fmt(cfg, exc.amount), currency=cfg.currency))
        if exc.floor is not None and exc.floor < 0:
            return UserError(_(
                "That would go past the credit limit of {limit} {currency} (balance: "
                "{balance}).", limit=fmt(cfg, -exc.floor), balance=fmt(cfg, exc.balance),
                currency=cfg.currency,
            ))
        return UserError(_("Not enough {currency}: the balance is {balance}, the amount "
                           "{amount}.", currency=cfg.currency, balance=fmt(cfg, exc.balance),
                           amount=fmt(cfg, exc.amount)))

    # -- treasury payments ---------------------------------------------------------------------

    async def _ensure_treasury(self, tx: Tx, community: str, cfg: TipsConfig,
                               now: float) -> list[LedgerEntry]:
        """Mint `treasury_initial` once per community (idempotent on its ref)."""
        if community in self._treasury_ready or cfg.mutual_credit or cfg.treasury_initial <= 0:
            return []
        entry = await ledger.apply(tx, community, Movement(
            MINT, TREASURY, cfg.treasury_initial, "mint", "treasury:initial",
            memo="initial treasury"), now)
        return [entry] if entry else []

    async def _fund(self, tx: Tx, community: str, cfg: TipsConfig, amount: int, ref: str | None,
                    now: float) -> list[LedgerEntry]:
        """Mint what the treasury lacks for `amount`, when the policy allows it."""
        if cfg.mutual_credit or not cfg.treasury_auto_mint:
            return []
        have = await store.balance(tx, community, TREASURY) or 0
        if have >= amount:
            return []
        entry = await ledger.apply(tx, community, Movement(
            MINT, TREASURY, amount - have, "mint", ref, memo="auto-mint"), now)
        return [entry] if entry else []

    async def payout_op(self, tx: Tx, community: str, cfg: TipsConfig, moves: list[Movement],
                        now: float) -> list[LedgerEntry]:
        """Inside an op: pay `moves` from the treasury; the first move's ref is the claim, so a
        replay (first ref already in the ledger) writes nothing and returns []."""
        if not moves:
            return []
        first = moves[0]
        if first.ref is not None and await store.entry_exists(tx, community, first.reason,
                                                              first.ref):
            return []
        written = await self._ensure_treasury(tx, community, cfg, now)
        mint_ref = f"{first.reason}:{first.ref}" if first.ref is not None else None
        written += await self._fund(tx, community, cfg, sum(m.amount for m in moves), mint_ref,
                                    now)
        for mv in moves:
            entry = await ledger.apply(tx, community, mv, now, floor=treasury_floor(cfg))
            if entry is not None:
                written.append(entry)
        return written

    async def payout(self, community: str, moves: list[Movement]) -> list[LedgerEntry]:
        """Pay `moves` from the treasury in one op, then emit; [] on a replay."""
        cfg = self.config(community)
        now = float(self.bot.now())
        try:
            written = await self.atomic(
                lambda tx: self.payout_op(tx, community, cfg, moves, now))
        except Insufficient as exc:
            raise self._insufficient(cfg, exc) from None
        self._treasury_ready.add(community)
        await self.emit(written)
        return written

    async def award(self, community: str, member_id: int, amount: int, reason: str, ref: str,
                    memo: str = "", link: str = "") -> LedgerEntry:
        """Pay a member from the treasury, once per (reason, ref); returns the (first) entry."""
        self._check_hook_args(amount, reason, ref)
        dst = member_account(member_id)
        await self.validate(TransferRequest(community, TREASURY, dst, amount, reason, ref, memo))
        written = await self.payout(community, [Movement(TREASURY, dst, amount, reason, ref,
                                                         memo[:MAX_MEMO], link)])
        for entry in written:
            if entry.reason == reason and entry.ref == ref:
                return entry
        existing = await store.find_entry(self.bot.db, community, reason, ref)
        assert existing is not None
        return existing

    async def charge(self, community: str, member_id: int, amount: int, reason: str, ref: str,
                     memo: str = "") -> LedgerEntry:
        """Take from a member to the treasury, once per (reason, ref); UserError if short."""
        self._check_hook_args(amount, reason, ref)
        cfg = self.config(community)
        src = member_account(member_id)
        await self.validate(TransferRequest(community, src, TREASURY, amount, reason, ref, memo))
        now = float(self.bot.now())
        move = Movement(src, TREASURY, amount, reason, ref, memo[:MAX_MEMO])
        try:
            entry = await self.atomic(
                lambda tx: ledger.apply(tx, community, move, now, floor=member_floor(cfg)))
        except Insufficient as exc:
            raise self._insufficient(cfg, exc) from None
        if entry is None:
            existing = await store.find_entry(self.bot.db, community, reason, ref)
            assert existing is not None
            return existing
        await self.emit((entry,))
        return entry

    @staticmethod
    def _check_hook_args(amount: int, reason: str, ref: str) -> None:
        """Other plugins' mistakes fail loudly: money APIs take positive ints and a ref."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"amount must be a positive int, not {amount!r}")
        if not reason or not ref:
            raise ValueError("reason and ref are required (they make the payment idempotent)")

    async def grant(self, community: str, moderator: Member, receiver: Member, amount: int,
                    memo: str) -> LedgerEntry:
        """A moderator pays a member from the treasury, within `max_grant`; audited."""
        cfg = self.config(community)
        if receiver.is_bot:
            raise UserError(_("Bots cannot send or receive tips."))
        if amount > cfg.max_grant:
            raise UserError(_("A grant is at most {max} {currency}.",
                              max=fmt(cfg, cfg.max_grant), currency=cfg.currency))
        if len(memo) > MAX_MEMO:
            raise UserError(_("The reason is too long (at most {limit} characters).",
                              limit=MAX_MEMO))
        dst = member_account(receiver.id)
        await self.validate(TransferRequest(community, TREASURY, dst, amount, "grant", None,
                                            memo))
        written = await self.payout(community, [Movement(TREASURY, dst, amount, "grant", None,
                                                         memo)])
        entry = written[-1]
        await self.bot.audit.record(
            community, moderator, "tips.grant",
            f"{fmt(cfg, amount)} {cfg.currency} to member {receiver.id}: {memo}")
        return entry

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
        if period == "all":
            return await store.top_balances(self.bot.db, community, limit)
        cal = calendar(float(self.bot.now()))
        key = cal.week if period == "week" else cal.month
        return await store.top_received(self.bot.db, community, period, key, limit)

    async def totals(self, community: str) -> dict[str, int]:
        cfg = self.config(community)
        if community not in self._treasury_ready and cfg.treasury_initial > 0:
            now = float(self.bot.now())
            written = await self.atomic(
                lambda tx: self._ensure_treasury(tx, community, cfg, now))
            self._treasury_ready.add(community)
            await self.emit(written)
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
        return self.atomic(lambda tx: store.mark_seen(tx, community, member_id, now,
                                                      inactive_before, owed_from))

    def calendar(self, now: float) -> Calendar:
        """Day, week and month keys of `now`, recomputed once per UTC day."""
        day = now // 86400
        if self._calendar[0] != day:
            self._calendar = (day, calendar(now))
        return self._calendar[1]

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


_services: dict[int, TipsService] = {}


def service_for(bot: Bot) -> TipsService:
    """The bot's TipsService: caches are per bot, so test bots and restarts never share them.
    Keyed by id (a plain dict is the cheapest lookup on the tip path); `forget` drops it at
    shutdown, since the service holds its bot."""
    svc = _services.get(id(bot))
    if svc is None or svc.bot is not bot:
        svc = _services[id(bot)] = TipsService(bot)
    return svc


def forget(bot: Bot) -> None:
    _services.pop(id(bot), None)
