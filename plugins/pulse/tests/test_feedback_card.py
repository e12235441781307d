"""The dashboard's feedback card: what users said of implemented ideas, from `idea_ratings`."""

from __future__ import annotations

from plugins.pulse.tests.conftest import MakePulse, text_of


async def test_feedback_summary_on_the_dashboard_and_the_idea(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.known("bob", "carol")
    await p.say("alice", "!idea submit Lamp posts")
    await p.say("alice", "!idea submit Bench")
    await p.say("mod", "!idea accept 1")
    await p.say("mod", "!idea implement 1")
    _s, html, _h = await p.get("/c/console")
    text = text_of(html)
    assert "Feedback on implemented ideas" in text and "No feedback yet." in text
    await p.say("bob", "!idea feedback 1 5 bright at night")
    await p.say("carol", "!idea feedback 1 2")
    _s, html, _h = await p.get("/c/console")
    text = text_of(html)
    assert "#1 Lamp posts 3.5/5 from 2 ratings" in text
    assert "Bench" not in text.split("Feedback on implemented ideas")[1].split("Who thanks")[0]
    assert "Feedback: 3.5/5" in await p.say("bob", "!idea show 1")


async def test_feedback_card_in_french(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, raw={"bot": {"locale": "fr"}})
    await p.known("bob")
    await p.say("alice", "!idée soumettre Lampadaires")
    await p.say("mod", "!idée accepter 1")
    await p.say("mod", "!idée réaliser 1")
    await p.say("bob", "!idée avis 1 4")
    _s, html, _h = await p.get("/c/console")
    assert "Avis sur les idées réalisées" in text_of(html)
    assert "#1 Lampadaires 4.0/5 sur 1 avis" in text_of(html)
