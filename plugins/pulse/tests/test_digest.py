"""Digests: one message per period and community, none when idle, never twice after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from plugins.pulse.digest import last_period
from plugins.pulse.tests.conftest import MakePulse

DAILY = {"digest": "daily", "digest_room": "console:console"}


async def _sweep(p) -> list[str]:  # type: ignore[no-untyped-def]
    p.tb.chat.clear()
    assert await p.bot.scheduler.run_now("pulse.digest")
    return [m.current for m in p.tb.chat.sent]


async def test_daily_digest_content(make_pulse: MakePulse) -> None:
    p = await make_pulse(pulse=DAILY)
    await p.seed()
    await p.say("alice", "!poll close 1")
    assert await _sweep(p) == []  # the day is not over
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    day = datetime.fromtimestamp(p.clock.now - 86400, UTC).date().isoformat()
    lines = digest.splitlines()
    assert lines[0] == f"📰 Daily digest of console, {day}"
    assert lines[1] == ("💡 4 new ideas: #1 “Community garden”, #2 “Repair café”, "
                        "#3 “Night market”, #4 “Quiet room”.")
    assert "✅ Decisions: #2 “Repair café” accepted, #3 “Night market” rejected." in lines
    assert "🗳️ Polls closed: #1 “Lunch?” → “Pizza”." in lines
    assert "🪙 105 BZZ moved, 1 tip." in lines
    assert lines[-1].startswith("🏅 Top contributors: alice")
    assert "carol" not in digest  # #4's author is anonymous: not even a top contributor


async def test_one_digest_per_period_even_after_a_restart(make_pulse: MakePulse) -> None:
    p = await make_pulse(pulse=DAILY)
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    assert len(await _sweep(p)) == 1
    assert await _sweep(p) == []
    await p.restart()
    assert await _sweep(p) == []
    # The next day has news of its own: its digest comes, once.
    await p.say("bob", "!idea submit Book swap")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert "Book swap" in digest and "Bike repair" not in digest
    await p.restart()
    assert await _sweep(p) == []


async def test_no_digest_for_an_idle_period(make_pulse: MakePulse) -> None:
    p = await make_pulse(pulse=DAILY)
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    assert len(await _sweep(p)) == 1
    p.clock.advance(days=1)  # a whole day without news
    assert await _sweep(p) == []
    await p.say("alice", "hello")  # chatter is not news
    p.clock.advance(days=1)
    assert await _sweep(p) == []


async def test_weekly_digest_and_digests_off(make_pulse: MakePulse) -> None:
    p = await make_pulse(pulse={"digest": "weekly", "digest_room": "console:console"})
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    assert await _sweep(p) == []  # the week is not over
    p.clock.advance(days=6)
    [digest] = await _sweep(p)
    assert digest.startswith("📰 Weekly digest of console, week of ")
    off = await make_pulse()  # digest = "off" by default
    await off.say("alice", "!idea submit Bike repair")
    off.clock.advance(days=8)
    assert await _sweep(off) == []


async def test_digest_settings_per_community_from_chat(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.say("mod", "!config plugins.pulse.digest daily")
    await p.say("mod", "!config plugins.pulse.digest_room console:console")
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert "Bike repair" in digest


async def test_digest_in_french(make_pulse: MakePulse) -> None:
    p = await make_pulse(pulse=DAILY, raw={"bot": {"locale": "fr"}})
    await p.say("alice", "!idea submit Vélo partagé")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert digest.splitlines()[0].startswith("📰 Résumé du jour de console, ")
    assert "💡 1 nouvelle idée : #1 « Vélo partagé »." not in digest  # titles keep their quotes
    assert "💡 1 nouvelle idée : #1 “Vélo partagé”." in digest


def test_periods_follow_the_local_calendar() -> None:
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2024, 3, 31, 12, 0, tzinfo=paris).timestamp()  # the day clocks go forward
    key, start, end, first = last_period("daily", now, paris)
    assert key == "daily:2024-03-30" and first.isoformat() == "2024-03-30"
    assert end - start == 86400
    key, start, end, _first = last_period("daily", now + 86400, paris)
    assert key == "daily:2024-03-31" and end - start == 23 * 3600
    key, start, end, first = last_period("weekly", now, paris)  # a Sunday: last week is before
    assert key == "weekly:2024-W12" and first.weekday() == 0
    assert end - start == 7 * 86400
    assert datetime.fromtimestamp(end, paris) - datetime.fromtimestamp(start, paris) \
        == timedelta(days=7)
