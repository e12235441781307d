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

