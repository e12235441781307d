"""`welcome_amount`: a first-time member gets a gift and a message, once, whatever happens."""

from __future__ import annotations

from plugins.tips.tests.conftest import MakeKit


async def test_a_first_time_member_is_welcomed_once(make_kit: MakeKit) -> None:
    kit = await make_kit(welcome_amount=20)
    await kit.say("bob", "hello")
    assert await kit.balance("bob") == 20
    assert any("Welcome! Here are 20 BZZ" in text and "!tip @someone 5 thanks" in text
               for text in kit.dms("bob")), kit.dms("bob")
    kit.clock.advance(seconds=3600)
    await kit.say("bob", "hello again")
    assert sum("Welcome!" in text for text in kit.dms("bob")) == 1
    await kit.restart()  # a new process: the outbox re-sends nothing already sent
    kit.clock.advance(seconds=3600)
    await kit.say("bob", "and again")
    assert await kit.balance("bob") == 20
    assert not any("Welcome!" in text for text in kit.dms("bob"))
    assert "welcome gift" in await kit.say("bob", "!history 1")
    await kit.check()


async def test_members_seen_before_it_was_switched_on_get_nothing(make_kit: MakeKit) -> None:
    kit = await make_kit()
    await kit.say("alice", "hello")
    kit.bot.config.limits["plugins.tips.welcome_amount"] = 50
    assert "set to 10" in await kit.say("mod", "!config plugins.tips.welcome_amount 10")
    kit.clock.advance(seconds=3600)
    await kit.say("alice", "back")
    await kit.say("carol", "hi, new here")
    assert await kit.balance("alice") == 0 and await kit.balance("carol") == 10
    await kit.check()


async def test_mutual_credit_mints_no_welcome(make_kit: MakeKit) -> None:
    kit = await make_kit(welcome_amount=20, mutual_credit=True)
    await kit.say("bob", "hello")
    assert await kit.balance("bob") == 0
