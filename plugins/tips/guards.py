"""Settings tips refuses from chat: switching mutual credit while tokens are in circulation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import Text, translatable
from plugins.tips import store
from plugins.tips.money import fmt

if TYPE_CHECKING:
    from bot.api import Community
    from plugins.tips.service import TipsService

_ = translatable("tips")


async def setting_refusal(svc: TipsService, community: Community, key: str, old: Any,
                          new: Any) -> Text | None:
    """Why `!config` must not switch mutual credit now, or None: the ledger check would break."""
    if key != "plugins.tips.mutual_credit" or bool(old) == bool(new):
        return None
    cfg = svc.config(community.id)
    total, owed = await store.circulation(svc.bot.db, community.id)
    if new and total != 0:
        # In mutual credit balances must sum to zero; minted tokens would stay in the sum.
        return _("mutual credit cannot be switched on while {amount} {currency} are in "
                 "circulation (its balances must sum to zero).",
                 amount=fmt(cfg, total), currency=cfg.currency)
    if not new and owed:
        # Without mutual credit nobody may be below zero, and debts would have no floor.
        return _("mutual credit cannot be switched off while members owe {amount} {currency} "
                 "(every balance must be back to zero first).",
                 amount=fmt(cfg, owed), currency=cfg.currency)
    return None
