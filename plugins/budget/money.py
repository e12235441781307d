"""The ledger, seen from budgets: the tips plugin's hooks, and amounts as members read them.

Tokens never live in budget tables: the treasury is read with `get_account_balance`, each
funded idea is paid under the stable reason and ref `participatory_budget`,
`budget:<budget>:idea:<idea>` — into its open funding round (the funding plugin's
`fund_round_from_treasury`), else to its author (`award_tokens`). The ledger writes a (reason,
ref) once, so a replayed close pays nothing twice, and never both ways: a credit whose ref
already paid the author moves nothing. `None` from a hook means its plugin is not there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import Currency, UserError, translatable

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("budget")

REASON = "participatory_budget"  # treasury → an idea's round or author (tips owns "budget")
TREASURY = "treasury"


def unavailable() -> UserError:
    return UserError(_("Budgets need the tips plugin, which is not available here."))


def pay_ref(round_id: int, idea_id: int) -> str:
    return f"budget:{round_id}:idea:{idea_id}"


async def currency(bot: Bot, community: str) -> Currency | None:
    value = await bot.hooks.first_safe("get_currency", bot=bot, community=community)
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int)):
        return Currency(value[0], value[1])
    return None


async def treasury(bot: Bot, community: str) -> int | None:
    """The community treasury's balance, or None when tips is unavailable."""
    value = await bot.hooks.first_safe("get_account_balance", bot=bot, community=community,
                                       account=TREASURY)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def pay(bot: Bot, community: str, member_id: int, amount: int, ref: str) -> bool:
    """Pay a funded idea's author from the treasury once per ref; False without tips.
    A replay returns the first entry and pays nothing (tips' `award_tokens` contract)."""
    entry = await bot.hooks.first("award_tokens", bot=bot, community=community,
                                  member_id=member_id, amount=amount, reason=REASON, ref=ref)
    return entry is not None


async def credit_round(bot: Bot, community: str, idea_id: int, amount: int, ref: str,
                       memo: str) -> int | None:
    """Credit the idea's open funding round from the treasury once per ref; its id, or None
    when there is none (no funding plugin, no open round, or this ref already paid the author).
    UserError when the treasury is short."""
    found = await bot.hooks.first("fund_round_from_treasury", bot=bot, community=community,
                                  idea_id=idea_id, amount=amount, reason=REASON, ref=ref,
                                  memo=memo)
    round_id = getattr(found, "id", None)
    return round_id if isinstance(round_id, int) else None
