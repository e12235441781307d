"""Rewards from the treasury (ideas, campaigns), the award/charge hooks, vetoes and events —
all idempotent under a replayed event."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from bot.commands import UserError
from plugins.ideas.models import CampaignClosed, Idea
from plugins.tips.models import LedgerEntry, TransferRequest
from plugins.tips.tests.conftest import COMMUNITY, Kit, MakeKit


def idea(number: int, author: int, *coauthors: int, title: str = "Bee hotel") -> Idea:
    return Idea(id=100 + number, community=COMMUNITY, number=number, title=title,
                description="", status="accepted", author_id=author,
                coauthor_ids=tuple(coauthors))


async def ids(kit: Kit, *names: str) -> list[int]:
    return [(await kit.member(n)).id for n in names]


async def test_accepted_idea_pays_author_and_coauthors_once(kit: Kit) -> None:
    alice, bob, carol = await ids(kit, "alice", "bob", "carol")
    accepted = idea(1, alice, bob, carol, alice)  # the author listed again counts once
    await kit.plugin.on_idea_accepted(kit.bot, accepted)
    assert [await kit.balance(n) for n in ("alice", "bob", "carol")] == [17, 17, 16]
    before = await kit.snapshot()
    await kit.plugin.on_idea_accepted(kit.bot, accepted)  # the event delivered again
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=accepted)  # via pluggy
    await kit.restart()
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=accepted)
    assert await kit.snapshot() == before
    refs = [e["ref"] for e in await kit.entries("idea_accepted")]
    assert refs == ["idea:101", f"idea:101:member:{bob}", f"idea:101:member:{carol}"]
    await kit.check()


async def test_idea_show_gets_a_rewards_line(kit: Kit) -> None:
    alice, bob = await ids(kit, "alice", "bob")
    shown = idea(11, alice, bob)
    other = idea(1010, alice)  # idea:1110 starts like idea:111, and must not count for it
    assert await kit.plugin.describe_idea(kit.bot, shown) is None
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=shown)
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=other)
    line = await kit.plugin.describe_idea(kit.bot, shown)
    assert str(line) == "Rewards paid: 50 BZZ (alice 25, bob 25)."
    assert kit.bot.i18n.translate(line, "fr") == "Récompenses versées : 50 BZZ (alice 25, bob 25)."


async def test_implemented_idea_has_its_own_reward(make_kit: MakeKit) -> None:
    kit = await make_kit(idea_implemented_reward=30, idea_accepted_reward=0)
    (alice,) = await ids(kit, "alice")
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(2, alice))
    await kit.bot.hooks.notify("on_idea_implemented", bot=kit.bot, idea=idea(2, alice))
    await kit.bot.hooks.notify("on_idea_implemented", bot=kit.bot, idea=idea(2, alice))
    assert await kit.balance("alice") == 30
    entry = (await kit.entries("idea_implemented"))[0]
    assert (entry["src"], entry["link"], entry["memo"]) == ("treasury", "idea:102", "Bee hotel")
    assert "reward: idea implemented · from the treasury" in await kit.say("alice", "!history")


async def test_campaign_bounty_is_shared_by_accepted_ideas(kit: Kit) -> None:
    alice, bob, carol = await ids(kit, "alice", "bob", "carol")
    closed = CampaignClosed(COMMUNITY, "pollinators", 101,
                            (idea(3, alice, bob), idea(4, carol)))
    await kit.bot.hooks.notify("on_campaign_closed", bot=kit.bot, campaign=closed)
    await kit.bot.hooks.notify("on_campaign_closed", bot=kit.bot, campaign=closed)
    # 101 → 51 for idea 3 (26 alice + 25 bob) and 50 for idea 4 (carol)
    assert [await kit.balance(n) for n in ("alice", "bob", "carol")] == [26, 25, 50]
    assert (await kit.entries("campaign_bounty"))[0]["ref"] == "campaign:pollinators"
    empty = CampaignClosed(COMMUNITY, "nothing", 500, ())
    await kit.bot.hooks.notify("on_campaign_closed", bot=kit.bot, campaign=empty)
    assert len(await kit.entries("campaign_bounty")) == 3
    await kit.check()


async def test_campaign_bounties_can_be_turned_off(make_kit: MakeKit) -> None:
    kit = await make_kit(campaign_bounties=False)
    (alice,) = await ids(kit, "alice")
    closed = CampaignClosed(COMMUNITY, "c", 10, (idea(5, alice),))
    await kit.bot.hooks.notify("on_campaign_closed", bot=kit.bot, campaign=closed)
    assert await kit.balance("alice") == 0


async def test_award_and_charge_hooks_are_idempotent(kit: Kit) -> None:
    (alice,) = await ids(kit, "alice")
    first = await kit.bot.hooks.first("award_tokens", bot=kit.bot, community=COMMUNITY,
                                      member_id=alice, amount=25, reason="quiz", ref="quiz:1")
    again = await kit.bot.hooks.first("award_tokens", bot=kit.bot, community=COMMUNITY,
                                      member_id=alice, amount=25, reason="quiz", ref="quiz:1")
    assert isinstance(first, LedgerEntry) and first == again
    assert (first.src, first.dst, first.amount) == ("treasury", f"member:{alice}", 25)
    cost = await kit.bot.hooks.first("charge_tokens", bot=kit.bot, community=COMMUNITY,
                                     member_id=alice, amount=9, reason="vote_cost", ref="poll:1")
    again = await kit.bot.hooks.first("charge_tokens", bot=kit.bot, community=COMMUNITY,
                                      member_id=alice, amount=9, reason="vote_cost", ref="poll:1")
    assert cost == again and cost.dst == "treasury"
    assert await kit.bot.hooks.first("get_balance", bot=kit.bot, community=COMMUNITY,
                                     member_id=alice) == 16
    with pytest.raises(UserError) as refused:
        await kit.bot.hooks.first("charge_tokens", bot=kit.bot, community=COMMUNITY,
                                  member_id=alice, amount=17, reason="vote_cost", ref="poll:2")
    assert str(refused.value) == "Not enough BZZ: the balance is 16, the amount 17."
    for bad in ({"amount": 0}, {"amount": 1.5}, {"amount": True}, {"ref": ""}, {"reason": ""}):
        args = {"amount": 1, "reason": "x", "ref": "y", **bad}
        with pytest.raises(ValueError):
            await kit.svc.treasury.award(COMMUNITY, alice, **args)  # type: ignore[arg-type]
    assert await kit.balance("alice") == 16
    await kit.check()


async def test_fixed_treasury_refuses_what_it_cannot_pay(make_kit: MakeKit) -> None:
    kit = await make_kit(treasury_initial=60, treasury_auto_mint=False)
    alice, bob = await ids(kit, "alice", "bob")
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(6, alice))
    assert await kit.balance("alice") == 50
    before = await kit.snapshot()
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(7, bob))  # logged
    assert await kit.snapshot() == before
    assert await kit.say("mod", "!grant @bob 11 x") == (
        "The treasury holds 10 BZZ: not enough for 11.")
    assert "granted" in await kit.say("mod", "!grant @bob 10 x")
    await kit.check()


async def test_auto_mint_records_what_it_mints(kit: Kit) -> None:
    (alice,) = await ids(kit, "alice")
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(8, alice))
    mint = (await kit.entries("mint"))[0]
    assert (mint["src"], mint["dst"], mint["amount"], mint["ref"]) == (
        "mint", "treasury", 50, "idea_accepted:idea:108")
    out = await kit.say("mod", "!treasury")
    assert "Treasury: 0 BZZ." in out and "Minted 50 BZZ" in out


class Veto:
    """Freezes carol's account: no tips to her, no rewards for her."""

    def __init__(self) -> None:
        self.seen: list[TransferRequest] = []

    @hookimpl
    def validate_transfer(self, bot: Any, transfer: TransferRequest) -> str | None:
        self.seen.append(transfer)
        return "carol's account is frozen." if transfer.dst == self.frozen else None

    frozen = ""


async def test_validate_transfer_vetoes_with_a_reason(make_kit: MakeKit) -> None:
    veto = Veto()
    kit = await make_kit(plugins={"veto": veto})
    alice, bob, carol = await ids(kit, "alice", "bob", "carol")
    veto.frozen = f"member:{carol}"
    await kit.fund("alice", 10)
    before = await kit.snapshot()
    assert await kit.say("alice", "!tip @carol 1") == "carol's account is frozen."
    await kit.react("alice", "carol")
    assert kit.chat.last().text == "carol's account is frozen."
    assert await kit.say("mod", "!grant @carol 1 x") == "carol's account is frozen."
    assert await kit.snapshot() == before
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(9, bob, carol))
    assert await kit.balance("bob") == 25 and await kit.balance("carol") == 0
    assert "tipped" in await kit.say("alice", "!tip @bob 1")
    tip = [t for t in veto.seen if t.reason == "tip"][-1]
    assert (tip.src, tip.dst, tip.amount) == (f"member:{alice}", f"member:{bob}", 1)


class BrokenVeto:
    """A validator that crashes: money must not move past a check that could not run."""

    down = False

    @hookimpl
    def validate_transfer(self, bot: Any, transfer: TransferRequest) -> str | None:
        if self.down:
            raise RuntimeError("validator down")
        return None


async def test_a_validator_that_raises_refuses_the_transfer(make_kit: MakeKit) -> None:
    broken = BrokenVeto()
    kit = await make_kit(plugins={"broken": broken})
    await ids(kit, "alice", "bob")
    await kit.fund("alice", 10)
    broken.down = True
    before = await kit.snapshot()
    refused = "This transfer could not be checked, so nothing was moved. Try again in a moment."
    assert await kit.say("alice", "!tip @bob 1") == refused
    assert await kit.say("mod", "!grant @bob 1 x") == refused
    assert await kit.snapshot() == before
    await kit.check()


class Ledgerwatch:
    """Checks that events come after the commit: the entry is already readable."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.committed: list[bool] = []

    @hookimpl
    async def on_ledger_entry(self, bot: Any, entry: LedgerEntry) -> None:
        row = await bot.db.fetchrow("SELECT amount FROM tips_entries WHERE id = $1", entry.id)
        self.committed.append(row is not None and row["amount"] == entry.amount)
        self.entries.append(entry)


async def test_events_follow_the_commit(make_kit: MakeKit) -> None:
    watch = Ledgerwatch()
    kit = await make_kit(plugins={"watch": watch})
    (alice,) = await ids(kit, "alice")
    await kit.member("bob")
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea(10, alice))
    await kit.say("alice", "!tip @bob 5")
    await kit.say("alice", "!tip @bob 500")  # refused: no event
    assert [e.reason for e in watch.entries] == ["mint", "idea_accepted", "tip"]
    assert all(watch.committed)
