"""Allowance, giving budget, demurrage and the activity reward: each period paid exactly once,
missed periods caught up after downtime, nothing paid twice across restarts."""

from __future__ import annotations

from plugins.tips import sweeps
from plugins.tips.periods import label, period_start
from plugins.tips.tests.conftest import COMMUNITY, Kit, MakeKit

DAY = 86400.0


async def run(kit: Kit, job: str) -> None:
    assert await kit.bot.scheduler.run_now(f"tips.{job}")


async def test_allowance_catches_up_a_week_of_downtime_exactly_once(make_kit: MakeKit) -> None:
    kit = await make_kit(allowance_amount=10)
    await kit.member("alice")
    await kit.member("bob")
    await run(kit, "allowance")
    await run(kit, "allowance")
    assert [await kit.balance(n) for n in ("alice", "bob")] == [10, 10]
    kit.clock.advance(days=7)  # the bot was down for a week: no sweep ran
    await kit.restart()
    await run(kit, "allowance")  # what the startup sweep does
    await run(kit, "allowance")
    assert [await kit.balance(n) for n in ("alice", "bob")] == [80, 80]
    alice = (await kit.member("alice")).id
    refs = [e["ref"] for e in await kit.entries("allowance") if e["dst"] == f"member:{alice}"]
    first = period_start(kit.clock.now, DAY) - 7 * DAY
    assert refs == [f"{label(first + i * DAY, DAY)}:member:{alice}" for i in range(8)]
    await kit.restart()
    await run(kit, "allowance")
    assert await kit.balance("alice") == 80
    assert "allowance · from new tokens" in await kit.say("alice", "!history 1")
    await kit.check()


async def test_allowance_goes_to_active_members_only(make_kit: MakeKit) -> None:
    kit = await make_kit(allowance_amount=10, active_window="3d")
    await kit.member("alice")
    await run(kit, "allowance")
    kit.clock.advance(days=10)  # alice stays silent; the sweep runs every day meanwhile
    for _ in range(10):
        await run(kit, "allowance")
    # paid on day 0, then the three days her last message still counts as "active"
    assert await kit.balance("alice") == 40
    kit.clock.advance(days=30)
    await kit.say("alice", "back!")  # coming back pays from now on, not for the absence
    await run(kit, "allowance")
    assert await kit.balance("alice") == 50
    await kit.check()


async def test_allowance_is_off_at_zero(kit: Kit) -> None:
    await kit.member("alice")
    await run(kit, "allowance")
    assert await kit.balance("alice") == 0


async def test_demurrage_melts_each_period_and_catches_up(make_kit: MakeKit) -> None:
    kit = await make_kit(demurrage_rate=0.1, demurrage_period="1d")
    await kit.fund("alice", 100)
    await kit.fund("bob", 5)
    await run(kit, "demurrage")  # new holders start with the next period
    assert await kit.balance("alice") == 100
    kit.clock.advance(days=1)
    await run(kit, "demurrage")
    await run(kit, "demurrage")
    assert await kit.balance("alice") == 90
    assert await kit.balance("bob") == 5  # 10 % of 5 rounds down to 0
    kit.clock.advance(days=7)  # a week of downtime: seven periods missed, each melts what is left
    await kit.restart()
    await run(kit, "demurrage")
    expected = 90
    for _ in range(7):
        expected -= expected // 10
    assert expected == 45
    assert await kit.balance("alice") == expected
    await kit.restart()
    await run(kit, "demurrage")
    assert await kit.balance("alice") == 45
    entries = await kit.entries("demurrage")
    assert len(entries) == 8 and {e["dst"] for e in entries} == {"burn"}
    assert len({e["ref"] for e in entries}) == 8  # one per period, keyed by its day
    assert "Minted 105 BZZ, burned 55 BZZ, in circulation 50 BZZ." in await kit.say(
        "mod", "!treasury")
    assert "demurrage · to burned" in await kit.say("alice", "!history 1")
    await kit.check()


async def test_demurrage_to_the_treasury(make_kit: MakeKit) -> None:
    kit = await make_kit(demurrage_rate=0.5, demurrage_period="1d",
                         demurrage_destination="treasury")
    await kit.fund("alice", 10)
    await run(kit, "demurrage")
    kit.clock.advance(days=1)
    await run(kit, "demurrage")
    assert await kit.balance("alice") == 5
    assert "Treasury: 5 BZZ." in await kit.say("mod", "!treasury")
    await kit.check()


async def test_enabling_demurrage_later_charges_nothing_for_the_past(make_kit: MakeKit) -> None:
    kit = await make_kit(demurrage_rate=0.0, demurrage_period="1d",
                         limits={"demurrage_rate": 0.5})
    await kit.fund("alice", 100)
    await run(kit, "demurrage")
    kit.clock.advance(days=30)
    await run(kit, "demurrage")
    await kit.say("mod", "!config plugins.tips.demurrage_rate 0.1")
    await run(kit, "demurrage")
    assert await kit.balance("alice") == 100
    kit.clock.advance(days=1)
    await run(kit, "demurrage")
    assert await kit.balance("alice") == 90


async def test_melt_rounds_down_exactly() -> None:
    assert sweeps.melt(100, 0.29) == 29  # 0.29 * 100 == 28.999999999999996 in floats
    assert sweeps.melt(99, 0.01) == 0
    assert sweeps.melt(0, 0.5) == 0
    assert sweeps.melt(-10, 0.5) == 0
    assert sweeps.melt(3, 0.999) == 2


async def test_giving_budget_is_tipped_first_and_expires(make_kit: MakeKit) -> None:
    kit = await make_kit(giving_budget=5, allowance_amount=0)
    await kit.fund("alice", 10)
    await kit.member("bob")
    await run(kit, "allowance")
    assert "Giving budget left this period: 5 BZZ." in await kit.say("alice", "!balance")
    await kit.say("alice", "!tip @bob 3")
    assert await kit.balance("alice") == 10  # paid from the budget
    assert await kit.balance("bob") == 3
    await kit.say("alice", "!tip @bob 4")  # the budget (2) cannot cover it: from the balance
    assert await kit.balance("alice") == 6
    history = await kit.say("alice", "!history")
    assert "giving budget · from new tokens" in history
    kit.clock.advance(days=1)
    await run(kit, "allowance")
    alice = (await kit.member("alice")).id
    expired = [(e["src"], e["amount"], e["dst"]) for e in await kit.entries("budget_expired")]
    assert (f"budget:{alice}", 2, "burn") in expired  # bob's untouched 5 expired too
    assert "Giving budget left this period: 5 BZZ." in await kit.say("alice", "!balance")
    await kit.say("mod", "!config plugins.tips.giving_budget 0")
    kit.clock.advance(days=1)
    await run(kit, "allowance")  # turned off: what is left expires, nothing is refilled
    assert sum(e["amount"] for e in await kit.entries("budget_expired")) == 2 + 5 + 5 + 5
    assert await kit.bot.db.fetchval(
        "SELECT SUM(balance) FROM tips_accounts WHERE kind = 'budget'") == 0
    await kit.check()


async def test_activity_reward_goes_to_the_most_active(make_kit: MakeKit) -> None:
    kit = await make_kit(activity_reward=20, activity_top_n=2, activity_period="7d",
                         max_tip=100)
    bob, carol = [(await kit.member(n)).id for n in ("bob", "carol")]
    await run(kit, "activity")  # first run: counting starts with the current period
    await kit.fund("alice", 100)
    for _ in range(3):
        await kit.say("alice", "!tip @bob 1")  # 3 tips given: 3 points
    await kit.svc.activity(COMMUNITY, bob, "idea", "idea:1")  # 5 points
    await kit.svc.activity(COMMUNITY, bob, "idea", "idea:1")  # replayed: counted once
    await kit.svc.activity(COMMUNITY, carol, "comment", "c1")  # 2 points
    await run(kit, "activity")
    assert await kit.balance("bob") == 3  # the period is not over yet
    kit.clock.advance(days=7)
    await run(kit, "activity")
    await run(kit, "activity")
    assert await kit.balance("bob") == 3 + 20
    assert await kit.balance("alice") == 100 - 3 + 20
    assert await kit.balance("carol") == 0
    kit.clock.advance(days=21)  # three quiet periods: nothing to reward, state advances
    await kit.restart()
    await run(kit, "activity")
    assert len(await kit.entries("activity")) == 2
    await kit.check()


async def test_activity_counts_commands_ballots_and_ideas(kit: Kit) -> None:
    from types import SimpleNamespace
    from typing import Any

    from bot.model import MessageRef
    from plugins.ideas.models import Idea
    from plugins.votes.models import BallotCast, Poll

    plugin = kit.plugin
    alice = await kit.member("alice")
    community = kit.bot.communities.get(COMMUNITY)
    for n, text in enumerate(("!idea support 4", "!idea support  4", "!idea comment 4 nice",
                              "!idea list")):
        # Stand-ins for Context and Command with only what the hook reads.
        ctx: Any = SimpleNamespace(bot=kit.bot, member=alice, community=community,
                                   message=SimpleNamespace(text=text,
                                                           ref=MessageRef("console", "console",
                                                                          f"c{n}")))
        command: Any = SimpleNamespace(qualified_name=" ".join(text.split()[:2])[1:])
        pending = plugin.on_command_completed(ctx, command)
        if pending is not None:
            await pending
    idea = Idea(7, COMMUNITY, 1, "t", "", "open", alice.id)
    await plugin.on_idea_submitted(kit.bot, idea)
    await plugin.on_idea_submitted(kit.bot, idea)
    poll = Poll(3, COMMUNITY, 1, "q", ("a", "b"), "single", "open")
    for ballot in (BallotCast(poll, alice.id), BallotCast(poll, alice.id),
                   BallotCast(poll, None), BallotCast(poll, alice.id, withdrawn=True)):
        await plugin.on_ballot_cast(kit.bot, ballot)
    rows = await kit.bot.db.fetch("SELECT kind, ref FROM tips_activity ORDER BY kind, ref")
    assert [(r["kind"], r["ref"]) for r in rows] == [
        ("ballot", f"poll:3:member:{alice.id}"), ("comment", "console:c2"),
        ("idea", "idea:7"), ("support", f"{alice.id}:4")]


async def test_activity_in_a_new_communitys_first_period_is_rewarded(
        make_kit: MakeKit) -> None:
    kit = await make_kit(activity_reward=20, activity_top_n=1, activity_period="1m")
    kit.clock.now = period_start(kit.clock.now, 60) + 10  # ten seconds into a minute
    bob = (await kit.member("bob")).id
    await kit.svc.activity(COMMUNITY, bob, "idea", "idea:1")  # before any sweep saw the room
    kit.clock.advance(seconds=60)  # the first sweep comes in the next period
    await run(kit, "activity")
    assert await kit.balance("bob") == 20
    [entry] = await kit.entries("activity")
    assert entry["ref"] == f"{label(period_start(kit.clock.now, 60) - 60, 60)}:member:{bob}"
    await kit.restart()
    await run(kit, "activity")
    kit.clock.advance(seconds=60)
    await run(kit, "activity")
    assert await kit.balance("bob") == 20
    assert len(await kit.entries("activity")) == 1
    await kit.check()


async def test_racing_activity_sweeps_pay_each_period_once(make_kit: MakeKit) -> None:
    import asyncio

    kit = await make_kit(activity_reward=20, activity_top_n=2, activity_period="1m")
    kit.clock.now = period_start(kit.clock.now, 60) + 10
    bob, carol = [(await kit.member(n)).id for n in ("bob", "carol")]
    await kit.svc.activity(COMMUNITY, bob, "idea", "idea:1")
    kit.clock.advance(seconds=60)
    await kit.svc.activity(COMMUNITY, carol, "idea", "idea:2")
    kit.clock.advance(seconds=60)
    await asyncio.gather(*(sweeps.activity(kit.svc, COMMUNITY, kit.clock.now)
                           for _ in range(3)))
    assert await kit.balance("bob") == 20 and await kit.balance("carol") == 20
    assert len(await kit.entries("activity")) == 2
    await kit.check()

