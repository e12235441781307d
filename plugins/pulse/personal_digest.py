"""Personal digests: `!me` for the period, privately, only when something changed for the member.

A member opts in with `!digest me daily|weekly`. At the end of each day or ISO week (the bot's
time zone, as for the community digest) the sweep builds their `!me` synthesis and compares a
fingerprint of what it is made of (their ideas' states and supports, the polls they have not
voted in, the rounds they back, their balance) with the one of their last period — or of the
moment they opted in. The period key is claimed in `pulse_member_sent` together with the
private message in the core outbox (one transaction): once per period, even across restarts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.api import Text, Tx
from plugins.pulse import me as mine
from plugins.pulse import store
from plugins.pulse.digest import last_period
from plugins.pulse.texts import _

if TYPE_CHECKING:
    from plugins.pulse.service import PulseService

log = logging.getLogger("ruche.pulse")

PERIODS = ("daily", "weekly", "off")


def fingerprint(m: mine.Mine) -> str:
    """What the synthesis is made of, without the clock (a countdown is not a change)."""
    state = {
        "ideas": [[i.idea.number, i.idea.status, i.idea.supporters] for i in m.ideas or ()],
        "polls": sorted(p.id for p in m.unvoted),
        "rounds": sorted([r.idea_number, r.raised, total] for r, total in m.backed),
        "own": sorted([s, r.raised] for s, r in m.idea_rounds.items()
                      if any(i.idea.subject == s for i in m.ideas or ())),
        "balance": m.balance,
    }
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:32]


async def current(service: PulseService, community: str, member_id: int) -> mine.Mine:
    """The member's `!me` facts now."""
    cfg = service.config(community)
    return await mine.gather(service.bot, community, member_id,
                             closing_soon=cfg.closing_soon.total_seconds(),
                             money=await service.money(community))


async def subscribe(service: PulseService, community: str, member_id: int,
                    period: str) -> None:
    """Start (or stop) a member's digest; the first one waits for a change from now."""
    baseline = fingerprint(await current(service, community, member_id))
    await store.subscribe(service.bot.db, community, member_id, period,
                          float(service.bot.now()), baseline)


def message(m: mine.Mine, period: str, label: str, translate: mine.Translate) -> str:
    """A title line, then the member's `!me` lines (their own anonymous ideas included)."""
    title: Text = (_("📬 Your daily digest, {day}", day=label) if period == "daily"
                   else _("📬 Your weekly digest, week of {day}", day=label))
    return translate(title) + "\n" + mine.me_message(m, translate, private=True)


async def sweep(service: PulseService) -> int:
    """Send every due personal digest; returns how many went out."""
    bot = service.bot
    tz = ZoneInfo(bot.config.bot.timezone)
    keys: list[str] = []
    for sub in await store.subscribers(bot.db):
        if not bot.plugin_enabled("pulse", sub.community):
            continue
        key, _start, end, first = last_period(sub.period, bot.now(), tz)
        if end <= sub.since or await store.member_period_done(bot.db, sub.community,
                                                             sub.member_id, key):
            continue  # the period ended before they asked, or it is done
        found = await current(service, sub.community, sub.member_id)
        now_print = fingerprint(found)
        before = await store.last_fingerprint(bot.db, sub.community, sub.member_id,
                                              sub.since)  # else what they had when they asked
        changed = now_print != (before if before is not None else sub.baseline)
        text = None
        if changed:
            locale = bot.communities.get(sub.community).locale

            def translate(text: Text | str, locale: str = locale) -> str:
                return bot.i18n.translate(text, locale)

            text = message(found, sub.period, first.isoformat(), translate)
        outbox_key = f"pulse:me:{sub.community}:{sub.member_id}:{key}"

        async def op(tx: Tx, sub: store.Subscriber = sub, key: str = key,
                     text: str | None = text, now_print: str = now_print,
                     outbox_key: str = outbox_key) -> bool:
            if not await store.claim_member_period(tx, sub.community, sub.member_id, key,
                                                   now_print, text is not None, bot.now()):
                return False  # another process took it
            if text is not None:
                await bot.outbox.add(tx, "pulse", outbox_key, community=sub.community,
                                     member_id=sub.member_id, text=text)
            return True

        if await bot.db.atomic(op) and text is not None:
            keys.append(outbox_key)
    return await bot.outbox.deliver(keys) if keys else 0
