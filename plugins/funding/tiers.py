"""Reward tiers and stretch goals: `"10:Backer;50:Patron"` parsed, checked and matched."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.api import BadArgument, translatable
from plugins.funding.models import Tier

_ = translatable("funding")

MAX_TITLE = 40


async def parse(raw: str, amount: Callable[[str], Awaitable[int]], limit: int) -> tuple[Tier, ...]:
    """`AMOUNT:Title` pairs separated by `;`, as tiers sorted by amount (distinct amounts)."""
    tiers: list[Tier] = []
    for part in (p.strip() for p in raw.split(";")):
        if not part:
            continue
        value, sep, title = part.partition(":")
        title = " ".join(title.split())
        if not sep or not title:
            raise BadArgument(_("Write tiers as AMOUNT:Title pairs separated by “;”, like "
                                "“10:Backer;50:Patron”."))
        if len(title) > MAX_TITLE or not title.isprintable():
            raise BadArgument(_("A tier title is at most {limit} printable characters.",
                                limit=MAX_TITLE))
        tiers.append(Tier(await amount(value.strip()), title))
    if len(tiers) > limit:
        raise BadArgument(_("At most {limit} tiers or stretch goals.", limit=limit))
    tiers.sort(key=lambda t: t.amount)
    if len({t.amount for t in tiers}) != len(tiers):
        raise BadArgument(_("Two tiers have the same amount."))
    return tuple(tiers)


def tier_for(total: int, tiers: Sequence[Tier]) -> str:
    """The title of the highest tier `total` reaches, "" below every tier."""
    title = ""
    for tier in tiers:
        if total >= tier.amount:
            title = tier.title
    return title


def reached(total: int, goals: Sequence[Tier]) -> list[Tier]:
    return [g for g in goals if total >= g.amount]
