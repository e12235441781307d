"""One community on Discord and Matrix in one bot: people, not accounts, are what counts."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from cross_env import CrossBot, MakeCrossBot
from fake_discord import CHANNEL_ID
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
    assert "private message" in await cross.on_discord(discord_user, "!link")
    match = await fake.wait_for(lambda: next(
        (m for m in (re.search(r"code is (\w+)", str(x["content"]))
                     for x in fake.bot_messages(dm)) if m), None), 15)
    answer = await member.ask(cross.room_id, f"!link {match[1]}", cross.bot_user)
    assert "Linked" in answer, answer


async def ballots(cross: CrossBot, member: Member, poll: str, count: int,
                  also: str = "") -> str:
    """`!poll results` from Matrix until it shows `count` ballots (reactions and clicks
    arrive on their own time)."""
    results = ""
    for _attempt in range(75):
        results = await member.ask(cross.room_id, f"!poll results {poll}", cross.bot_user)
        if f"{count} ballots" in results and also in results:
            return results
        await asyncio.sleep(0.2)
    raise AssertionError(results)


async def test_one_community_across_discord_and_matrix(
        make_cross_bot: MakeCrossBot, make_member: Any) -> None:
    cross = await make_cross_bot(plugins=PLUGINS)
    fake = cross.fake
    alice_d, carol_d, dave_d = fake.person("alice"), fake.person("carol"), fake.person("dave")
    erin_d = fake.person("erin")
    alice_m: Member = await make_member("alice")
    bob_m: Member = await make_member("bob")
    for member in (alice_m, bob_m):
        await join(cross, member)
    bot = cross.bot_user

    # Alice links her Discord and Matrix accounts: one member from here on.
    await link(cross, alice_d, alice_m)

    # An idea submitted on Discord, supported from both platforms: people, not accounts.
    assert "#1" in await cross.on_discord(carol_d, "!idea submit Compost bins | by the gate")
    assert "(1 support)" in await cross.on_discord(alice_d, "!idea support 1")
    again = await alice_m.ask(cross.room_id, "!idea support 1", bot)
    assert again == "You already support idea #1."
    crossing = await bob_m.ask(cross.room_id, "!idea support 1", bot)
    assert "(2 supports)" in crossing and "moves to review" in crossing, crossing
    shown = await cross.on_discord(carol_d, "!idea show 1")
    assert "in review" in shown and "Supports: 2" in shown, shown

    # A poll opened on Discord: ballots by command on both platforms and by reaction on
    # Discord, once per person.
    opened = await cross.on_discord(carol_d, '!poll new "Paint the shed?" Yes No')
    number = re.search(r"Poll #(\d+)", opened)
    assert number is not None, opened
    poll = number[1]
    poll_message = next(m for m in fake.bot_messages(CHANNEL_ID)
                        if f"Poll #{poll}" in m["content"])
    assert "recorded" in await cross.on_discord(alice_d, f"!vote {poll} Yes")
    replaced = await alice_m.ask(cross.room_id, f"!vote {poll} No", bot)
    assert "replaces your previous one" in replaced  # the same person on her other account
    assert "recorded" in await bob_m.ask(cross.room_id, f"!vote {poll} No", bot)
    await fake.react(dave_d, poll_message["id"], "1️⃣")
    buttons = [c for row in fake.messages[int(poll_message["id"])]["components"]
               for c in row["components"] if c.get("label", "").endswith("Yes")]
    await fake.click(erin_d, poll_message["id"], buttons[0]["custom_id"])
    results = await ballots(cross, alice_m, poll, 4)
    assert "Yes" in results and "2 (50%)" in results, results

    # A poll opened on Matrix: a Matrix reaction and a Discord command, once per person.
    since = len(bob_m.events)
    await bob_m.say(cross.room_id, '!poll new "Plant tulips?" Yes No')
    matrix_poll = (await bob_m.wait(lambda: [
        e for e in bob_m.from_user(cross.room_id, bot, since)
        if "Plant tulips?" in e.source.get("content", {}).get("body", "")]))[0]
    number = re.search(r"Poll #(\d+)", matrix_poll.source["content"]["body"])
    assert number is not None and number[1] != poll
    await bob_m.react(cross.room_id, matrix_poll.event_id, "1️⃣")
    assert "recorded" in await cross.on_discord(alice_d, f"!vote {number[1]} No")
    await alice_m.react(cross.room_id, matrix_poll.event_id, "1️⃣")  # her ballot, changed
    await ballots(cross, alice_m, number[1], 2)
    tally = await ballots(cross, alice_m, number[1], 2, "2 (100%)")
    assert "Yes" in tally, tally

    # Closing it on Discord: the result is announced in both rooms of the community.
    await fake.say(carol_d, f"!poll close {poll}")
    posted = await fake.wait_for(lambda: [t for t in fake.texts() if t.startswith("Results")])
    on_matrix = await bob_m.wait(lambda: [t for t in cross.matrix_texts(bob_m)
                                          if t.startswith("Results") and "(closed)" in t], 20)
    assert "(closed)" in posted[-1] and on_matrix[-1] == posted[-1]

    # A tip typed on Discord to a member who is only on Matrix.
    tipped = await cross.on_discord(carol_d, f"!tip {bob_m.user_id} 5 thanks")
    assert tipped.startswith("carol tipped bob") and "5 BZZ" in tipped, tipped
    assert "has 25 BZZ" in await bob_m.ask(cross.room_id, "!balance", bot)
    assert "has 15 BZZ" in await cross.on_discord(carol_d, "!balance")

    # One community on both sides: the same pulse, whichever platform asks.
    pulse_d = await cross.on_discord(carol_d, "!pulse")
    pulse_m = await bob_m.ask(cross.room_id, "!pulse", bot)
    assert pulse_d.startswith("📈 Pulse of Garden") and "1 tip" in pulse_d, pulse_d
    assert pulse_m == pulse_d
