"""Buttons on a platform without buttons become reactions that run the button's command."""

from __future__ import annotations

from typing import Any

from bot import hookimpl
from bot.commands import Context, command
from bot.model import Button, MessageRef, OutgoingMessage, ReactionEvent
from tests.core import sample_commands


@command("offer")
async def offer(ctx: Context) -> None:
    """Post a message with buttons."""
    await ctx.send(OutgoingMessage("Idea #1", buttons=(
        Button("Support", "cmd:echo supported by you", emoji="👍"),
        Button("Open", "https://example.org", emoji="🔗"),
        Button("Plain", "cmd:ping"),
    )))


class Offers:
    def __init__(self) -> None:
        self.reactions: list[str] = []

    @hookimpl
    def register_commands(self) -> list[Any]:
        return [offer]

    @hookimpl
    def on_reaction(self, event: Any) -> None:
        self.reactions.append(event.emoji)


async def test_reaction_on_a_degraded_button_runs_its_command(make_bot: Any) -> None:
    offers = Offers()
    tb = await make_bot(plugins={"offers": offers, "sample": sample_commands.plugin})
    chat = tb.chat
    await chat.say("alice", "!offer")
    msg = chat.last()
    assert msg.buttons == ()  # the local room has no buttons…
    assert msg.reactions == ["👍", "🔗"]  # …so they became reactions
    assert await chat.react("bob", msg.number, "👍") == "supported by you"
    assert offers.reactions == []  # a click, not an ordinary reaction
    assert await chat.react("bob", msg.number, "🔗") == ""  # not a command button
    assert await chat.react("bob", msg.number, "🎉") == ""
    assert offers.reactions == ["🔗", "🎉"]
    assert await chat.unreact("bob", msg.number, "👍") == ""
    first_run_id = chat.adapter.ref_id(msg.number)  # as a platform's message id, it outlives us
    tb = await tb.restart()  # the mapping is stored, not only cached
    await tb.chat.say("alice", "hello")
    event = ReactionEvent(message=MessageRef("console", "console", first_run_id),
                          user=tb.chat.adapter.user("bob"), room=tb.chat.adapter.room(),
                          emoji="👍")
    assert await tb.bot.button_reactions.command_for(event) == "echo supported by you"
