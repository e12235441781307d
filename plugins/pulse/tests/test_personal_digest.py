"""Personal digests: `!me` privately per period, once, only when something changed for the member."""

from __future__ import annotations

from plugins.pulse.tests.conftest import MakePulse, Pulse


async def _sweep(p: Pulse) -> list[str]:
    """Run the digest job; what it sent to alice."""
    p.tb.chat.clear()
    assert await p.bot.scheduler.run_now("pulse.digest")
    return p.dms("alice")


async def test_sent_once_per_period_only_when_something_changed(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.known("alice", "bob")
    out = await p.say("alice", "!digest me daily")
    assert "end of each day" in out
    assert await _sweep(p) == []  # the day is not over
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    lines = digest.splitlines()
    assert lines[0].startswith("📬 Your daily digest, ")
    assert "💡 #1 “Bike repair”: 10 more supports to reach review (0/10)." in lines
    assert p.room_texts() == []  # privately only
    assert await _sweep(p) == []  # once per period
    p.clock.advance(days=1)
    assert await _sweep(p) == []  # a day where nothing changed for alice: nothing
    await p.say("bob", "!idea submit Book swap")  # news, but not alice's
    p.clock.advance(days=1)
    assert await _sweep(p) == []
    await p.say("bob", "!idea support 1")  # her idea moved
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert "9 more supports to reach review (1/10)" in digest


async def test_a_restart_does_not_resend(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.known("alice")
    await p.say("alice", "!digest me daily")
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    assert len(await _sweep(p)) == 1
    await p.restart()
    assert await _sweep(p) == []
    await p.say("alice", "!idea submit Book swap")
    await p.restart()
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert "Book swap" in digest
    await p.restart()
    assert await _sweep(p) == []


async def test_weekly_and_off(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.known("alice")
    await p.say("alice", "!digest me weekly")
    assert "weekly" in await p.say("alice", "!digest me")
    await p.say("alice", "!idea submit Bike repair")
    p.clock.advance(days=1)
    assert await _sweep(p) == []  # the week is not over
    p.clock.advance(days=6)
    [digest] = await _sweep(p)
    assert digest.startswith("📬 Your weekly digest, week of ")
    assert "off" in await p.say("alice", "!digest me off")
    await p.say("alice", "!idea submit Book swap")
    p.clock.advance(days=7)
    assert await _sweep(p) == []
    assert "“sometimes” is not one of" in await p.say("alice", "!digest me sometimes")
    await p.say("alice", "!digest me daily")  # back on: waits for a change from now
    p.clock.advance(days=1)
    assert await _sweep(p) == []
    await p.say("alice", "!idea withdraw 2")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert "Book swap" not in digest and "Bike repair" in digest


async def test_skipped_where_pulse_is_off_and_in_french(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"bot": {"locale": "fr"}})
    await p.known("alice")
    assert "chaque jour" in await p.say("alice", "!résumé moi daily")
    await p.say("alice", "!idée soumettre Vélo partagé")
    await p.say("operator", "!plugin disable pulse")
    p.clock.advance(days=1)
    assert await _sweep(p) == []
    await p.say("operator", "!plugin enable pulse")
    p.clock.advance(days=1)
    [digest] = await _sweep(p)
    assert digest.startswith("📬 Votre résumé du jour, ")
    assert "Vélo partagé" in digest
