"""Rounds through the chat: goal met, goal missed, unpledge, refusals that change nothing."""

from __future__ import annotations

from plugins.funding.tests.conftest import DAY, Kit, MakeKit


async def _open(kit: Kit, extra: str = "") -> int:
    number = await kit.accepted_idea("Solar oven")
    out = await kit.say("alice", f"!fund open {number} 100 --until 7d {extra}".strip())
    assert "Funding round open for idea #1 “Solar oven”: goal 100 BZZ, 7d left" in out, out
    return number


async def test_goal_met_releases_the_escrow_to_the_author_once(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.give("carol", 100)
    await _open(kit, '--tiers "10:Backer;50:Patron" --stretch "110:Lights;200:Roof"')
    out = await kit.say("bob", "!pledge 1 60")
    assert out.splitlines() == ["You pledged 60 BZZ to idea #1 (your pledge: 60 BZZ, Patron).",
                                "▰▰▰▰▰▰▱▱▱▱ 60% · 60 of 100 BZZ"]
    assert await kit.balance("bob") == 40 and await kit.balance("escrow:fund:1") == 60
    await kit.say("carol", "!pledge 1 30")
    out = await kit.say("carol", "!pledge #1 20")
    assert "(your pledge: 50 BZZ, Patron)" in out and "110% · 110 of 100 BZZ" in out
    assert await kit.problems() == []

    show = await kit.say("dave", "!fund show 1")
    assert show.splitlines()[:3] == ["Funding of idea #1 “Solar oven” — open",
                                     "▰▰▰▰▰▰▰▰▰▰ 110% · 110 of 100 BZZ",
                                     "2 backers · 7d left (until "
                                     + show.splitlines()[2].split("(until ")[1]]
    assert "Tiers: Backer (10 BZZ+): 0 · Patron (50 BZZ+): 2" in show
    assert "Stretch goals: ✓ 110 BZZ Lights · 200 BZZ Roof" in show
    assert "Backers: bob 60 BZZ (Patron), carol 50 BZZ (Patron)" in show
    assert "Funds go to alice if the goal is reached." in show

    kit.clock.advance(days=7)
    await kit.sweep()
    assert await kit.balance("alice") == 110
    assert await kit.balance("escrow:fund:1") == 0
    alice = await kit.member_id("alice")
    assert [tuple(e) for e in await kit.entries("funding")] == [
        ("escrow:fund:1", f"member:{alice}", 110, "fund:1:release")]
    announced = kit.tb.chat.texts[-1]
    assert announced == ("Idea #1 “Solar oven” is funded: 110 BZZ of 100 BZZ from 2 backers, "
                         "released to alice. Thanks to bob (Patron), carol (Patron)! Stretch "
                         "goals reached: Lights.")
    [(funded, backers)] = kit.events.named("succeeded")
    assert (funded.state, funded.raised, funded.backers) == ("succeeded", 110, 2)
    assert [(b.amount, b.tier) for b in backers] == [(60, "Patron"), (50, "Patron")]
    await kit.sweep()  # nothing left to do, nothing paid twice, no second event
    assert len(await kit.entries("funding")) == 1 and len(kit.events.named("succeeded")) == 1
    assert "Funded: 110 BZZ of 100 BZZ from 2 backers." in await kit.say("dave", "!idea show 1")
    assert "Funds went to alice." in await kit.say("dave", "!fund show 1")
    assert await kit.problems() == []


async def test_goal_missed_refunds_every_pledge_in_full(kit: Kit) -> None:
    await kit.give("bob", 50)
    await kit.give("carol", 50)
    await _open(kit)
    await kit.say("bob", "!pledge 1 20")
    await kit.say("bob", "!pledge 1 5")
    await kit.say("carol", "!pledge 1 30")
    assert await kit.balance("escrow:fund:1") == 55
    out = await kit.say("mod", "!fund close 1")
    assert out == ("Idea #1 “Solar oven” missed its goal: 55 BZZ of 100 BZZ. Every pledge was "
                   "refunded in full.")
    assert (await kit.balance("bob"), await kit.balance("carol")) == (50, 50)
    assert await kit.balance("escrow:fund:1") == 0 and await kit.balance("alice") == 0
    bob, carol = await kit.member_id("bob"), await kit.member_id("carol")
    refunds = sorted((e["dst"], e["amount"]) for e in await kit.entries("refund"))
    assert refunds == sorted([(f"member:{bob}", 5), (f"member:{bob}", 20),
                              (f"member:{carol}", 30)])
    [failed] = kit.events.named("failed")
    assert (failed.state, failed.raised) == ("failed", 55)
    assert {r["state"] for r in await kit.pledge_rows()} == {"refunded"}
    assert "Funding: goal missed, refunded (55 BZZ of 100 BZZ)." in await kit.say("x",
                                                                                  "!idea show 1")
    await kit.sweep()
    assert len(await kit.entries("refund")) == 3 and len(kit.events.named("failed")) == 1
    assert await kit.problems() == []
    # A new round may follow a failed one.
    assert "Funding round open" in await kit.say("alice", "!fund open 1 40")


async def test_unpledge_refunds_before_the_deadline_only(kit: Kit) -> None:
    await kit.give("bob", 100)
    await _open(kit)
    await kit.say("bob", "!pledge 1 30")
    await kit.say("bob", "!pledge 1 10")
    assert await kit.say("bob", "!unpledge 1") == "Your pledge of 40 BZZ to idea #1 was refunded."
    assert await kit.balance("bob") == 100 and await kit.balance("escrow:fund:1") == 0
    assert await kit.say("bob", "!unpledge 1") == "You have no pledge on idea #1."
    [_p1, _p2, withdrawn] = kit.events.named("pledge")
    assert (withdrawn.withdrawn, withdrawn.amount, withdrawn.total) == (True, 40, 0)
    await kit.say("bob", "!pledge 1 25")
    kit.clock.advance(days=7, seconds=1)
    assert await kit.say("bob", "!unpledge 1") == ("The funding round of idea #1 has ended: "
                                                   "pledges can no longer be withdrawn.")
    assert await kit.say("bob", "!pledge 1 5") == "The funding round of idea #1 is closed."
    assert await kit.balance("escrow:fund:1") == 25
    assert "deadline passed, settling soon" in await kit.say("bob", "!fund show 1")
    await kit.sweep()
    assert await kit.balance("bob") == 100
    assert await kit.problems() == []


async def test_pledges_above_the_balance_or_the_cap_change_nothing(kit: Kit) -> None:
    await kit.give("bob", 30)
    await _open(kit, "--cap 50")
    before, pledges = await kit.ledger(), await kit.pledge_rows()
    assert await kit.say("bob", "!pledge 1 31") == ("Not enough BZZ: the balance is 30, the "
                                                    "amount 31.")
    assert await kit.ledger() == before and await kit.pledge_rows() == pledges
    await kit.give("bob", 100)
    await kit.say("bob", "!pledge 1 40")
    before, pledges = await kit.ledger(), await kit.pledge_rows()
    assert await kit.say("bob", "!pledge 1 11") == (
        "Each member may pledge at most 50 BZZ to this round; you pledged 40 BZZ, so at most "
        "10 BZZ more.")
    for bad in ("0", "-5", "1.5", "1e3", "NaN", "٣", "abc", "99999999999999999999999"):
        out = await kit.say("bob", f"!pledge 1 {bad}")
        assert out.startswith(("The amount", "“", "Write amounts", "Amounts")), (bad, out)
        assert "Usage: !pledge <idea> <amount>" in out, out
    assert await kit.say("bob", "!pledge 2 5") == "Idea #2 has no funding round."
    assert await kit.ledger() == before and await kit.pledge_rows() == pledges
    assert await kit.say("bob", "!pledge 1 10") != ""
    assert await kit.balance("escrow:fund:1") == 50
    assert await kit.problems() == []


async def test_opening_is_checked(kit: Kit) -> None:
    await kit.say("alice", "!idea submit Open idea")
    assert await kit.say("alice", "!fund open 1 100") == (
        "Only accepted ideas can be funded; idea #1 is open.")
    assert await kit.say("alice", "!fund open 7 100") == (
        "Idea #7 is not known to funding yet: show it once with !idea show 7.")
    await kit.say("mod", "!idea accept 1")
    assert await kit.say("bob", "!fund open 1 100") == (
        "Only the idea's authors or a moderator can open its funding round.")
    assert await kit.say("alice", "!fund open 1 100 --wallet garden") == (
        "Only a moderator can choose the wallet of a round.")
    assert await kit.say("alice", "!fund open 1 2000000") == "A goal is at most 1000000 BZZ."
    assert await kit.say("alice", "!fund open 1 100 --until 200d") == (
        "A round lasts between 1m and 90d.")
    assert await kit.say("alice", '!fund open 1 100 --stretch "90:Less"') == (
        "Stretch goals must be above the goal of 100 BZZ.")
    out = await kit.say("alice", '!fund open 1 100 --tiers "10"')
    assert out.startswith("Write tiers as AMOUNT:Title pairs")
    out = await kit.say("alice", '!fund open 1 100 --tiers "10:A;10:B"')
    assert out.startswith("Two tiers have the same amount.")
    assert kit.events.named("opened") == []
    assert "Funding round open" in await kit.say("alice", "!fund open 1 100")
    assert await kit.say("mod", "!fund open 1 50") == (
        "Idea #1 already has a funding round in progress.")
    [opened] = kit.events.named("opened")
    alice = await kit.member_id("alice")
    assert (opened.goal, opened.wallet, opened.state) == (100, f"member:{alice}", "open")


async def test_moderators_open_for_any_idea_with_a_project_wallet(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.accepted_idea("Garden", author="alice")
    out = await kit.say("mod", "!fund open 1 50 --wallet garden-coop --until 1d")
    assert "goal 50 BZZ, 1d left" in out
    assert "Funds go to the project wallet “garden-coop” if the goal is reached." in (
        await kit.say("bob", "!fund show 1"))
    await kit.say("bob", "!pledge 1 50")
    await kit.say("mod", "!fund close 1")
    assert await kit.balance("project:garden-coop") == 50 and await kit.balance("alice") == 0
    audit = await kit.say("mod", "!audit")
    assert "opened, for an author, round 1 for idea #1" in audit
    assert "closed round 1 of idea #1" in audit and "funding." not in audit
    assert await kit.problems() == []


async def test_anonymous_authors_stay_hidden(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.say("alice", "!idea submit Secret garden --anonymous")
    await kit.say("mod", "!idea accept 1")
    await kit.say("alice", "!fund open 1 10")
    await kit.say("bob", "!pledge 1 10")
    assert "Funds go to the idea's author if the goal is reached." in (
        await kit.say("bob", "!fund show 1"))
    out = await kit.say("mod", "!fund close 1")
    assert "released to the idea's author" in out and "alice" not in out
    assert await kit.balance("alice") == 10


async def test_list_shows_rounds_in_progress_then_ended(kit: Kit) -> None:
    assert await kit.say("bob", "!fund list") == "No funding round in progress."
    await kit.accepted_idea("First")
    await kit.accepted_idea("Second")
    await kit.say("alice", "!fund open 1 100 --until 3d")
    await kit.say("alice", "!fund open 2 100 --until 1d")
    out = (await kit.say("bob", "!fund list")).splitlines()
    assert out[0] == "Funding rounds, page 1 of 1:"
    assert out[1].startswith("• #2 Second — ▱▱▱▱▱▱ 0% · 0 of 100 BZZ · 0 backers · 1d left")
    assert out[2].startswith("• #1 First")
    kit.clock.advance(days=1, seconds=1)
    await kit.sweep()  # #2 failed with no pledges
    assert len((await kit.say("bob", "!fund list")).splitlines()) == 2
    assert "#2 Second — ▱▱▱▱▱▱ 0% · 0 of 100 BZZ · 0 backers · goal missed, refunded" in (
        await kit.say("bob", "!fund list ended"))
    assert await kit.say("bob", "!fund list ended --page 3") == "No funding rounds to show."


async def test_the_deadline_settles_rounds_and_announces_them(make_kit: MakeKit) -> None:
    kit = await make_kit(funding={"announce": True})
    await kit.give("bob", 100)
    await _open(kit)
    await kit.say("bob", "!pledge 1 100")
    kit.clock.advance(days=6)
    await kit.sweep()
    assert await kit.balance("escrow:fund:1") == 100  # not due yet
    kit.clock.advance(days=1)
    await kit.sweep()
    assert await kit.balance("alice") == 100
    assert kit.tb.chat.texts[-1].startswith("Idea #1 “Solar oven” is funded: 100 BZZ")
    quiet = await make_kit(funding={"announce": False})
    await quiet.give("bob", 10)
    await _open(quiet)
    await quiet.say("bob", "!pledge 1 10")
    sent = len(quiet.tb.chat.texts)
    quiet.clock.advance(days=8)
    await quiet.sweep()
    assert len(quiet.tb.chat.texts) == sent and await quiet.balance("bob") == 10


async def test_default_duration_comes_from_the_config(make_kit: MakeKit) -> None:
    kit = await make_kit(funding={"default_duration": "3d"})
    await kit.accepted_idea("Timed")
    assert "3d left" in await kit.say("alice", "!fund open 1 100")
    [opened] = kit.events.named("opened")
    assert opened.deadline - opened.opened_at == 3 * DAY
