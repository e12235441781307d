"""A member with nothing to give is told when tokens come, not just "the balance is 0"."""

from __future__ import annotations

from plugins.tips.tests.conftest import MakeKit


async def test_a_newcomer_learns_the_allowance_is_coming(make_kit: MakeKit) -> None:
    kit = await make_kit(allowance_amount=10, allowance_period="1d")
    await kit.member("bob")
    out = await kit.say("alice", "!tip @bob 5")  # refused: not even presence is recorded
    assert out == ("You have no BZZ yet, so you cannot give 5. Active members receive 10 BZZ "
                   "every 1d: take part here (say hello!) and your first ones arrive within a "
                   "minute.")
    await kit.say("alice", "hello")
    out = await kit.say("alice", "!tip @bob 5")
    assert out == ("You have no BZZ yet, so you cannot give 5. Every active member receives "
                   "10 BZZ every 1d: your next one arrives within a minute.")
    assert await kit.bot.scheduler.run_now("tips.allowance")
    assert await kit.balance("alice") == 10
    assert "tipped" in await kit.say("alice", "!tip @bob 10")
    bob = await kit.balance("bob")
    # Spent: the next allowance is the next period's, 11 h away (the kit's clock is at 13:00).
    out = await kit.say("alice", "!tip @bob 1")
    assert out.endswith("your next one arrives in 11h.")
    assert await kit.balance("alice") == 0 and await kit.balance("bob") == bob
    await kit.check()


async def test_without_an_allowance_the_refusal_states_the_balance(make_kit: MakeKit) -> None:
    kit = await make_kit()  # allowance_amount = 0
    await kit.member("bob")
    out = await kit.say("alice", "!tip @bob 5")
    assert out == "Not enough BZZ: the balance is 0, the amount 5."


async def test_french_members_read_it_in_french(make_kit: MakeKit) -> None:
    kit = await make_kit(allowance_amount=10)
    await kit.say("mod", "!config bot.locale fr")
    await kit.member("bob")
    await kit.member("alice")
    out = await kit.say("alice", "!tip @bob 5")
    assert out.startswith("Vous n’avez pas encore de BZZ")
    assert out.endswith("arrive dans la minute.")
