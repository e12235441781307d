"""Generic ledger moves for other plugins: one idempotent movement between a member's wallet,
an escrow and a project wallet (funding's pledges, refunds and releases), and the reads that go
with it. The treasury may only fill an escrow and take one back (a round the community funds
by vote or budget), never pay a member here: that stays `award_tokens` in `treasury.py`.
"""

from __future__ import annotations

from plugins.tips import ledger, store
from plugins.tips.ledger import TREASURY, Insufficient, Movement, parse_account
from plugins.tips.models import LedgerEntry, TransferRequest
from plugins.tips.money import MAX_MEMO, insufficient, member_floor
from plugins.tips.service import TipsService
from plugins.tips.treasury import check_hook_args

#: Account kinds `transfer_tokens` moves between (never mint, burn or budgets; the treasury
#: only to or from an escrow).
KINDS = ("member", "escrow", "project")
MAX_ACCOUNT = 100  # characters of an account name


def check_pair(src: str, dst: str) -> tuple[str, str]:
    """The kinds of both ends; the treasury only ever pairs with an escrow, so a plugin cannot
    pay a member or a wallet from it without `award_tokens` (its vetoes, its rules)."""
    if TREASURY in (src, dst):
        other = dst if src == TREASURY else src
        if other == TREASURY or check_account(other) != "escrow":
            raise ValueError(f"transfer_tokens moves the treasury only to or from an escrow, "
                             f"not {src!r} → {dst!r}")
        return ("treasury", "escrow") if src == TREASURY else ("escrow", "treasury")
    return check_account(src), check_account(dst)


def check_account(account: str) -> str:
    """The account's kind; ValueError for anything `transfer_tokens` does not move."""
    kind, sep, rest = account.partition(":")
    if kind not in KINDS or not sep or not rest or len(account) > MAX_ACCOUNT:
        raise ValueError(f"transfer_tokens moves between {', '.join(KINDS)} accounts, "
                         f"not {account!r}")
    if kind == "member" and parse_account(account)[1] is None:
        raise ValueError(f"not a member account: {account!r}")
    if not account.isprintable() or any(c.isspace() for c in account):
        raise ValueError(f"account names have no spaces or control characters: {account!r}")
    return kind


async def transfer(svc: TipsService, community: str, src: str, dst: str, amount: int,
                   reason: str, ref: str, memo: str = "") -> LedgerEntry:
    """Move `amount` from `src` to `dst` once per (reason, ref) in one op. A replay returns the
    entry written the first time before any check, even if balances changed since."""
    check_hook_args(amount, reason, ref)
    src_kind, _dst_kind = check_pair(src, dst)
    if src == dst:
        raise ValueError("source and destination are the same account")
    db = svc.bot.db
    existing = await store.find_entry(db, community, reason, ref)
    if existing is not None:
        return existing
    cfg = svc.config(community)
    if src_kind in ("member", "treasury"):  # tokens leave a holder: plugins may veto
        await svc.validate(TransferRequest(community, src, dst, amount, reason, ref, memo))
    if src_kind == "treasury":  # a fresh community's treasury holds `treasury_initial` first
        await svc.treasury.ensure_minted(community)
    # The treasury pays an escrow only from what it holds (never negative, never minted for
    # it, even in mutual credit): one movement, refused whole when short.
    floor = member_floor(cfg) if src_kind == "member" else 0
    now = float(svc.bot.now())
    move = Movement(src, dst, amount, reason, ref, memo[:MAX_MEMO])
    try:
        entry = await svc.atomic(lambda tx: ledger.apply(tx, community, move, now, floor=floor))
    except Insufficient as exc:
        raise insufficient(cfg, exc) from None
    if entry is None:  # the same (reason, ref) committed concurrently
        existing = await store.find_entry(db, community, reason, ref)
        assert existing is not None
        return existing
    await svc.emit((entry,))
    return entry


async def account_balance(svc: TipsService, community: str, account: str) -> int:
    """Any account's balance (0 for one that never held tokens); the treasury's is minted first,
    so a plugin reading it on a fresh community sees `treasury_initial` as `!treasury` would."""
    if account == ledger.TREASURY:
        await svc.treasury.ensure_minted(community)
    return await store.balance(svc.bot.db, community, account) or 0


def currency(svc: TipsService, community: str) -> tuple[str, int]:
    """(currency name, amount_decimals) of the community, for plugins that show amounts."""
    cfg = svc.config(community)
    return cfg.currency, cfg.amount_decimals
