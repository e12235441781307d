"""Hooks of the tips plugin: other plugins pay, charge and watch the ledger through these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import hookspec

if TYPE_CHECKING:
    from bot.app import Bot
    from plugins.tips.models import LedgerEntry, Tip, TransferRequest


@hookspec
def award_tokens(bot: Bot, community: str, member_id: int, amount: int, reason: str,
                 ref: str) -> Any:
    """Pay a member from the treasury, idempotent on (reason, ref); returns the LedgerEntry."""


@hookspec
def charge_tokens(bot: Bot, community: str, member_id: int, amount: int, reason: str,
                  ref: str) -> Any:
    """Take tokens from a member to the treasury, idempotent on (reason, ref); UserError if short."""


@hookspec
def validate_transfer(bot: Bot, transfer: TransferRequest) -> Any:
    """Return a reason (str or Text) to veto a transfer, or None to let it pass."""


@hookspec
def on_ledger_entry(bot: Bot, entry: LedgerEntry) -> Any:
    """A ledger movement committed."""


@hookspec
def on_tip_sent(bot: Bot, tip: Tip) -> Any:
    """A member tipped another (committed)."""


@hookspec
def get_balance(bot: Bot, community: str, member_id: int) -> Any:
    """A member's balance as an int (called with `first`), so others never read our tables."""


@hookspec
def transfer_tokens(bot: Bot, community: str, src: str, dst: str, amount: int, reason: str,
                    ref: str, memo: str) -> Any:
    """Move tokens between member, escrow and project accounts, idempotent on (reason, ref)."""


@hookspec
def get_account_balance(bot: Bot, community: str, account: str) -> Any:
    """Any account's balance as an int (called with `first`), e.g. an escrow's."""


@hookspec
def get_currency(bot: Bot, community: str) -> Any:
    """(currency name, amount_decimals) of the community (called with `first`)."""


@hookspec
def get_leaderboard(bot: Bot, community: str, period: str, limit: int) -> Any:
    """`[(member id, amount)]` as `!leaderboard` shows them (called with `first`)."""
