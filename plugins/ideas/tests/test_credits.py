"""`!idea credit` and rewards shared by contribution: authors, credited contributors and the
first supporters, split by the largest remainder method and paid exactly once."""

from __future__ import annotations

from typing import Any

from bot import testing
from bot.testing import TEST_BUILTINS, MakeBot
from plugins.tips import TipsPlugin

RULE = {"reward_share_authors": 60, "reward_share_credited": 25, "reward_share_supporters": 15,
        "reward_first_supporters": 3, "support_threshold": 20}
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "gina")


async def start(make_bot: MakeBot, reward: int, ideas: dict[str, Any] | None = None,
                locale: str = "en", **rewards: int) -> testing.Kit:
    tips = {"allowance_amount": 0, "activity_reward": 0, "idea_accepted_reward": reward,
            "idea_implemented_reward": 0, **rewards}
    tb = await make_bot(raw={"bot": {"locale": locale},
                             "plugins": {"tips": tips, "ideas": ideas or {}}},
                        builtins=TEST_BUILTINS)
    kit = testing.Kit(tb)
    await kit.known(*PEOPLE)
    return kit


async def balances(kit: testing.Kit) -> dict[str, int]:
    svc = kit.bot.plugin(TipsPlugin).service
    return {name: (await svc.holdings(kit.community, await kit.member_id(name))).balance
            for name in PEOPLE}


async def contributed(kit: testing.Kit, *credits: str) -> None:
    """Idea #1 by alice with bob as co-author; `credits` ("carol 2"); alice supports it (an
    author: not counted), then dave, erin, frank and gina, in that order."""
    await kit.say("alice", "!idea submit Bee hotel")
    await kit.say("alice", "!idea coauthor 1 @bob")
    for credit in credits:
        await kit.say("alice", f"!idea credit 1 @{credit}")
    for name in ("alice", "dave", "erin", "frank", "gina"):
        await kit.say(name, "!idea support 1")


async def test_a_reward_of_100_under_60_25_15(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 100, RULE)
    await contributed(kit, "carol")
    await kit.say("mod", "!idea accept 1 good")
    paid = {"alice": 30, "bob": 30, "carol": 25, "dave": 5, "erin": 5, "frank": 5, "gina": 0}
    assert await balances(kit) == paid
    entries = await kit.bot.db.fetch(
        "SELECT ref FROM tips_entries WHERE reason = 'idea_accepted' ORDER BY id")
    assert len(entries) == 6  # one movement per recipient
    bot = kit.bot
    idea = await bot.hooks.first("latest_ideas", bot=bot, community=kit.community,
                                 statuses=["accepted"], limit=1)
    await bot.hooks.notify("on_idea_accepted", bot=bot, idea=idea[0])  # delivered again
    await kit.restart()
    await kit.bot.hooks.notify("on_idea_accepted", bot=kit.bot, idea=idea[0])
    assert await balances(kit) == paid
    assert await kit.problems() == []


async def test_remainders_go_to_the_largest_fractions_then_the_earliest(
        make_bot: MakeBot) -> None:
    kit = await start(make_bot, 100, RULE)
    await contributed(kit, "carol 2", "gina")
    # authors 60 → 30 + 30; credited 25 → carol 2/3 = 16.67, gina 1/3 = 8.33; supporters 15 →
    # 5 each to dave, erin, frank (gina is the fourth). Floors add up to 99: the one left goes
    # to the largest fraction, carol's .67.
    await kit.say("mod", "!idea accept 1 good")
    assert await balances(kit) == {"alice": 30, "bob": 30, "carol": 17, "dave": 5, "erin": 5,
                                   "frank": 5, "gina": 8}
    out = await kit.say("dave", "!idea show 1")
    assert "Credited: carol (2), gina (1)" in out.splitlines()
    assert ("Rewards paid: 100 BZZ (alice 30, bob 30, carol 17, gina 8, dave 5, erin 5, "
            "frank 5).") in out.splitlines()


async def test_ties_go_to_the_earliest(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 50, RULE)
    await contributed(kit, "carol")
    # authors 30 → 15 + 15; carol 12.5; supporters 7.5 → 2.5 each. Floors: 48; the two units
    # left go to the equal .5 fractions in order: carol first, then dave.
    await kit.say("mod", "!idea accept 1 good")
    assert await balances(kit) == {"alice": 15, "bob": 15, "carol": 13, "dave": 3, "erin": 2,
                                   "frank": 2, "gina": 0}


async def test_defaults_pay_the_authors_when_nobody_is_credited(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 50)
    await contributed(kit)
    await kit.say("mod", "!idea accept 1 good")
    assert await balances(kit) == {"alice": 25, "bob": 25, "carol": 0, "dave": 0, "erin": 0,
                                   "frank": 0, "gina": 0}
    out = await kit.say("carol", "!idea show 1")
    assert "Rewards paid: 50 BZZ (alice 25, bob 25)." in out.splitlines()
    assert "Credited" not in out


async def test_defaults_give_a_quarter_to_the_credited(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 50)
    await contributed(kit, "carol")
    await kit.say("mod", "!idea accept 1 good")
    # 75/25: authors 37.5 → 18.75 each, carol 12.5; floors 48, one unit each to the .75s
    assert (await balances(kit))["carol"] == 12
    assert [(await balances(kit))[n] for n in ("alice", "bob")] == [19, 19]


async def test_an_anonymous_author_stays_anonymous_in_the_rewards_line(
        make_bot: MakeBot) -> None:
    kit = await start(make_bot, 40)
    await kit.say("alice", "!idea submit Quiet room --anonymous")
    await kit.say("alice", "!idea credit 1 @carol")
    await kit.say("mod", "!idea accept 1 ok")
    out = await kit.say("dave", "!idea show 1")
    assert "Rewards paid: 40 BZZ (anonymous 30, carol 10)." in out.splitlines()
    assert "alice" not in out


async def test_credit_rules(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 50)
    await kit.say("alice", "!idea submit Bee hotel")
    await kit.say("alice", "!idea coauthor 1 @bob")
    assert await kit.say("carol", "!idea credit 1 @dave") == (
        "Only the authors of idea #1 can credit contributors.")
    assert await kit.say("alice", "!idea credit 1 @bob") == (
        "bob is an author of idea #1: authors already share its rewards.")
    assert (await kit.say("alice", "!idea credit 1 @dave 0")).startswith(
        "A share is a whole number from 1 to 100, not “0”.")
    assert await kit.say("bob", "!idea credit 1 @dave") == (
        "dave is now credited on idea #1 (share 1): its next rewards are shared with them.")
    assert await kit.say("alice", "!idea credit 1 @dave 3") == (
        "dave's share on idea #1 is now 3.")
    await kit.say("alice", "!idea withdraw 1")
    assert (await kit.say("alice", "!idea credit 1 @erin")).startswith(
        "Cannot credit a contributor on idea #1: it is withdrawn")
    rows = await kit.bot.db.fetch("SELECT member_id, share FROM ideas_credits")
    assert [(int(r["member_id"]), int(r["share"])) for r in rows] == [
        (await kit.member_id("dave"), 3)]


async def test_credit_in_french(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 50, locale="fr")
    await kit.say("alice", "!idée soumettre Hôtel à abeilles")
    assert await kit.say("alice", "!idée créditer 1 @carol 2") == (
        "carol est maintenant crédité·e sur l’idée n°1 (part 2) : ses prochaines récompenses "
        "seront partagées avec carol.")


async def test_the_funded_reward_is_shared_once(make_bot: MakeBot) -> None:
    kit = await start(make_bot, 0, idea_funded_reward=40)
    await kit.say("alice", "!idea submit Bee hotel")
    await kit.say("alice", "!idea credit 1 @carol")
    await kit.say("mod", "!idea accept 1 good")
    await kit.say("mod", "!grant @dave 30 welcome")
    await kit.say("alice", "!fund open 1 20 --until 2d")
    await kit.say("dave", "!pledge 1 20")
    before = await balances(kit)
    await kit.say("mod", "!fund close 1")
    # defaults 75/25: alice 30, carol 10; alice also receives the round's 20 as its wallet
    after = await balances(kit)
    assert after["carol"] - before["carol"] == 10
    assert after["alice"] - before["alice"] == 30 + 20
    rows = await kit.bot.db.fetch("SELECT dst, amount FROM tips_entries"
                                  " WHERE reason = 'idea_funded' ORDER BY id")
    assert [(r["dst"], int(r["amount"])) for r in rows] == [
        (f"member:{await kit.member_id('alice')}", 30),
        (f"member:{await kit.member_id('carol')}", 10)]
    rounds = await kit.bot.hooks.first("list_funding_rounds", bot=kit.bot,
                                       community=kit.community, states=("succeeded",))
    await kit.bot.hooks.notify("on_funding_succeeded", bot=kit.bot, round=rounds[0],
                               backers=())  # delivered again
    assert await balances(kit) == after
