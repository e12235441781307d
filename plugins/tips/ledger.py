"""The double-entry core: a movement is one entry plus a guarded debit and a credit, written
inside the caller's atomic op, so it commits whole or not at all.

Accounts are strings: `member:12`, `budget:12` (a giving budget), `treasury`, `escrow:…`,
`project:…`. `mint` and `burn` are not stored accounts: an entry from `mint` issues tokens, an
entry to `burn` destroys them, hence the invariant sum(balances) = minted − burned.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from bot.api import StorageError, Tx
from plugins.tips import store
from plugins.tips.models import LedgerEntry

MINT = "mint"
BURN = "burn"
TREASURY = "treasury"

UNLIMITED: None = None
"""A debit floor meaning "no floor" (the treasury in mutual credit)."""


def member_account(member_id: int) -> str:
    return f"member:{member_id}"


def budget_account(member_id: int) -> str:
    return f"budget:{member_id}"


def parse_account(account: str) -> tuple[str, int | None]:
    """(kind, member id or None): `member:12` → ("member", 12), `escrow:fund:3` → ("escrow", None)."""
    kind, _, rest = account.partition(":")
    if kind in ("member", "budget") and rest.isdigit():
        return kind, int(rest)
    return kind, None


class Insufficient(Exception):
    """A guarded debit found too little: nothing was written (the op must let this propagate)."""

    def __init__(self, account: str, balance: int, amount: int, floor: int | None) -> None:
        super().__init__(f"{account}: balance {balance}, cannot take {amount} (floor {floor})")
        self.account = account
        self.balance = balance
        self.amount = amount
        self.floor = floor


@dataclass(frozen=True, slots=True)
class Movement:
    """What to write; `ref` makes it idempotent (unique per community and reason)."""

    src: str
    dst: str
    amount: int
    reason: str
    ref: str | None = None
    memo: str = ""
    link: str = ""


async def debit(tx: Tx, community: str, account: str, amount: int, floor: int | None) -> None:
    """Take `amount` from `account` unless that would pass `floor`; raises Insufficient."""
    if account == MINT:
        return
    if floor is None:
        for _attempt in range(2):
            if await store.debit_unlimited(tx, community, account, amount):
                return
            kind, member_id = parse_account(account)
            if await store.open_overdrawn(tx, community, account, kind, member_id, -amount):
                return
        raise StorageError(f"cannot debit {account}")  # pragma: no cover - needs a racing delete
    if await store.debit_guarded(tx, community, account, amount, floor, floor < 0):
        return
    current = await store.balance(tx, community, account)
    if current is None and floor < 0 and -amount >= floor:
        kind, member_id = parse_account(account)
        if await store.open_overdrawn(tx, community, account, kind, member_id, -amount):
            return
        if await store.debit_guarded(tx, community, account, amount, floor, True):
            return  # pragma: no cover - created concurrently (PostgreSQL)
        current = await store.balance(tx, community, account)
    raise Insufficient(account, current or 0, amount, floor)


async def credit(tx: Tx, community: str, account: str, amount: int) -> None:
    """Add `amount` to `account` (creating it); crediting `burn` destroys the tokens."""
    if account == BURN:
        return
    kind, member_id = parse_account(account)
    await store.credit(tx, community, account, kind, member_id, amount)


async def _move(tx: Tx, community: str, mv: Movement, floor: int,
                existing: Container[str]) -> None:
    """Debit and credit in one statement. Both rows exist first (accounts are never deleted,
    so `existing` — accounts the caller saw committed — skips that step), hence fewer than
    two rows changed can only mean the guard refused the debit: the op then rolls back."""
    if mv.src not in existing or mv.dst not in existing:
        await store.open_accounts(tx, community, sorted(
            (a, *parse_account(a)) for a in (mv.src, mv.dst)))
    if await store.move_balances(tx, community, mv.src, mv.dst, mv.amount, floor,
                                 floor < 0) != 2:
        held = await store.balance(tx, community, mv.src)
        raise Insufficient(mv.src, held or 0, mv.amount, floor)


async def apply(tx: Tx, community: str, mv: Movement, at: float, *, floor: int | None = 0,
                existing: Container[str] = ()) -> LedgerEntry | None:
    """Write `mv`: the entry first (None if its (reason, ref) is already in the ledger, and then
    nothing is written), then the balances — rows touched in account order, so concurrent
    transactions on PostgreSQL lock them in one order and cannot deadlock."""
    if mv.amount <= 0:
        raise ValueError(f"amount must be positive, not {mv.amount}")
    entry_id = await store.insert_entry(tx, community, mv.src, mv.dst, mv.amount, mv.reason,
                                        mv.ref, mv.memo, mv.link, at)
    if entry_id is None:
        return None
    if floor is not None and mv.src != MINT and mv.dst != BURN:
        await _move(tx, community, mv, floor, existing)
    elif mv.src < mv.dst:
        await debit(tx, community, mv.src, mv.amount, floor)
        await credit(tx, community, mv.dst, mv.amount)
    else:
        await credit(tx, community, mv.dst, mv.amount)
        await debit(tx, community, mv.src, mv.amount, floor)
    return LedgerEntry(entry_id, community, mv.src, mv.dst, mv.amount, mv.reason, mv.ref,
                       mv.memo, mv.link, at)
