"""The Adapter protocol and a base class whose defaults degrade missing capabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.model import MessageRef, OutgoingMessage, Role, RoomRef, UserRef

if TYPE_CHECKING:
    from bot.app import Bot


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can do; the core degrades (buttons → reactions → text) on False."""

    reactions: bool = False
    edits: bool = False
    threads: bool = False
    buttons: bool = False
    slash_commands: bool = False
    polls: bool = False
    files: bool = False
    direct_messages: bool = False
    # can say who reacted with what: the adapter then has `async list_reactions(ref)`
    list_reactions: bool = False
    ephemeral: bool = False  # can answer privately in place messages marked `private_reply`


@runtime_checkable
class Adapter(Protocol):
    """What the core needs from a platform; implemented by console, Discord and Matrix."""

    platform: str
    capabilities: Capabilities

    async def start(self, bot: Bot) -> None: ...
    async def stop(self) -> None: ...
    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef: ...
    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef: ...
    async def react(self, ref: MessageRef, emoji: str) -> None: ...
    async def send_file(
        self, room: RoomRef, filename: str, data: bytes, caption: str = ""
    ) -> MessageRef: ...
    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None: ...
    def parse_mention(self, token: str) -> UserRef | None: ...
    async def resolve_role(self, user: UserRef, room: RoomRef) -> Role: ...


class BaseAdapter:
    """Defaults for optional capabilities so a new adapter only writes what it has."""

    platform = "base"
    capabilities = Capabilities()

    async def start(self, bot: Bot) -> None:
        self.bot = bot

    async def stop(self) -> None:
        return None

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        raise NotImplementedError

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        """No edits: post the new version as a fresh message in the same room."""
        return await self.send(RoomRef(self.platform, ref.room_id), message)

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """No reactions: nothing to add; commands stay the way to act."""
        return None

    async def send_file(
        self, room: RoomRef, filename: str, data: bytes, caption: str = ""
    ) -> MessageRef:
        """No uploads: say so in text rather than dropping the file silently."""
        size = len(data)
        text = f"{caption}\n[{filename}: {size} bytes, file upload unavailable here]".strip()
        return await self.send(room, OutgoingMessage(text))

    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None:
        """No direct messages: the caller falls back to a mention in a room."""
        return None

    def parse_mention(self, token: str) -> UserRef | None:
        return None

    async def resolve_role(self, user: UserRef, room: RoomRef) -> Role:
        return Role.MEMBER

    def parse_room(self, token: str, here: RoomRef) -> RoomRef | None:
        """A room named in `!perm … #room` (`#name`), else None; `here` lends its guild."""
        name = token.strip()
        if name.startswith("#") and len(name) > 1 and not any(c.isspace() for c in name):
            return RoomRef(self.platform, name[1:], name[1:], here.guild)
        return None

    def parse_platform_role(self, token: str, here: bool) -> str | None:
        """A platform role for `!role map`, as `platform_roles` holds it; None if not ours."""
        return None


def degrade(message: OutgoingMessage, caps: Capabilities) -> OutgoingMessage:
    """Turn buttons into reactions or text hints when the platform lacks them."""
    if message.buttons and not caps.buttons:
        hints = "  ".join(f"{b.emoji or ''} {b.label}".strip() for b in message.buttons)
        reactions = message.reactions
        if caps.reactions:
            reactions = reactions + tuple(b.emoji for b in message.buttons if b.emoji)
        text = f"{message.text}\n{hints}" if not caps.reactions else message.text
        return OutgoingMessage(
            text, message.reply_to, (), reactions, message.thread_of, message.ephemeral
        )
    if message.reactions and not caps.reactions:
        return OutgoingMessage(
            message.text, message.reply_to, message.buttons, (), message.thread_of,
            message.ephemeral,
        )
    return message
