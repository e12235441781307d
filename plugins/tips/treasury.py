"""Payments from and to the treasury: rewards, grants, the award/charge hooks, minting."""

from __future__ import annotations

from bot.api import Member, Tx, UserError, translatable
from plugins.tips import ledger, store
from plugins.tips.base import ServiceBase
from plugins.tips.config import TipsConfig
from plugins.tips.ledger import MINT, TREASURY, Insufficient, Movement, member_account
from plugins.tips.models import LedgerEntry, TransferRequest
from plugins.tips.money import MAX_MEMO, fmt, insufficient, member_floor, treasury_floor

_ = translatable("tips")


def check_hook_args(amount: int, reason: str, ref: str) -> None:
    """Other plugins' mistakes fail loudly: money APIs take positive ints and a ref."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive int, not {amount!r}")
    if not reason or not ref:
        raise ValueError("reason and ref are required (they make the payment idempotent)")


class Treasury:
    """Treasury payments; each is one op, idempotent on its first movement's (reason, ref).

    A part of the service, not a base class of it: it reaches config, the database and events
    through the shared plumbing it is given."""

    def __init__(self, base: ServiceBase) -> None:
        self.base = base
        self.bot = base.bot
        self._ready: set[str] = set()  # communities whose initial treasury is minted

    async def ensure_minted(self, community: str) -> None:
        """Mint the initial treasury before it is first shown (`!treasury`), once per community."""
        cfg = self.base.config(community)
        if community in self._ready or cfg.treasury_initial <= 0:
            return
        now = float(self.bot.now())
        written = await self.base.atomic(lambda tx: self._ensure(tx, community, cfg, now))
        self._ready.add(community)
        await self.base.emit(written)

    async def _ensure(self, tx: Tx, community: str, cfg: TipsConfig,
                      now: float) -> list[LedgerEntry]:
        """Mint `treasury_initial` once per community (idempotent on its ref)."""
        if community in self._ready or cfg.mutual_credit or cfg.treasury_initial <= 0:
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
        written = await self._ensure(tx, community, cfg, now)
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
        cfg = self.base.config(community)
        now = float(self.bot.now())
        try:
            written = await self.base.atomic(
                lambda tx: self.payout_op(tx, community, cfg, moves, now))
        except Insufficient as exc:
            raise insufficient(cfg, exc) from None
        self._ready.add(community)
        await self.base.emit(written)
        return written

    async def award(self, community: str, member_id: int, amount: int, reason: str, ref: str,
                    memo: str = "", link: str = "") -> LedgerEntry:
        """Pay a member from the treasury, once per (reason, ref); returns the (first) entry."""
        check_hook_args(amount, reason, ref)
        dst = member_account(member_id)
        await self.base.validate(TransferRequest(community, TREASURY, dst, amount, reason, ref,
                                                 memo))
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
        check_hook_args(amount, reason, ref)
        cfg = self.base.config(community)
        src = member_account(member_id)
        await self.base.validate(TransferRequest(community, src, TREASURY, amount, reason, ref,
                                                 memo))
        now = float(self.bot.now())
        move = Movement(src, TREASURY, amount, reason, ref, memo[:MAX_MEMO])
        try:
            entry = await self.base.atomic(
                lambda tx: ledger.apply(tx, community, move, now, floor=member_floor(cfg)))
        except Insufficient as exc:
            raise insufficient(cfg, exc) from None
        if entry is None:
            existing = await store.find_entry(self.bot.db, community, reason, ref)
            assert existing is not None
            return existing
        await self.base.emit((entry,))
        return entry

    async def grant(self, community: str, moderator: Member, receiver: Member, amount: int,
                    memo: str) -> LedgerEntry:
        """A moderator pays a member from the treasury, within `max_grant`; audited."""
        cfg = self.base.config(community)
        if receiver.is_bot:
            raise UserError(_("Bots cannot send or receive tips."))
        if amount > cfg.max_grant:
            raise UserError(_("A grant is at most {max} {currency}.",
                              max=fmt(cfg, cfg.max_grant), currency=cfg.currency))
        if len(memo) > MAX_MEMO:
            raise UserError(_("The reason is too long (at most {limit} characters).",
                              limit=MAX_MEMO))
        dst = member_account(receiver.id)
        await self.base.validate(TransferRequest(community, TREASURY, dst, amount, "grant",
                                                 None, memo))
        written = await self.payout(community, [Movement(TREASURY, dst, amount, "grant", None,
                                                         memo)])
        entry = written[-1]
        await self.bot.audit.record(
            community, moderator, "tips.grant",
            f"{fmt(cfg, amount)} {cfg.currency} to {receiver.display_name}: {memo}")
        return entry
