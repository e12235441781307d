"""The read hooks ideas and votes expose for pulse (plugins/ideas/reads.py, votes/reads.py)."""

from __future__ import annotations

from plugins.pulse.tests.conftest import MakePulse


async def test_ideas_read_hooks(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"plugins": {"ideas": {"premoderation": True}}})
    hooks, bot = p.bot.hooks, p.bot
    await p.say("alice", "!idea submit First")
    await p.say("bob", "!idea submit Second --anonymous")
    await p.say("alice", "!idea submit Third")
    await p.say("mod", "!idea approve 1")
    await p.say("mod", "!idea approve 2")
    counts = await hooks.first("count_ideas", bot=bot, community="console")
    assert counts["open"] == 2 and counts["pending"] == 1 and counts["merged"] == 0
    latest = await hooks.first("latest_ideas", bot=bot, community="console", statuses=[],
                               limit=10)
    assert [i.number for i in latest] == [2, 1]  # pending #3 only when asked for by name
    assert latest[0].anonymous and latest[0].title == "Second"
    pending = await hooks.first("latest_ideas", bot=bot, community="console",
                                statuses=["pending"], limit=10)
    assert [i.number for i in pending] == [3]
    assert await hooks.first("latest_ideas", bot=bot, community="console",
                             statuses=["open"], limit=1) != []
    assert await hooks.first("latest_ideas", bot=bot, community="console",
                             statuses=["nonsense"], limit=10) == []
    assert await hooks.first("count_ideas", bot=bot, community="elsewhere") == {
        s: 0 for s in counts}


async def test_votes_read_hooks(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    hooks, bot = p.bot.hooks, p.bot
    await p.say("alice", '!poll new "Late?" "A" "B" --duration 3d')
    await p.say("alice", '!poll new "Soon?" "A" "B" --duration 1h')
    await p.say("alice", '!poll new "Hidden?" "A" "B" --hidden --duration 2d')
    await p.say("alice", '!poll new "Gone?" "A" "B"')
    await p.say("bob", "!vote 2 B")
    await p.say("bob", "!vote 3 A")
    await p.say("alice", "!poll cancel 4")
    open_polls = await hooks.first("list_polls", bot=bot, community="console",
                                   statuses=["open"], limit=10)
    assert [poll.number for poll in open_polls] == [2, 3, 1]  # soonest deadline first
    everything = await hooks.first("list_polls", bot=bot, community="console", statuses=[],
                                   limit=10)
    assert [poll.number for poll in everything] == [4, 3, 2, 1]
    soon, hidden, _late = open_polls
    tally = await hooks.first("poll_tally", bot=bot, poll=soon)
    assert tally.ballots == 1 and list(tally.totals) == [0, 1]
    assert await hooks.first("poll_tally", bot=bot, poll=hidden) is None
    assert await hooks.first("poll_tally", bot=bot, poll=everything[0]) is None  # cancelled
    await p.say("alice", "!poll close 3")
    assert (await hooks.first("poll_tally", bot=bot, poll=hidden)).winner == 0


async def test_tips_leaderboard_read_hook(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    hooks, bot = p.bot.hooks, p.bot
    await p.say("alice", "hello")
    await p.say("bob", "hello")
    await p.say("mod", "!grant @alice 30 thanks")
    await p.say("alice", "!tip @bob 10")
    top = await hooks.first("get_leaderboard", bot=bot, community="console", period="all",
                            limit=10)
    names = await bot.identity.names([m for m, _a in top])
    assert [(names[m], a) for m, a in top] == [("alice", 20), ("bob", 10)]
    week = await hooks.first("get_leaderboard", bot=bot, community="console", period="week",
                             limit=1)
    assert [(names[m], a) for m, a in week] == [("bob", 10)]
    assert await hooks.first("get_leaderboard", bot=bot, community="console",
                             period="decade", limit=5) is None
