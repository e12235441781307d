"""Tipping by reaction: the community's emoji on a member's message tips its author once."""

from __future__ import annotations

from typing import Any

from bot import hookimpl
from plugins.tips.models import Tip
from plugins.tips.tests.conftest import Kit, MakeKit


class TipWatcher:
    @hookimpl
    def on_tip_sent(self, bot: Any, tip: Tip) -> None:
        self.tips.append(tip)

    def __init__(self) -> None:
        self.tips: list[Tip] = []


async def test_reaction_tips_the_author_and_records_the_message(make_kit: MakeKit) -> None:
    watcher = TipWatcher()
    kit = await make_kit(plugins={"watch": watcher})
    await kit.fund("alice", 10)
    await kit.member("bob")
    await kit.react("alice", "bob", "m7")
    assert await kit.balance("bob") == 1
    entry = (await kit.entries("tip"))[-1]
    alice = await kit.member("alice")
    assert entry["link"] == "console:console/m7"
    assert entry["ref"] == f"reaction:console:console:m7:member:{alice.id}"
    assert len(watcher.tips) == 1 and watcher.tips[0].via_reaction
    assert watcher.tips[0].entry.link == "console:console/m7"
    await kit.check()


async def test_one_tip_per_message_and_tipper(kit: Kit) -> None:
    await kit.fund("alice", 10)
    await kit.fund("carol", 10)
    await kit.member("bob")
    await kit.react("alice", "bob", "m1")
    await kit.react("alice", "bob", "m1", added=False)  # removing it refunds nothing
    await kit.react("alice", "bob", "m1")  # re-adding it pays nothing more
    await kit.react("carol", "bob", "m1")  # another member may tip the same message
    await kit.react("alice", "bob", "m2")  # and alice another message
    assert await kit.balance("bob") == 3
    assert await kit.balance("alice") == 8


async def test_reactions_that_do_not_tip(make_kit: MakeKit) -> None:
    kit = await make_kit(reaction_tip_emoji="👍")
    await kit.fund("alice", 10)
    await kit.member("bob")
    before = await kit.snapshot()
    await kit.react("alice", "bob", emoji="🪙")  # not this community's emoji
    await kit.react("alice", "alice", emoji="👍")  # one's own message
    await kit.react("alice", "ruche", emoji="👍", author_is_bot=True)  # a bot's message
    await kit.react("alice", None, emoji="👍")  # platform did not say who wrote it
    await kit.react("alice", "bob", emoji="👍", added=False)
    assert await kit.snapshot() == before
    await kit.react("alice", "bob", emoji="👍\ufe0f")  # variation selectors do not matter
    assert await kit.balance("bob") == 1


async def test_reaction_tipping_can_be_turned_off(make_kit: MakeKit) -> None:
    kit = await make_kit(reaction_tip_amount=0)
    await kit.fund("alice", 10)
    await kit.member("bob")
    await kit.react("alice", "bob")
    assert await kit.balance("bob") == 0


async def test_reaction_amount_and_unknown_author(make_kit: MakeKit) -> None:
    kit = await make_kit(reaction_tip_amount=3)
    await kit.fund("alice", 10)
    await kit.react("alice", "dave")  # dave wrote a message but never a command: registered
    assert await kit.balance("dave") == 3


async def test_a_refused_reaction_tip_is_told_privately(kit: Kit) -> None:
    await kit.member("alice")
    await kit.member("bob")
    before = await kit.snapshot()
    await kit.react("alice", "bob")
    assert kit.chat.last().to == "alice"
    assert kit.chat.last().text == "Not enough BZZ: the balance is 0, the amount 1."
    assert await kit.snapshot() == before


async def test_reaction_tip_in_french(make_bot) -> None:  # type: ignore[no-untyped-def]
    from plugins.tips.tests.conftest import Clock

    tb = await make_bot(raw={"bot": {"locale": "fr"}})
    kit = Kit(tb, Clock())
    tb.bot.clock = kit.clock
    await kit.member("alice")
    await kit.react("alice", "bob")
    assert kit.chat.last().text == (
        "Vous n’avez pas encore de BZZ, vous ne pouvez donc pas en donner 1. Chaque membre actif "
        "reçoit 10 BZZ tous les 1d : votre prochain versement arrive dans la minute.")
