"""`!pulse`: one short message with ideas, polls closing soon, tokens of the day and thanks."""

from __future__ import annotations

from plugins.pulse.tests.conftest import MakePulse


async def test_pulse_sums_up_the_community_in_one_message(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.seed()
    p.tb.chat.clear()
    out = await p.say("dave", "!pulse")
    assert len(p.tb.chat.sent) == 1
    lines = out.splitlines()
    assert lines[0] == "📈 Pulse of console"
    assert "💡 Ideas: 2 open · 1 accepted." in lines
    assert any(line.startswith("🗳️ Closing soon: #1 “Lunch?” closes in 6h, “Pizza” ahead")
               for line in lines), out
    # idea #2's reward 50 + the grant 50 + the tip 5; the treasury's own minting is not counted
    assert "🪙 Last 24 h: 105 BZZ moved, 1 tip." in lines
    assert ("🏅 Latest thanks: alice thanked bob with 5 BZZ; alice received 50 BZZ (grant); "
            "The authors of idea #2 received 50 BZZ (idea accepted)." in lines)
    assert len(lines) <= 7
    assert "carol" not in out  # the anonymous author of idea #4


async def test_pulse_of_a_quiet_community(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    out = await p.say("alice", "!pulse")
    assert out == "📈 Pulse of console\n💡 No ideas yet."


async def test_far_polls_are_counted_not_listed(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.say("alice", '!poll new "Later?" "Yes" "No" --duration 3d')
    out = await p.say("alice", "!pulse")
    assert "🗳️ 1 open poll, next closing in 3d." in out


async def test_hidden_polls_show_no_leader(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.say("alice", '!poll new "Secret?" "Yes" "No" --duration 1h --hidden')
    await p.say("bob", "!vote 1 Yes")
    out = await p.say("alice", "!pulse")
    assert "#1 “Secret?” closes in 1h (results hidden)" in out
    assert "ahead" not in out


async def test_pulse_in_french_with_the_dashboard_link(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, raw={"bot": {"locale": "fr"}})
    await p.say("alice", "!idea submit Jardin partagé")
    out = await p.say("alice", "!pulse")
    assert out.splitlines()[:2] == ["📈 Pouls de console", "💡 Idées : ouverte (1)."]
    assert f"📊 Tableau de bord en direct : {p.url}/c/console" in out


async def test_no_link_to_a_token_protected_dashboard(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, web_config={"tokens": {"console": "s3cret-token-for-console"}})
    out = await p.say("alice", "!pulse")
    assert "http" not in out and "s3cret" not in out


async def test_pulse_without_the_other_plugins(make_bot) -> None:  # type: ignore[no-untyped-def]
    tb = await make_bot(builtins={"core": "bot.commands.builtin", "pulse": "plugins.pulse"})
    assert await tb.chat.say("alice", "!pulse") == "📈 Pulse of console\nAll quiet for now."
