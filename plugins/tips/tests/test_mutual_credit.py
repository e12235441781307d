"""Mutual credit: no minting or burning, members may go down to the credit limit, and the
community's balances always sum to zero."""

from __future__ import annotations

from plugins.ideas.models import Idea
from plugins.tips import integrity
from plugins.tips.tests.conftest import COMMUNITY, Kit, MakeKit


async def total(kit: Kit) -> int:
    value = await kit.bot.db.fetchval("SELECT COALESCE(SUM(balance), 0) FROM tips_accounts")
    return int(value)


async def test_members_go_negative_down_to_the_credit_limit(make_kit: MakeKit) -> None:
    kit = await make_kit(mutual_credit=True, credit_limit=20)
    await kit.member("alice")
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 15") == "alice tipped bob 15 BZZ."
    assert await kit.balance("alice") == -15
    before = await kit.snapshot()
    assert await kit.say("alice", "!tip @bob 6") == (
        "That would go past the credit limit of 20 BZZ (balance: -15).")
    assert await kit.snapshot() == before
    assert "tipped" in await kit.say("alice", "!tip @bob 5")
    assert await kit.balance("alice") == -20
    assert "tipped" in await kit.say("bob", "!tip @alice 40")  # bob: 20 → -20
    assert await kit.balance("bob") == -20 and await kit.balance("alice") == 20
    assert "credit limit of 20" in await kit.say("bob", "!tip @alice 1")
    assert await total(kit) == 0
    out = await kit.say("alice", "!balance")
    assert out == "alice has 20 BZZ.\nMutual credit: balances may go down to -20 BZZ."
    await kit.check()


async def test_a_first_tip_above_the_limit_is_refused(make_kit: MakeKit) -> None:
    kit = await make_kit(mutual_credit=True, credit_limit=10)
    await kit.member("alice")
    await kit.member("bob")
    before = await kit.snapshot()
    assert "credit limit of 10" in await kit.say("alice", "!tip @bob 11")
    assert await kit.snapshot() == before


async def test_rewards_allowance_and_demurrage_keep_the_sum_at_zero(make_kit: MakeKit) -> None:
    kit = await make_kit(mutual_credit=True, credit_limit=50, allowance_amount=10,
                         demurrage_rate=0.5, demurrage_period="1d")
    alice = await kit.member("alice")
    await kit.member("bob")
    await kit.bot.scheduler.run_now("tips.allowance")
    idea = Idea(1, COMMUNITY, 1, "t", "", "accepted", alice.id)
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea)
    assert "granted" in await kit.say("mod", "!grant @bob 30 thanks")
    assert await kit.balance("alice") == 60 and await kit.balance("bob") == 40
    await kit.bot.scheduler.run_now("tips.demurrage")
    kit.clock.advance(days=1)
    await kit.bot.scheduler.run_now("tips.demurrage")
    assert await kit.balance("alice") == 30  # melted back to the treasury, not burned
    assert await total(kit) == 0
    assert not await kit.entries("mint")
    out = await kit.say("mod", "!treasury")
    assert "Mutual credit: balances sum to 0 BZZ; credit limit 50 BZZ." in out
    await kit.check()


async def test_switching_to_mutual_credit_with_minted_tokens_is_refused(kit: Kit) -> None:
    await kit.fund("alice", 10)
    await kit.check()
    before = await kit.snapshot()
    out = await kit.say("mod", "!config plugins.tips.mutual_credit yes")
    assert out == ("Cannot change plugins.tips.mutual_credit: mutual credit cannot be switched "
                   "on while 10 BZZ are in circulation (its balances must sum to zero).")
    assert kit.svc.config(COMMUNITY).mutual_credit is False
    assert await kit.snapshot() == before
    assert "plugins.tips.mutual_credit = no" in await kit.say(
        "mod", "!config plugins.tips.mutual_credit")
    await kit.check()


async def test_switching_mutual_credit_is_refused_in_french(kit: Kit) -> None:
    await kit.fund("alice", 10)
    await kit.say("mod", "!config bot.locale fr")
    out = await kit.say("mod", "!config plugins.tips.mutual_credit yes")
    assert out.startswith("Impossible de modifier plugins.tips.mutual_credit : ")
    assert "10 BZZ" in out


async def test_switching_an_empty_community_to_mutual_credit_is_allowed(kit: Kit) -> None:
    out = await kit.say("mod", "!config plugins.tips.mutual_credit yes")
    assert out == "plugins.tips.mutual_credit set to yes for this community."
    await kit.member("alice")
    await kit.member("bob")
    assert "tipped" in await kit.say("alice", "!tip @bob 5")
    await kit.check()


async def test_switching_mutual_credit_off_with_debts_is_refused(make_kit: MakeKit) -> None:
    kit = await make_kit(mutual_credit=True, credit_limit=20)
    await kit.member("alice")
    await kit.member("bob")
    assert "tipped" in await kit.say("alice", "!tip @bob 15")
    out = await kit.say("mod", "!config plugins.tips.mutual_credit no")
    assert out == ("Cannot change plugins.tips.mutual_credit: mutual credit cannot be switched "
                   "off while members owe 15 BZZ (every balance must be back to zero first).")
    assert kit.svc.config(COMMUNITY).mutual_credit is True
    assert "tipped" in await kit.say("bob", "!tip @alice 15")
    assert "set to no" in await kit.say("mod", "!config plugins.tips.mutual_credit no")
    await kit.check()


async def test_resetting_mutual_credit_to_the_file_value_is_checked_too(kit: Kit) -> None:
    assert "set to yes" in await kit.say("mod", "!config plugins.tips.mutual_credit yes")
    await kit.member("alice")
    await kit.member("bob")
    assert "tipped" in await kit.say("alice", "!tip @bob 5")
    out = await kit.say("mod", "!config plugins.tips.mutual_credit --reset")
    assert "cannot be switched off while members owe 5 BZZ" in out
    assert kit.svc.config(COMMUNITY).mutual_credit is True


async def test_a_file_switch_to_mutual_credit_with_minted_tokens_is_reported(kit: Kit) -> None:
    await kit.fund("alice", 10)
    # The config file is not checked against the ledger: `ruche db check` reports it.
    kit.tb._raw = {"plugins": {"tips": {"mutual_credit": True, "allowance_amount": 0,
                                        "activity_reward": 0}}}
    await kit.restart()
    problems = await integrity.check(kit.svc)
    assert problems == ["tips: community console is in mutual credit but its balances sum to "
                        "10, not 0 (10 minted before the switch, 0 burned)"]
