"""The ledger, seen from funding: the tips plugin's hooks, and amounts as members read them.

Tokens never live in funding's tables: every movement is `transfer_tokens` (idempotent on
reason + ref), every balance `get_account_balance`. `None` from a hook means the tips plugin is
not there: callers refuse new pledges and leave movements pending for a later sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import Currency, UserError, translatable

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("funding")

PLEDGE = "pledge"  # member → escrow
MOVE = "pledge_move"  # escrow of a merged round → escrow of the target round
REFUND = "refund"  # escrow → member (unpledge, goal missed, idea cancelled)
RELEASE = "funding"  # escrow → project wallet (goal reached)
TREASURY = "treasury"  # the community's treasury account in the ledger
#: The `member_id` of a pledge the treasury made (`fund_round_from_treasury`): ids of real
#: members start at 1, so it is never a backer, and its refund goes back to the treasury.
TREASURY_MEMBER = 0


def unavailable() -> UserError:
    return UserError(_("Funding needs the tips plugin, which is not available here."))


def member_account(member_id: int) -> str:
    return f"member:{member_id}"


def holder_account(member_id: int) -> str:
    """Where a pledge came from and a refund goes: a member's wallet, or the treasury."""
    return TREASURY if member_id == TREASURY_MEMBER else member_account(member_id)


def escrow_account(round_id: int) -> str:
    return f"escrow:fund:{round_id}"


def pledge_ref(round_id: int, member_id: int, seq: int) -> str:
    return f"fund:{round_id}:pledge:{member_id}:{seq}"


def move_ref(round_id: int, pledge_id: int) -> str:
    return f"fund:{round_id}:move:{pledge_id}"


def refund_ref(round_id: int, pledge_id: int) -> str:
    return f"fund:{round_id}:refund:{pledge_id}"


def release_ref(round_id: int) -> str:
    return f"fund:{round_id}:release"


async def transfer(bot: Bot, community: str, src: str, dst: str, amount: int, reason: str,
                   ref: str, memo: str = "") -> bool:
    """Move tokens once per (reason, ref); False if tips is unavailable, UserError if short."""
    entry = await bot.hooks.first("transfer_tokens", bot=bot, community=community, src=src,
                                  dst=dst, amount=amount, reason=reason, ref=ref, memo=memo)
    return entry is not None


async def transfer_entry(bot: Bot, community: str, src: str, dst: str, amount: int,
                         reason: str, ref: str, memo: str = "") -> object | None:
    """Like `transfer`, but the ledger entry itself (a replay's is the first one written under
    that reason and ref, which may have gone elsewhere); None if tips is unavailable."""
    result: object | None = await bot.hooks.first(
        "transfer_tokens", bot=bot, community=community, src=src, dst=dst, amount=amount,
        reason=reason, ref=ref, memo=memo)
    return result


async def balance(bot: Bot, community: str, account: str) -> int | None:
    """An account's balance in the ledger, or None when tips is unavailable."""
    value = await bot.hooks.first_safe("get_account_balance", bot=bot, community=community,
                                       account=account)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def currency(bot: Bot, community: str) -> Currency | None:
    """The community's currency, or None when tips is unavailable."""
    value = await bot.hooks.first_safe("get_currency", bot=bot, community=community)
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int)):
        return Currency(value[0], value[1])
    return None
