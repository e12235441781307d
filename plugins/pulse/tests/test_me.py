"""`!me`: the member's own ideas, votes to cast, rounds backed, tokens and thanks — nobody else's."""

from __future__ import annotations

from bot.adapters.base import Capabilities
from plugins.pulse.tests.conftest import MakePulse, Pulse

IDEAS = {"support_threshold": 3}


async def setup(p: Pulse) -> None:
    """alice: idea #1 open (1 support), #2 being voted on, #3 accepted with a round; she backs
    bob's round on #4; bob's poll closes in 6 h; carol's secret poll is far away."""
    await p.known("alice", "bob", "carol")
    await p.say("mod", "!grant @alice 100 welcome")
    await p.say("mod", "!grant @carol 30 welcome")
    for title in ("Community garden", "Repair café", "Night market"):
        await p.say("alice", f"!idea submit {title}")
    await p.say("bob", "!idea submit Bike kitchen")
    await p.say("bob", "!idea support 1")
    await p.say("mod", "!idea poll 2 --duration 2d")
    await p.say("mod", "!idea accept 3 yes")
    await p.say("mod", "!idea accept 4 yes")
    await p.say("alice", "!fund open 3 50 --until 5d")
    await p.say("bob", "!fund open 4 80 --until 3d")
    await p.say("alice", "!pledge 4 10")
    await p.say("carol", "!pledge 4 20")
    await p.say("carol", "!tip @alice 4 thanks")
    await p.say("bob", '!poll new "Lunch?" "Pizza" "Salad" --duration 6h')


async def test_me_shows_exactly_what_concerns_the_member(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": IDEAS}})
    await setup(p)
    p.tb.chat.clear()
    await p.say("alice", "!me")
    assert p.room_texts() == []  # nothing in the room: a direct message
    (out,) = p.dms("alice")
    assert out.splitlines() == [
        "💡 #3 “Night market”: funding 0 BZZ/50 BZZ (0 %), 5d left.",
        "💡 #2 “Repair café”: being voted on, poll #1 closes in 2d.",
        "💡 #1 “Community garden”: 2 more supports to reach review (1/3).",
        "🗳️ Not voted yet: #2 “Lunch?” closes in 6h.",
        "🤝 Rounds you back: #4 “Bike kitchen”: your 10 BZZ, 30 BZZ/80 BZZ (37 %), 3d left.",
        # grant 100 + idea #3's reward 50 + carol's tip 4, less the pledge of 10
        "🪙 Balance: 144 BZZ; last 7 days: +154 BZZ in, −10 BZZ out.",
        "🙏 Thanked by carol (4 BZZ) this week.",
    ]



async def test_no_secret_ballot_and_no_one_elses_anonymous_idea(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": IDEAS}})
    await p.known("alice", "bob", "carol")
    await p.say("carol", "!idea submit Quiet room --anonymous")
    await p.say("alice", "!idea support 1")
    await p.say("bob", '!poll new "Secret?" "Yes" "No" --duration 2h --anonymous')
    await p.say("dave", '!poll new "Open?" "Yes" "No" --duration 3h')
    await p.say("alice", "!vote 1 Yes")
    await p.say("bob", "!vote 2 No")
    p.tb.chat.clear()
    await p.say("alice", "!me")
    (out,) = p.dms("alice")
    # alice voted in the secret poll (she is told nothing new); bob's ballot is not hers
    assert out.splitlines() == ["🗳️ Not voted yet: #2 “Open?” closes in 3h.",
                                "🪙 Balance: 0 BZZ; last 7 days: +0 BZZ in, −0 BZZ out."]
    await p.say("bob", "!me")
    (bob,) = p.dms("bob")
    assert bob.splitlines()[0] == "🗳️ Not voted yet: #1 “Secret?” closes in 2h."
    await p.say("carol", "!me")
    (carol,) = p.dms("carol")
    assert carol.splitlines()[0] == ("💡 #1 “Quiet room” (anonymous): 2 more supports to "
                                     "reach review (1/3).")
    assert "Quiet room" not in out + bob


async def test_own_anonymous_ideas_only_in_private(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": IDEAS}})
    await p.say("carol", "!idea submit Quiet room --anonymous")
    await p.say("carol", "!idea submit Open door")
    adapter = p.tb.chat.adapter
    adapter.capabilities = Capabilities(reactions=True, edits=True, files=True,
                                        direct_messages=False)  # no way to answer privately
    p.tb.chat.clear()
    out = await p.say("carol", "!me")
    assert p.room_texts() == [out]
    assert out.splitlines()[0] == "💡 #2 “Open door”: 3 more supports to reach review (0/3)."
    assert "Quiet room" not in out


async def test_me_in_french(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"bot": {"locale": "fr"}, "plugins": {"ideas": IDEAS}})
    await p.say("alice", "!idée soumettre Jardin partagé")
    await p.say("alice", "!moi")
    assert p.dms("alice") == [
        "💡 #1 “Jardin partagé” : encore 3 soutiens pour passer en examen (0/3).\n"
        "🪙 Solde : 0 BZZ ; 7 derniers jours : +0 BZZ reçus, −0 BZZ dépensés."]


async def test_me_without_the_other_plugins(make_bot) -> None:  # type: ignore[no-untyped-def]
    tb = await make_bot(builtins={"core": "bot.commands.builtin", "pulse": "plugins.pulse"})
    await tb.chat.say("alice", "!me")
    assert [m.current for m in tb.chat.sent if m.to == "alice"] == [
        "Nothing waits for you right now."]


async def test_at_most_eight_lines(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": IDEAS}})
    await setup(p)
    for title in ("Tool library", "Seed swap"):
        await p.say("alice", f"!idea submit {title}")
    p.tb.chat.clear()
    await p.say("alice", "!me")
    (out,) = p.dms("alice")
    lines = out.splitlines()
    assert len(lines) == 8
    assert lines[:4] == ["💡 #6 “Seed swap”: 3 more supports to reach review (0/3).",
                         "💡 #5 “Tool library”: 3 more supports to reach review (0/3).",
                         "💡 #3 “Night market”: funding 0 BZZ/50 BZZ (0 %), 5d left.",
                         "💡 …and 2 more ideas in progress."]


async def test_a_withdrawn_pledge_and_a_cast_ballot_leave_me(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": IDEAS}})
    await setup(p)
    await p.say("alice", "!unpledge 4")
    await p.say("alice", "!vote 2 Pizza")
    p.tb.chat.clear()
    await p.say("alice", "!me")
    (out,) = p.dms("alice")
    assert "Rounds you back" not in out and "Not voted yet" not in out
    assert len(out.splitlines()) == 5  # three ideas, the balance, carol's thanks
