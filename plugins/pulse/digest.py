"""Digests: one synthesized message per community and period, exactly once, none when idle.

Periods are calendar days or ISO weeks in the bot's time zone. The sweep (a Job, also run at
startup) posts the digest of the last *finished* period; the period key is claimed in
`pulse_digests` together with the message in the core outbox (one transaction), so a restart
or a second process never builds it twice, and a crash before the send is re-driven by the
next start: at least once (a crash after the platform took it and before it was marked sent
may post it twice).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.api import RoomRef, Text, Tx
from plugins.pulse import store
from plugins.pulse.render import Digest, digest_message
from plugins.pulse.state import MOVEMENTS, Money

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.pulse.config import PulseConfig
    from plugins.pulse.service import PulseService

log = logging.getLogger("ruche.pulse")

NEWS_KINDS = ("idea", "status", "poll_closed", "funding", "tip", "reward")
DECISIONS = ("accepted", "rejected", "implemented")
#: How much one action weighs when picking the period's top contributors.
WEIGHTS = {"idea": 3, "tip": 1, "reward": 1}
TOP = 3


def last_period(kind: str, now: float, tz: ZoneInfo) -> tuple[str, float, float, date]:
    """(key, start, end, first day) of the last finished day or ISO week before `now`."""
    today = datetime.fromtimestamp(now, tz).date()
    if kind == "daily":
        first, last = today - timedelta(days=1), today
        key = f"daily:{first.isoformat()}"
    else:
        monday = today - timedelta(days=today.weekday())
        first, last = monday - timedelta(days=7), monday
        year, week, _day = first.isocalendar()
        key = f"weekly:{year}-W{week:02d}"
    start = datetime.combine(first, time(0), tz).timestamp()
    end = datetime.combine(last, time(0), tz).timestamp()
    return key, start, end, first


def parse_room(spec: str) -> RoomRef | None:
    """`platform:room id` → the room to post in."""
    platform, sep, room_id = spec.partition(":")
    return RoomRef(platform, room_id) if sep and platform and room_id else None


async def build(bot: Bot, community: str, start: float, end: float, kind: str, first: date,
                money: Money) -> Digest | None:
    """The period's digest, or None when nothing worth telling happened."""
    records = await store.between(bot.db, community, NEWS_KINDS, start, end)
    if not records:
        return None
    by_kind: dict[str, list[store.Record]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r)
    moved, _moves = await store.totals(bot.db, community, MOVEMENTS, start, end)
    score: Counter[int] = Counter()
    for r in records:
        member = r.actor if r.kind in ("idea", "tip") else r.target
        if member is not None and r.kind in WEIGHTS:
            score[member] += WEIGHTS[r.kind]
    top = [m for m, _s in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]]
    names = await bot.identity.names(top)
    return Digest(
        name=bot.communities.get(community).name, period=kind, label=first.isoformat(),
        new_ideas=tuple(by_kind.get("idea", ())),
        decisions=tuple(r for r in by_kind.get("status", ()) if r.detail in DECISIONS),
        polls=tuple(by_kind.get("poll_closed", ())),
        funded=tuple(r for r in by_kind.get("funding", ()) if r.detail == "succeeded"),
        moved=moved, tips=len(by_kind.get("tip", ())),
        contributors=tuple(names.get(m, "?") for m in top), money=money)


async def sweep(service: PulseService) -> int:
    """Post every due digest; returns how many were posted."""
    bot = service.bot
    await service.recorder.flush()
    tz = ZoneInfo(bot.config.bot.timezone)
    posted = 0
    off = bot.plugin_disabled_in("pulse")
    due: list[tuple[str, PulseConfig, RoomRef, str, float, float, date]] = []
    for community in await store.communities(bot.db):
        if community in off:
            continue
        cfg = service.config(community)
        if cfg.digest == "off" or not cfg.digest_room:
            continue
        room = parse_room(cfg.digest_room)
        if room is None or room.platform not in bot.adapters:
            log.warning("pulse: digest room %r of %s is not reachable", cfg.digest_room,
                        community, extra={"plugin": "pulse", "community": community})
            continue
        due.append((community, cfg, room, *last_period(cfg.digest, bot.now(), tz)))
    done = await store.periods_done(bot.db, [key for *_head, key, _s, _e, _f in due])
    for community, cfg, room, key, start, end, first in due:
        if (community, key) in done:
            continue
        digest = await build(bot, community, start, end, cfg.digest, first,
                             await service.money(community))
        text = None
        if digest is not None:
            locale = bot.communities.get(community).locale

            def translate(text: Text | str, locale: str = locale) -> str:
                return bot.i18n.translate(text, locale)

            text = digest_message(digest, translate)
        outbox_key = f"pulse:digest:{community}:{key}"

        async def op(tx: Tx, community: str = community, key: str = key,
                     text: str | None = text, room: RoomRef = room,
                     outbox_key: str = outbox_key) -> bool:
            if not await store.claim_period(tx, community, key, text is not None, bot.now()):
                return False  # another process (or a run that overlapped) took it
            if text is not None:
                await bot.outbox.add(tx, "pulse", outbox_key, community=community, room=room,
                                     text=text)
            return True

        if await bot.db.atomic(op) and text is not None:
            posted += await bot.outbox.deliver([outbox_key])
    return posted
