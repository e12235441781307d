"""The hook contracts: tips' transfer/balance/currency hooks, our read hook, describe_idea,
account links, export, and life without the tips or ideas plugin."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from bot.commands import UserError
from plugins.funding.models import FundingRound
from plugins.funding.tests.conftest import COMMUNITY, Kit, MakeKit


async def _transfer(kit: Kit, src: str, dst: str, amount: Any, reason: str = "test",
                    ref: str = "r1") -> Any:
    return await kit.bot.hooks.first("transfer_tokens", bot=kit.bot, community=COMMUNITY,
                                      src=src, dst=dst, amount=amount, reason=reason, ref=ref,
                                      memo="memo")


async def test_transfer_tokens_is_idempotent_and_guarded(make_kit: MakeKit) -> None:
    seen: list[Any] = []

    class Watch:
        @hookimpl(optionalhook=True)
        def on_ledger_entry(self, entry: Any) -> None:
            if entry.reason == "test":
                seen.append(entry)

    kit = await make_kit(plugins={"watch": Watch()})
    await kit.give("bob", 50)
    bob = f"member:{await kit.member_id('bob')}"
    first = await _transfer(kit, bob, "escrow:test", 30)
    assert (first.src, first.dst, first.amount, first.reason, first.ref) == (
        bob, "escrow:test", 30, "test", "r1")
    assert [e.id for e in seen] == [first.id]
    await kit.bot.hooks.first("transfer_tokens", bot=kit.bot, community=COMMUNITY, src=bob,
                              dst="member:999", amount=20, reason="other", ref="drain", memo="")
    assert await kit.balance(bob) == 0
    # A replay returns the original entry although bob could not pay it now, and moves nothing.
    again = await _transfer(kit, bob, "escrow:test", 30)
    assert again == first and len(seen) == 1
    before = await kit.ledger()
    with pytest.raises(UserError) as short:
        await _transfer(kit, bob, "escrow:test", 1, ref="r2")
    assert str(short.value) == "Not enough BZZ: the balance is 0, the amount 1."
    with pytest.raises(UserError):
        await _transfer(kit, "escrow:test", "project:p", 31, ref="r3")
    assert await kit.ledger() == before
    for src, dst, amount in [("treasury", bob, 1), (bob, "mint", 1), (bob, "burn", 1),
                             ("budget:1", bob, 1), ("escrow:a", "escrow:a", 1),
                             ("member:x", bob, 1), ("escrow:", bob, 1), ("escrow:a b", bob, 1),
                             ("escrow:test", bob, 0), ("escrow:test", bob, True),
                             ("escrow:test", bob, 1.5)]:
        with pytest.raises(ValueError):
            await _transfer(kit, src, dst, amount, ref="bad")
    assert await kit.ledger() == before
    assert await kit.balance("escrow:test") == 30
    assert await kit.balance("escrow:never") == 0
    assert await kit.problems() == []  # escrow and project balances count in the supply


async def test_validate_transfer_may_veto_member_money_only(make_kit: MakeKit) -> None:
    class NoPledges:
        @hookimpl(optionalhook=True)
        def validate_transfer(self, transfer: Any) -> str | None:
            return "pledges are frozen" if transfer.dst.startswith("escrow:") else None

    kit = await make_kit(plugins={"no-pledges": NoPledges()})
    await kit.give("bob", 50)
    await kit.accepted_idea("Oven")
    await kit.say("alice", "!fund open 1 100")
    assert await kit.say("bob", "!pledge 1 10") == "pledges are frozen"
    assert await kit.pledge_rows() == [] and await kit.balance("bob") == 50


async def test_currency_decimals(make_kit: MakeKit) -> None:
    kit = await make_kit(tips={"currency": "ƀ", "amount_decimals": 2})
    assert await kit.bot.hooks.first("get_currency", bot=kit.bot, community=COMMUNITY) == (
        "ƀ", 2)
    await kit.give("bob", 1000)
    await kit.accepted_idea("Oven")
    assert "goal 5.00 ƀ" in await kit.say("alice", "!fund open 1 5 --cap 2.5")
    out = await kit.say("bob", "!pledge 1 1.25")
    assert out.startswith("You pledged 1.25 ƀ to idea #1")
    assert "25% · 1.25 of 5.00 ƀ" in out
    assert await kit.balance("escrow:fund:1") == 125
    assert "Amounts have at most 2 decimal places" in await kit.say("bob", "!pledge 1 0.001")
    assert "at most 1.25 ƀ more" in await kit.say("bob", "!pledge 1 2")


async def test_list_funding_rounds_and_describe_idea(kit: Kit) -> None:
    async def rounds(*states: str) -> list[FundingRound]:
        found = await kit.bot.hooks.first("list_funding_rounds", bot=kit.bot,
                                          community=COMMUNITY, states=states)
        assert isinstance(found, list)
        return found

    assert await rounds("open") == []
    await kit.give("bob", 100)
    await kit.accepted_idea("Oven")
    assert "Funding" not in await kit.say("bob", "!idea show 1")
    await kit.say("alice", "!fund open 1 100 --until 2d")
    await kit.say("bob", "!pledge 1 25")
    [live] = await rounds("open", "settling")
    assert (live.idea_number, live.raised, live.backers, live.state) == (1, 25, 1, "open")
    assert live.subject == "idea:1" and live.escrow == "escrow:fund:1"
    assert await rounds("failed") == [] and await rounds("other") == []
    shown = await kit.say("bob", "!idea show 1")
    assert "Funding: ▰▰▰▱▱▱▱▱▱▱ 25% · 25 of 100 BZZ · 1 backer · 2d left" in shown
    await kit.say("mod", "!fund close 1")
    [ended] = await rounds("failed")
    assert (ended.raised, ended.state) == (25, "failed")


async def test_a_linked_member_keeps_their_pledges(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", "!fund open 1 100")
    await kit.say("bob", "!pledge 1 40")
    bob, robert = await kit.member_id("bob"), await kit.member_id("robert")
    community = kit.bot.communities.get(COMMUNITY)
    await kit.bot.hooks.notify("on_member_linked", bot=kit.bot, community=community,
                               old_member_id=bob, member_id=robert)
    assert await kit.balance("robert") == 60
    assert await kit.say("robert", "!unpledge 1") == (
        "Your pledge of 40 BZZ to idea #1 was refunded.")
    assert await kit.balance("robert") == 100 and await kit.balance("bob") == 0
    assert await kit.problems() == []


async def test_export_lists_rounds_pledges_and_backers(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.accepted_idea("Oven")
    await kit.say("alice", '!fund open 1 10 --tiers "5:Friend"')
    await kit.say("bob", "!pledge 1 10")
    await kit.say("mod", "!fund close 1")
    community = kit.bot.communities.get(COMMUNITY)
    tables = [t for t in await kit.bot.hooks.collect("export_data", bot=kit.bot,
                                                      community=community, fmt="json")
              if "funding_rounds" in t]
    [mine] = tables
    assert [r["state"] for r in mine["funding_rounds"]] == ["succeeded"]
    assert [(r["amount"], r["state"]) for r in mine["funding_pledges"]] == [(10, "released")]
    assert [(r["amount"], r["tier"]) for r in mine["funding_backers"]] == [(10, "Friend")]


async def test_without_tips_funding_refuses_money_and_keeps_answering(
        make_kit: MakeKit) -> None:
    kit = await make_kit(builtins={"core": "bot.commands.builtin", "ideas": "plugins.ideas",
                                   "funding": "plugins.funding"})
    await kit.say("alice", "!idea submit Oven")
    await kit.say("mod", "!idea accept 1")
    assert await kit.say("alice", "!fund open 1 100") == (
        "Funding needs the tips plugin, which is not available here.")
    assert await kit.say("bob", "!pledge 1 5") == (
        "Funding needs the tips plugin, which is not available here.")
    assert await kit.say("bob", "!fund list") == "No funding round in progress."
    assert await kit.problems() == []
    await kit.sweep()


async def test_without_ideas_nothing_can_be_opened(make_kit: MakeKit) -> None:
    kit = await make_kit(builtins={"core": "bot.commands.builtin", "tips": "plugins.tips",
                                   "funding": "plugins.funding"})
    assert await kit.say("alice", "!fund open 1 100") == (
        "Idea #1 is not known to funding yet: show it once with !idea show 1.")
    assert await kit.say("alice", "!fund show 1") == "Idea #1 has no funding round."


async def test_an_idea_accepted_before_funding_knew_it_is_looked_up(kit: Kit) -> None:
    await kit.accepted_idea("Older than funding")
    await kit.bot.db.execute("DELETE FROM funding_ideas")  # as if funding came later
    assert "Funding round open for idea #1 “Older than funding”" in (
        await kit.say("alice", "!fund open 1 10"))
