"""Participatory budgets through the real command path: the funding rule on a hand-computed
example, exactly-once payments across a replayed close and a restart, refusals that change
nothing."""

from __future__ import annotations

from bot.api import Tx
from plugins.budget import closing, render, store
from plugins.budget.allocation import Candidate, allocate
from plugins.budget.tests.conftest import Kit, MakeKit

AUTHORS = ("alice", "bob", "carol", "dave", "erin")


async def five_ideas(kit: Kit) -> list[int]:
    """Ideas #1…#5, accepted, by alice, bob, carol, dave and erin in that order."""
    numbers = [await kit.accepted_idea(f"Idea {i}", author) for i, author in
               enumerate(AUTHORS, start=1)]
    assert numbers == [1, 2, 3, 4, 5]
    return numbers


async def open_five(kit: Kit, extra: str = "") -> str:
    return await kit.say("mod", "!budget open 500 --until 7d "
                         f"--costs 1:300,2:200,3:150,4:100,5:40{extra}")


async def test_five_ideas_fund_exactly_the_hand_computed_ones(make_kit: MakeKit) -> None:
    """Budget 500; costs #1 300, #2 200, #3 150, #4 100, #5 40. Approvals:
    alice 1 2 3 5, bob 1 3 5, carol 1 2 3, dave 3 5, erin none →
    support #3 4, #1 3, #5 3, #2 2, #4 0.
    Ranking (ties by the earlier idea): #3, #1, #5, #2, #4.
    500 − 150 (#3) = 350; − 300 (#1) = 50; #5 costs 40 ≤ 50: funded, 10 left;
    #2 (200) does not fit; #4 has no support. Funded: #3, #1, #5 — 490 spent, paid to their
    authors carol 150, alice 300, erin 40; the treasury goes from 1000 to 510."""
    kit = await make_kit()
    await five_ideas(kit)
    out = await open_five(kit)
    assert "Budget open: 500" in out, out
    for name, choice in (("alice", "1 2 3 5"), ("bob", "1 3 5"), ("carol", "1 2 3"),
                         ("dave", "3 5")):
        assert "Your support" in await kit.say(name, f"!budget support {choice}")
    shown = await kit.say("erin", "!budget show")
    assert "4 members took part" in shown, shown
    assert "Would be funded now: 490 BZZ of 500 BZZ" in shown, shown
    before = {name: await kit.balance(name) for name in AUTHORS}

    kit.clock.advance(days=8)
    await kit.sweep()

    entries = await kit.budget_entries()
    ids = {name: await kit.member_id(name) for name in AUTHORS}
    assert sorted((e["dst"], int(e["amount"])) for e in entries) == sorted([
        (f"member:{ids['carol']}", 150), (f"member:{ids['alice']}", 300),
        (f"member:{ids['erin']}", 40)])
    assert await kit.balance("treasury") == 510
    gained = {name: await kit.balance(name) - before[name] for name in AUTHORS}
    assert gained == {"alice": 300, "bob": 0, "carol": 150, "dave": 0, "erin": 40}
    rows = {int(r["number"]): r for r in await store.ideas(kit.bot.db, 1)}
    assert [n for n, r in sorted(rows.items(), key=lambda kv: kv[1]["rank"])] == [3, 1, 5, 2, 4]
    assert {n: r["reason"] for n, r in rows.items()} == {
        1: "funded", 2: "no_fit", 3: "funded", 4: "no_support", 5: "funded"}
    announced = "\n".join(kit.room_texts())
    assert "Budget closed: 3 ideas funded, 490 BZZ of 500 BZZ spent." in announced
    assert "Did not fit in what was left: #2." in announced
    assert "participatory budget" in await kit.say("alice", "!history")
    assert await kit.problems() == []


def test_the_rule_skips_what_does_not_fit_and_breaks_ties_by_number() -> None:
    """Budget 100: #1 and #2 both have support 5, so the smaller number ranks first: #1
    (cost 30) funded, 70 left; #2 (80 > 70) skipped; #3 (support 1, cost 70) fits exactly;
    #4 without support is never funded, even at cost 1."""
    placed = allocate([Candidate(2, 2, 80, 5), Candidate(1, 1, 30, 5), Candidate(3, 3, 70, 1),
                       Candidate(4, 4, 1, 0)], 100)
    assert [(p.candidate.number, p.rank, p.reason) for p in placed] == [
        (1, 1, "funded"), (2, 2, "no_fit"), (3, 3, "funded"), (4, 4, "no_support")]


async def test_the_treasury_moves_once_across_a_replayed_close_and_a_restart(
        make_kit: MakeKit) -> None:
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("alice", "!budget support 1 3")
    assert await closing.close(kit.svc, 1, "deadline") is True
    paid = await kit.budget_entries()
    assert len(paid) == 2
    ledger = await kit.ledger()

    # A replayed close, a `!budget close` after it and more sweeps move nothing.
    assert await closing.close(kit.svc, 1, "close") is False
    assert "No budget is open" in await kit.say("mod", "!budget close")
    await kit.sweep()
    # A crash after the ledger moved but before the payment was marked: replayed on restart.
    await kit.bot.db.execute("UPDATE budget_ideas SET paid = 0 WHERE round_id = 1")
    await kit.bot.db.execute("UPDATE budget_rounds SET state = 'closing' WHERE id = 1")
    await kit.restart()
    await kit.sweep()
    await kit.sweep()
    assert await kit.ledger() == ledger
    assert len(await kit.budget_entries()) == 2
    row = await store.round_row(kit.bot.db, 1)
    assert row is not None and row["state"] == "closed" and int(row["spent"]) == 450
    assert await kit.problems() == []


async def test_a_close_claimed_before_a_crash_is_paid_once_after_the_restart(
        make_kit: MakeKit) -> None:
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("bob", "!budget support 2 4")
    kit.clock.advance(days=8)

    async def claim_only(tx: Tx) -> None:
        """The close's own op and nothing after it: what a crash before any payment leaves."""
        assert await store.claim(tx, 1, "deadline", kit.clock.now, due_only=True)
        ideas = await store.ideas(tx, 1)
        totals = await store.support_totals(tx, 1)
        await store.record_allocation(tx, 1, 500, allocate(render.candidates(ideas, totals), 500))

    await kit.bot.db.atomic(claim_only)
    assert await kit.budget_entries() == []
    await kit.restart()
    await kit.sweep()
    await kit.sweep()
    entries = await kit.budget_entries()
    assert sorted(int(e["amount"]) for e in entries) == [100, 200]
    assert await kit.balance("treasury") == 700
    assert "Budget closed: 2 ideas funded" in "\n".join(kit.room_texts())


async def test_invalid_support_changes_nothing(make_kit: MakeKit) -> None:
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    assert "Your support: #1 #3." in await kit.say("alice", "!budget support 1 #3")
    before = await kit.support_rows(), await kit.ledger()
    for text, words in (("!budget support 9", "Idea #9 is not in this budget"),
                        ("!budget support 1 1", "Idea #1 is named twice"),
                        ("!budget support 2:3", "counts approvals"),
                        ("!budget support banana", "is not an idea"),
                        ("!budget support", "Name the ideas you support")):
        out = await kit.say("alice", text)
        assert words in out, (text, out)
        assert (await kit.support_rows(), await kit.ledger()) == before, text
    assert "no idea of this budget" in await kit.say("bob", "!budget withdraw")
    kit.clock.advance(days=8)  # past the deadline, before the sweep: support is frozen
    assert "The budget is closed" in await kit.say("alice", "!budget support 2")
    assert "The budget is closed" in await kit.say("alice", "!budget withdraw")
    assert (await kit.support_rows(), await kit.ledger()) == before


async def test_points_are_spread_within_the_allowance(make_kit: MakeKit) -> None:
    kit = await make_kit(budget={"points": 10})
    await five_ideas(kit)
    assert "Budget open" in await open_five(kit, " --method points")
    assert "(7 of 10 points)" in await kit.say("alice", "!budget support 3:5 1:2")
    before = await kit.support_rows()
    for text, words in (("!budget support 3:8 1:3", "You have 10 points to spread; you gave 11"),
                        ("!budget support 3", "counts points"),
                        ("!budget support 3:0", "at least 1"),
                        ("!budget support 3:-2", "at least 1")):
        out = await kit.say("alice", text)
        assert words in out, (text, out)
        assert await kit.support_rows() == before, text
    assert "#1:2 #3:5" in await kit.say("alice", "!budget show")
    assert "Your support is withdrawn" in await kit.say("alice", "!budget withdraw")
    assert await kit.support_rows() == []


async def test_a_budget_the_treasury_cannot_cover_is_refused(make_kit: MakeKit) -> None:
    kit = await make_kit(treasury=300)
    await five_ideas(kit)
    out = await kit.say("mod", "!budget open 500 --until 7d --costs 1:300")
    assert "The treasury holds 300 BZZ: a budget of 500 BZZ cannot be opened." in out
    assert await kit.bot.db.fetchval("SELECT COUNT(*) FROM budget_rounds") == 0
    assert "not allowed" in await kit.say("alice", "!budget open 100 --until 7d --costs 1:50")
    assert "No idea of the budget has a cost" in await kit.say("mod", "!budget open 100 "
                                                                      "--until 7d")
    assert "Budget open" in await kit.say("mod", "!budget open 300 --until 7d --costs 1:50")
    assert "already open" in await kit.say("mod", "!budget open 100 --until 7d --costs 1:50")
    assert await kit.bot.db.fetchval("SELECT COUNT(*) FROM budget_rounds") == 1


async def test_an_open_funding_round_gives_the_cost(make_kit: MakeKit) -> None:
    kit = await make_kit()
    await kit.accepted_idea("Garden")
    await kit.accepted_idea("Bench", "bob")
    assert "Funding round open" in await kit.say("alice", "!fund open 1 120")
    out = await kit.say("mod", "!budget open 200 --until 2d")
    assert "#1 “Garden” · cost 120 BZZ" in out, out
    assert "Left out, without a cost: #2." in out
    await kit.say("carol", "!budget support 1")
    out = await kit.say("mod", "!budget close")
    assert "Budget closed: 1 idea funded, 120 BZZ of 200 BZZ spent." in out, out
    assert "closed the participatory budget" in await kit.say("operator", "!audit")


async def test_french(make_kit: MakeKit) -> None:
    kit = await make_kit(locale="fr")
    await five_ideas(kit)
    out = await kit.say("mod", "!budget ouvrir 100 --jusqua 2026-01-01 --couts 1:50")
    assert "Un budget dure entre" in out, out
    out = await kit.say("mod", "!budget ouvrir 100 --jusqua 3d --couts 1:50,2:60")
    assert "Budget ouvert" in out, out
    assert "Votre soutien : #1 #2." in await kit.say("bob", "!budget soutenir 1 2")
    assert "L’idée n°9 ne fait pas partie de ce budget." in await kit.say(
        "bob", "!budget soutenir 9")
    shown = await kit.say("bob", "!budget voir")
    assert "1 membre a participé" in shown, shown
    assert "Votre soutien est retiré." in await kit.say("bob", "!budget retirer")
    assert "Budget clos : 0 idée financée" in await kit.say("mod", "!budget clore")


async def test_the_deadline_waits_while_the_plugin_is_off_in_the_community(
        make_kit: MakeKit) -> None:
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("alice", "!budget support 3")
    assert "is off" in await kit.say("operator", "!plugin disable budget")
    kit.clock.advance(days=8)
    await kit.sweep()
    row = await store.round_row(kit.bot.db, 1)
    assert row is not None and row["state"] == "open"
    assert await kit.budget_entries() == []
    await kit.say("operator", "!plugin enable budget")
    await kit.sweep()
    assert [int(e["amount"]) for e in await kit.budget_entries()] == [150]


async def test_a_treasury_spent_down_before_the_close_shrinks_the_budget(
        make_kit: MakeKit) -> None:
    """Budget 500 opened with 1000 in the treasury; a grant of 700 leaves 300 at close, so the
    budget is 300: #3 (support 2, cost 150) funded, 150 left; #1 (support 1, cost 300) does
    not fit; #5 (support 1, cost 40) fits: 190 spent, 110 left in the treasury."""
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("alice", "!budget support 1 3 5")
    await kit.say("bob", "!budget support 3")
    assert "700" in await kit.say("mod", "!grant @dave 700 for the roof")
    out = await kit.say("mod", "!budget close")
    assert "The treasury held only 300 BZZ at close." in out, out
    assert "Budget closed: 2 ideas funded, 190 BZZ of 500 BZZ spent." in out, out
    assert sorted(int(e["amount"]) for e in await kit.budget_entries()) == [40, 150]
    assert await kit.balance("treasury") == 110


async def test_a_linked_member_keeps_one_support(make_kit: MakeKit) -> None:
    """bob's support follows him to robert; where both supported, robert's stays."""
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("bob", "!budget support 1 2")
    bob, robert = await kit.member_id("bob"), await kit.member_id("robert")
    community = kit.bot.communities.get(kit.community)
    await kit.bot.hooks.notify("on_member_linked", bot=kit.bot, community=community,
                               old_member_id=bob, member_id=robert)
    assert "Your support: #1 #2." in await kit.say("robert", "!budget show")
    carol, dave = await kit.member_id("carol"), await kit.member_id("dave")
    await kit.say("carol", "!budget support 3")
    await kit.say("dave", "!budget support 4 5")
    await kit.bot.hooks.notify("on_member_linked", bot=kit.bot, community=community,
                               old_member_id=carol, member_id=dave)
    ideas = {int(r["idea_id"]): int(r["number"]) for r in await store.ideas(kit.bot.db, 1)}
    rows = [(m, ideas[i]) for m, i, _p in await kit.support_rows() if m in (carol, dave)]
    assert rows == [(dave, 4), (dave, 5)]


async def test_export_lists_budgets_ideas_and_support(make_kit: MakeKit) -> None:
    kit = await make_kit()
    await five_ideas(kit)
    await open_five(kit)
    await kit.say("alice", "!budget support 3")
    await kit.say("mod", "!budget close")
    community = kit.bot.communities.get(kit.community)
    tables = await kit.bot.hooks.collect("export_data", bot=kit.bot, community=community,
                                             fmt="json")
    [mine] = [t for t in tables if t and "budget_rounds" in t]
    [budget] = mine["budget_rounds"]
    assert (budget["total"], budget["spent"], budget["state"]) == (500, 150, "closed")
    assert isinstance(budget["closed_at"], str) and "T" in budget["closed_at"]  # ISO 8601
    assert [(r["number"], r["reason"], r["paid"]) for r in mine["budget_ideas"]
            if r["funded"]] == [(3, "funded", 1)]
    assert [r["points"] for r in mine["budget_support"]] == [1]
