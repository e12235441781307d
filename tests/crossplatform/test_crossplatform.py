"""One community on Discord and Matrix in one bot: people, not accounts, are what counts."""

from __future__ import annotations

import re
from typing import Any

from conftest import CrossBot, MakeCrossBot
from matrix.member import Member

PLUGINS = {"ideas": {"support_threshold": 2, "auto_poll": False},
           "tips": {"allowance_amount": 0, "welcome_amount": 20}}


async def join(cross: CrossBot, member: Member) -> None:
    """The room's owner invites `member`, who accepts."""
    await cross.owner.client.room_invite(cross.room_id, member.user_id)
    await member.joined(cross.room_id, member.user_id, 30)
    await cross.owner.joined(cross.room_id, member.user_id, 30)


async def link(cross: CrossBot, discord_user: dict[str, Any], member: Member) -> None:
    """`!link` on Discord (the code comes by direct message), the code typed on Matrix."""
    fake = cross.fake
    dm = int(fake._dm_channel(discord_user)["id"])
    await fake.say(discord_user, "!link")
    match = await fake.wait_for(lambda: next(
        (m for m in (re.search(r"code is (\w+)", str(x["content"]))
                     for x in fake.bot_messages(dm)) if m), None), 15)
    answer = await member.ask(cross.room_id, f"!link {match[1]}", cross.bot_user)
    assert "Linked" in answer, answer


async def test_one_community_across_discord_and_matrix(
        make_cross_bot: MakeCrossBot, make_member: Any) -> None:
    cross = await make_cross_bot(plugins=PLUGINS)
    fake = cross.fake
    alice_d, carol_d = fake.person("alice"), fake.person("carol")
    alice_m: Member = await make_member("alice")
    bob_m: Member = await make_member("bob")
    for member in (alice_m, bob_m):
        await join(cross, member)
    bot = cross.bot_user

    # Alice links her Discord and Matrix accounts: one member from here on.
    await link(cross, alice_d, alice_m)

    # An idea submitted on Discord, supported from both platforms.
    assert "#1" in await cross.on_discord(carol_d, "!idea submit Compost bins | by the gate")
    assert "You support idea #1" in await cross.on_discord(alice_d, "!idea support 1")
    again = await alice_m.ask(cross.room_id, "!idea support 1", bot)
    assert "You already support idea #1" in again  # same person, other account: no 2nd support
    crossing = await bob_m.ask(cross.room_id, "!idea support 1", bot)
    assert "You support idea #1" in crossing and "2" in crossing
    shown = await cross.on_discord(carol_d, "!idea show 1")
    assert "review" in shown.lower(), shown

    # A poll opened on Discord; ballots by command from both platforms, once per person.
    opened = await cross.on_discord(carol_d, '!poll new "Paint the shed?" Yes No')
    number = re.search(r"#(\d+)", opened)
    assert number is not None, opened
    poll = number[1]
    await cross.on_discord(alice_d, f"!vote {poll} Yes")
    replaced = await alice_m.ask(cross.room_id, f"!vote {poll} No", bot)
    assert "replaces your previous one" in replaced  # one person, one ballot
    await bob_m.ask(cross.room_id, f"!vote {poll} No", bot)
    results = await alice_m.ask(cross.room_id, f"!poll results {poll}", bot)
    assert "2" in results and "ballot" in results.lower(), results

    # A tip typed on Discord to a member who is only on Matrix.
    tipped = await cross.on_discord(carol_d, f"!tip {bob_m.user_id} 5 thanks")
    assert "tipped" in tipped, tipped
    balance = await bob_m.ask(cross.room_id, "!balance", bot)
    assert "25" in balance, balance

    # One community on both sides.
    pulse_d = await cross.on_discord(carol_d, "!pulse")
    pulse_m = await bob_m.ask(cross.room_id, "!pulse", bot)
    assert "Garden" in pulse_d and "Garden" in pulse_m
    assert pulse_d == pulse_m
