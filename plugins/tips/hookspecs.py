"""Hooks of the tips plugin: other plugins pay, charge and watch the ledger through these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import hookspec

if TYPE_CHECKING:
    from bot.api import Bot, Maybe, Text
    from plugins.tips.models import LedgerEntry, MemberFlows, Tip, TransferRequest


@hookspec(firstresult=True)
def award_tokens(bot: Bot, community: str, member_id: int, amount: int, reason: str,
                 ref: str) -> Maybe[LedgerEntry | None]:
    """Pay a member from the treasury, idempotent on (reason, ref); returns the LedgerEntry."""


@hookspec(firstresult=True)
def charge_tokens(bot: Bot, community: str, member_id: int, amount: int, reason: str,
                  ref: str) -> Maybe[LedgerEntry | None]:
    """Take tokens from a member to the treasury, idempotent on (reason, ref); UserError if short."""


@hookspec(call="verdicts")
def validate_transfer(bot: Bot, transfer: TransferRequest) -> Maybe[Text | str | None]:
    """Return a reason (str or Text) to veto a transfer, or None to let it pass."""


@hookspec(call="notify")
def on_ledger_entry(bot: Bot, entry: LedgerEntry) -> Maybe[None]:
    """A ledger movement committed."""


@hookspec(call="notify")
def on_tip_sent(bot: Bot, tip: Tip) -> Maybe[None]:
    """A member tipped another (committed)."""


@hookspec(firstresult=True)
def get_balance(bot: Bot, community: str, member_id: int) -> Maybe[int | None]:
    """A member's balance as an int (called with `first`), so others never read our tables."""


@hookspec(firstresult=True)
def transfer_tokens(bot: Bot, community: str, src: str, dst: str, amount: int, reason: str,
                    ref: str, memo: str) -> Maybe[LedgerEntry | None]:
    """Move tokens between member, escrow and project accounts, idempotent on (reason, ref)."""


@hookspec(firstresult=True)
def get_account_balance(bot: Bot, community: str, account: str) -> Maybe[int | None]:
    """Any account's balance as an int (called with `first`), e.g. an escrow's."""


@hookspec(firstresult=True)
def get_currency(bot: Bot, community: str) -> Maybe[tuple[str, int] | None]:
    """(currency name, amount_decimals) of the community (called with `first`)."""


@hookspec(firstresult=True)
def get_leaderboard(
    bot: Bot, community: str, period: str, limit: int
) -> Maybe[list[tuple[int, int]] | None]:
    """`[(member id, amount)]` as `!leaderboard` shows them (called with `first`)."""


@hookspec(firstresult=True)
def describe_ledger_reason(bot: Bot, reason: str) -> Maybe[Text | None]:
    """A ledger reason another plugin writes, in words for `!history` (called with `first`)."""


@hookspec(firstresult=True)
def member_flows(bot: Bot, community: str, member_id: int,
                 since: float) -> Maybe[MemberFlows | None]:
    """What entered and left a member's account since `since`, and who tipped them."""
