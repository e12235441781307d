"""The context a command runs in: who asked, where, in which language, and how to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.i18n import Text
from bot.model import Community, IncomingMessage, Member, MessageRef, OutgoingMessage

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.app import Bot
    from bot.commands.model import Command


@dataclass(eq=False)
class Context:
    """Everything a command needs; platform objects stay in `message.raw` for adapters."""

    bot: Bot
    message: IncomingMessage
    community: Community
    member: Member
    adapter: Adapter
    command: Command | None = None
    invoked_with: str = ""
    replies: list[MessageRef] = field(default_factory=list)

    @property
    def plugin(self) -> Any:
        """The instance of the plugin whose command runs (as discord.py's `ctx.cog`).

        Annotate it where you use it — `plugin: TipsPlugin = ctx.plugin` — so the type is checked
        without the commands module importing its own plugin class at run time.
        """
        return None if self.command is None else self.bot.router.owner_of(self.command)

    @property
    def locale(self) -> str:
        return self.community.locale

    @property
    def prefix(self) -> str:
        return self.community.prefix

    def t(self, text: Text | str) -> str:
        """Translate into the community's language now (for building longer replies)."""
        return self.bot.i18n.translate(text, self.locale)

    async def reply(self, text: Text | str, *, ephemeral: bool = False, **extra: Any) -> MessageRef:
        """Answer in the room the command came from, translated for the community."""
        message = OutgoingMessage(self.t(text), reply_to=self.message.ref, ephemeral=ephemeral,
                                  **extra)
        return await self.send(message)

    async def whisper(self, text: Text | str) -> MessageRef:
        """Answer only this member: ephemeral where possible, else by direct message, else here."""
        rendered = self.t(text)
        caps = self.adapter.capabilities
        if caps.ephemeral and self.message.private_reply:
            return await self.send(OutgoingMessage(rendered, reply_to=self.message.ref,
                                                   ephemeral=True))
        if caps.direct_messages and not self.message.is_direct:
            ref = await self.adapter.send_direct(self.message.author, OutgoingMessage(rendered))
            if ref is not None:
                self.replies.append(ref)
                return ref
        return await self.send(OutgoingMessage(rendered, reply_to=self.message.ref,
                                               ephemeral=True))

    async def send(self, message: OutgoingMessage) -> MessageRef:
        """Send a prepared message in the command's room (buttons degrade per platform)."""
        ref = await self.bot.send(self.message.room, message)
        self.replies.append(ref)
        return ref

    async def send_file(self, filename: str, data: bytes, caption: Text | str = "") -> MessageRef:
        """Upload a file where the platform allows it, else say why not."""
        return await self.adapter.send_file(self.message.room, filename, data, self.t(caption))

    async def resolve_member(self, raw: str) -> Member | None:
        """A mention (or @name) of someone already known in this community, else None."""
        return await self.bot.identity.resolve_mention(self, raw)
