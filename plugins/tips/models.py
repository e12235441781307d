"""Ledger entries and transfers as other plugins see them. Amounts are integers, always."""

from __future__ import annotations

from dataclasses import dataclass

# Ledger account kinds: a member's wallet, the community treasury, escrow, and burns; `mint`
# (where issued tokens come from) and `budget` (a member's expiring giving budget) were added.
ACCOUNT_KINDS = ("member", "treasury", "escrow", "burn", "project", "mint", "budget")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One committed movement: `amount` moved from `src` to `dst` (account ids)."""

    id: int
    community: str
    src: str  # e.g. "member:12", "treasury", "escrow:fund:3", "burn"
    dst: str
    amount: int
    reason: str  # tip, reward, allowance, demurrage, pledge, refund, grant, …
    ref: str | None
    memo: str = ""
    link: str = ""  # cause: a message link, an idea subject
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """A transfer about to happen; `validate_transfer` implementations may veto it."""

    community: str
    src: str
    dst: str
    amount: int
    reason: str
    ref: str | None = None
    memo: str = ""


@dataclass(frozen=True, slots=True)
class Tip:
    """A member thanked another with tokens (command or reaction)."""

    entry: LedgerEntry
    from_member: int
    to_member: int
    via_reaction: bool = False


@dataclass(frozen=True, slots=True)
class MemberFlows:
    """A member's own movements since a moment (`member_flows`): what came in, what went out,
    and who tipped them, most generous first."""

    received: int
    sent: int
    thanked_by: tuple[tuple[int, int], ...] = ()  # (giver member id, amount tipped)
