"""Every bad amount and recipient gets a clear error and changes nothing."""

from __future__ import annotations

import pytest

from bot.model import UserRef
from plugins.tips.tests.conftest import COMMUNITY, Kit, MakeKit

USAGE = "Usage: !tip <member> <amount> [reason…]"


@pytest.fixture
async def funded(make_kit: MakeKit) -> Kit:
    kit = await make_kit(max_tip=50)
    await kit.fund("alice", 30)
    await kit.member("bob")
    return kit


@pytest.mark.parametrize(("amount", "error"), [
    ("0", "The amount must be at least 1, not 0."),
    ("00", "The amount must be at least 1, not 00."),
    ("-5", "The amount must be positive, not -5."),
    ("1.5", "Amounts have at most 0 decimal places: “1.5”."),
    ("2,5", "Amounts have at most 0 decimal places: “2,5”."),
    ("NaN", "“NaN” is not an amount: use a whole number like 5."),
    ("inf", "“inf” is not an amount: use a whole number like 5."),
    ("1e3", "“1e3” is not an amount: use a whole number like 5."),
    ("0x10", "“0x10” is not an amount: use a whole number like 5."),
    ("1_000", "“1_000” is not an amount: use a whole number like 5."),
    ("١٢", "Write amounts with the digits 0-9, not “١٢”."),
    ("５", "Write amounts with the digits 0-9, not “５”."),
    ("99999999999999999999", "“99999999999999999999” is too large."),
    ("five", "“five” is not an amount: use a whole number like 5."),
])
async def test_bad_amounts_are_refused_with_usage(funded: Kit, amount: str, error: str) -> None:
    before = await funded.snapshot()
    out = await funded.say("alice", f"!tip @bob {amount} thanks")
    assert out.splitlines() == [error, USAGE]
    assert await funded.snapshot() == before


@pytest.mark.parametrize(("text", "error"), [
    ("!tip @bob 51", "A tip is at most 50 BZZ."),
    ("!tip @bob 31", "Not enough BZZ: the balance is 30, the amount 31."),
    ("!tip @alice 1", "You cannot tip yourself."),
    ("!tip @ghost 1", "Unknown member: @ghost. Mention someone who has already written here."),
    ("!tip @robot 1", "@robot is a bot; bots cannot take part."),
    ("!tip @bob", "Missing argument: amount."),
    ("!tip", "Missing argument: member."),
    ("!tip 5 @bob", "Unknown member: 5. Mention someone who has already written here."),
    ("!tip @bob 1 " + "x" * 301, "The reason is too long (at most 300 characters)."),
    ('!tip @bob "1', "A quote is not closed: \""),
    ("!tip @bob 1 --bogus", None),
])
async def test_refusals_change_nothing(funded: Kit, text: str, error: str | None) -> None:
    robot = UserRef("console", "robot", "robot", is_bot=True)
    await funded.bot.identity.member_for(robot, funded.bot.communities.get(COMMUNITY))
    before = await funded.snapshot()
    out = await funded.say("alice", text)
    if error is None:  # a reason may contain anything, even what looks like an option
        assert out == "alice tipped bob 1 BZZ."
        return
    assert out.splitlines()[0] == error
    assert await funded.snapshot() == before


async def test_bots_can_neither_tip_nor_be_tipped_through_the_service(funded: Kit) -> None:
    from bot.commands import UserError
    from bot.model import Member

    alice = await funded.member("alice")
    bot_member = Member(999, COMMUNITY, "robot", is_bot=True)
    before = await funded.snapshot()
    for sender, receiver in ((alice, bot_member), (bot_member, alice)):
        with pytest.raises(UserError, match="Bots cannot"):
            await funded.svc.tip(COMMUNITY, sender, receiver, 1)
    with pytest.raises(UserError, match="at least 1"):
        await funded.svc.tip(COMMUNITY, alice, await funded.member("bob"), 0)
    assert await funded.snapshot() == before


async def test_messages_from_bots_are_ignored(funded: Kit) -> None:
    before = await funded.snapshot()
    assert await funded.tb.chat.say("alice", "!tip @bob 1", is_bot=True) == ""
    assert await funded.snapshot() == before


async def test_garbage_never_crashes(funded: Kit) -> None:
    before = await funded.snapshot()
    for text in ("!tip @bob \x00\x01", "!tip @bob 1\u202e", "!tip " + "@" * 5000,
                 "!tip @bob 🪙", "!tip @bob -0", "!tip @bob +5", "!tip @@bob 1",
                 "!balance @bob @carol", "!leaderboard --period", "!grant", "!ledger export a b"):
        out = await funded.say("alice", text)
        assert out and "Sorry, something went wrong" not in out, (text, out)
    assert await funded.snapshot() == before
