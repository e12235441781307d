"""Money policy in small pure functions: floors, where tokens come from and go, display."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import UserError, translatable
from plugins.tips import ledger
from plugins.tips.config import TipsConfig
from plugins.tips.ledger import MINT, TREASURY, Insufficient

_ = translatable("tips")

MAX_MEMO = 300


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


def insufficient(cfg: TipsConfig, exc: Insufficient) -> UserError:
    """The member-facing refusal for a debit the ledger found too large."""
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
