"""Answering one interaction: respond, or defer before Discord's 3 s limit and follow up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.adapters.discord.render import renderable, send_kwargs, with_hints
from bot.adapters.discord.translate import PLATFORM, split_text
from bot.model import MessageRef, OutgoingMessage

log = logging.getLogger("ruche.discord")

DONE = "✓"  # what a member sees when a command answered nothing (no text to translate)


class PendingInteraction:
    """The replies of one command run through its interaction, in order, under one lock.

    Slash commands answer publicly unless a reply is ephemeral; clicks answer ephemerally
    (the channel already shows the message that was clicked).
    """

    def __init__(self, interaction: discord.Interaction, channel_id: str, *,
                 component: bool) -> None:
        self.interaction = interaction
        self.channel_id = channel_id
        self.component = component
        self.lock = asyncio.Lock()
        self.answered = False
        self.deferred = False
        self.closed = False
        self.messages: dict[str, bool] = {}  # message id → is the original response
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def defer_after(self, seconds: float) -> None:
        """Acknowledge in time if the command is still running after `seconds`."""
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(seconds, self._spawn_defer)

    def _spawn_defer(self) -> None:
        task = asyncio.create_task(self.defer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def defer(self) -> None:
        """Thinking state for slash commands; a silent acknowledgement for clicks."""
        async with self.lock:
            if self.closed or self.interaction.response.is_done():
                return
            try:
                if self.component:
                    await self.interaction.response.defer()
                else:
                    await self.interaction.response.defer(thinking=True)
                self.deferred = True
            except discord.HTTPException as exc:
                log.warning("discord: could not defer interaction %s: %s",
                            self.interaction.id, exc)

    async def answer(self, message: OutgoingMessage) -> MessageRef:
        """Send a reply of the command through the interaction (long texts in several parts)."""
        ephemeral = message.ephemeral or self.component
        shown, dropped = renderable(message.buttons)
        text = with_hints(message.text, dropped)
        chunks = split_text(text)
        async with self.lock:
            message_id = ""
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                message_id = await self._one(send_kwargs(chunk, shown if last else []),
                                             ephemeral)
            return MessageRef(PLATFORM, self.channel_id, message_id)

    async def _one(self, kwargs: dict[str, Any], ephemeral: bool) -> str:
        response = self.interaction.response
        if not response.is_done():
            callback = await response.send_message(ephemeral=ephemeral, **kwargs)
            self.answered = True
            message_id = str(callback.message_id or "")
            self.messages[message_id] = True
            return message_id
        if self.deferred and not self.answered and not self.component:
            self.answered = True
            if not ephemeral:
                original = await self.interaction.edit_original_response(**kwargs)
                self.messages[str(original.id)] = True
                return str(original.id)
            # The thinking message is public: replace it by a message only the member sees.
            await self.interaction.delete_original_response()
        self.answered = True
        sent = await self.interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        self.messages[str(sent.id)] = False
        return str(sent.id)

    async def edit(self, message_id: str, message: OutgoingMessage) -> None:
        """Edit a message sent through this interaction (ephemeral ones can only be edited so)."""
        shown, _dropped = renderable(message.buttons)
        kwargs: dict[str, Any] = {"content": split_text(message.text)[0] or "\u200b"}
        if shown:
            kwargs["view"] = send_kwargs("", shown)["view"]
        async with self.lock:
            if self.messages.get(message_id):
                await self.interaction.edit_original_response(**kwargs)
            else:
                await self.interaction.followup.edit_message(int(message_id), **kwargs)

    async def finish(self) -> None:
        """The command is over: make sure Discord saw an answer, without adding noise."""
        if self._timer is not None:
            self._timer.cancel()
        async with self.lock:
            self.closed = True
            response = self.interaction.response
            try:
                if not response.is_done():
                    if self.component:
                        await response.defer()
                    else:
                        await response.send_message(DONE, ephemeral=True)
                elif self.deferred and not self.answered and not self.component:
                    await self.interaction.edit_original_response(content=DONE)
            except discord.HTTPException as exc:
                log.debug("discord: closing interaction %s: %s", self.interaction.id, exc)
