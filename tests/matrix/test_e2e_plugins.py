"""End to end on Matrix with the built-in ideas, votes and tips plugins (plain and encrypted)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from .conftest import MakeMatrixBot, MakeMember, MatrixBot
from .member import Member
from .test_integration import messages, room_with_bot

BUILTINS = {"core": "bot.commands.builtin", "matrix": "bot.adapters.matrix",
            "ideas": "plugins.ideas", "votes": "plugins.votes", "tips": "plugins.tips"}
SETTINGS = {"plugins": {"ideas": {"support_threshold": 2},
                        "tips": {"allowance_amount": 0, "activity_reward": 0}}}


async def community(make_matrix_bot: MakeMatrixBot, make_member: MakeMember,
                    encrypted: bool) -> tuple[MatrixBot, str, Member, Member, Member]:
    """A room made by alice (its creator: admin) with bob and carol, members without power."""
    mb = await make_matrix_bot(builtins=BUILTINS, raw=SETTINGS)
    alice, bob, carol = [await make_member(n) for n in ("alice", "bob", "carol")]
    room = await room_with_bot(alice, mb, encrypted=encrypted,
                               invite=(bob.user_id, carol.user_id))
    await bob.joined(room, bob.user_id)
    await carol.joined(room, carol.user_id)
    return mb, room, alice, bob, carol


def pill(member: Member, label: str) -> str:
    return f'<a href="https://matrix.to/#/{member.user_id}">{label}</a>'


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_idea_supported_voted_by_reactions_and_accepted_by_a_moderator(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb, room, alice, bob, carol = await community(make_matrix_bot, make_member, encrypted)
    bot = mb.user_id
    assert "Idea #1" in await alice.ask(room, "!idea submit Solar roof | panels on the hive", bot)
    assert "1 support" in await bob.ask(room, "!idea support 1", bot)
    reached = await carol.ask(room, "!idea support 1", bot)
    assert "2 supports" in reached and "poll #1" in reached
    assert "already" in (await bob.ask(room, "!idea support 1", bot)).lower()
    # The poll message: the bot put the keycaps on it (buttons degrade to reactions here).
    poll = await alice.wait(lambda: [e for e in messages(alice, room, bot)
                                     if e.source["content"].get("body", "").startswith("📊 Poll #1")])
    for voter, key in ((bob, "1️⃣"), (carol, "1️⃣"), (alice, "2️⃣")):
        await voter.react(room, poll[0].event_id, key)
    await alice.wait(lambda: "3 ballots" in _latest_poll_text(alice, room, bot,
                                                             poll[0].event_id), within=20)
    refused = await bob.ask(room, "!idea accept 1", bot)
    assert "not allowed" in refused and "ideas.moderate" in refused
    assert "accepted" in await alice.ask(room, "!idea accept 1", bot)
    assert "accepted" in await bob.ask(room, "!idea show 1", bot)


def _latest_poll_text(member: Member, room: str, bot: str, poll_id: str) -> str:
    """The poll message as edited last (live tally edits are m.replace events)."""
    text = ""
    for event in messages(member, room, bot):
        content = event.source["content"]
        if event.event_id == poll_id:
            text = content.get("body", "")
        relates = content.get("m.relates_to", {})
        if relates.get("rel_type") == "m.replace" and relates.get("event_id") == poll_id:
            text = content.get("m.new_content", {}).get("body", text)
    return text


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_tips_by_command_with_a_pill_and_by_reaction(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb, room, alice, bob, _carol = await community(make_matrix_bot, make_member, encrypted)
    bot = mb.user_id
    assert "50" in await alice.ask(room, f"!grant {alice.user_id} 50 seed", bot)
    assert "not allowed" in await bob.ask(room, f"!grant {bob.user_id} 50 mine", bot)
    # Element sends a mention as a pill: the plain body only has the display name.
    command = await alice.say(room, "!tip Bob 5 thanks", format="org.matrix.custom.html",
                              formatted_body=f"!tip {pill(bob, 'Bob')} 5 thanks")
    reply = await alice.reply_to(room, command, bot)
    assert "tipped" in reply.source["content"]["body"]
    assert "5 BZZ" in await bob.ask(room, "!balance", bot)
    # Reacting with the tip emoji on bob's message tips its author.
    message = await bob.say(room, "I fixed the hive door")
    await alice.react(room, message, "🪙")
    await alice.wait(lambda: mb.recorder.reactions)
    for _attempt in range(50):
        if "6 BZZ" in await bob.ask(room, "!balance", bot):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the reaction tip never arrived")
    assert "44 BZZ" in await alice.ask(room, "!balance", bot)
    # The moderator's ledger export arrives as a file (encrypted in an encrypted room).
    await alice.say(room, "!ledger export csv")
    files = await alice.wait(lambda: [e for e in messages(alice, room, bot)
                                      if e.source["content"].get("msgtype") == "m.file"])
    content = files[0].source["content"]
    if encrypted:
        from nio.crypto import decrypt_attachment

        info = content["file"]
        body = decrypt_attachment((await alice.client.download(info["url"])).body,
                                  info["key"]["k"], info["hashes"]["sha256"], info["iv"])
    else:
        body = (await alice.client.download(content["url"])).body
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) >= 4  # header, grant, tip, reaction tip


async def test_restart_in_the_middle_of_a_flow_counts_everything_once(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember) -> None:
    mb, room, alice, bob, carol = await community(make_matrix_bot, make_member, True)
    bot = mb.user_id
    await alice.ask(room, "!idea submit Bee hotel", bot)
    support = await bob.ask(room, "!idea support 1", bot)
    await mb.stop()
    again = await bob.say(room, "!idea support 1")  # while the bot is down
    carols = await carol.say(room, "!idea support 1")
    await mb.start()
    await bob.reply_to(room, again, bot, within=30)
    await carol.reply_to(room, carols, bot, within=30)
    await mb.restart()
    shown = await alice.ask(room, "!idea show 1", bot)
    assert "1 support" in support
    assert "Supports: 2" in shown  # bob once, carol once: nothing replayed
    await asyncio.sleep(0.5)
    replies = [e for e in messages(alice, room, bot)
               if e.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
               .get("event_id") in (again, carols)]
    assert len(replies) == 2
