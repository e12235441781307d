"""An in-process chat room: the console adapter's core and the plugin test kit's chat."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.adapters.base import BaseAdapter, Capabilities
from bot.model import (
    IncomingMessage,
    MessageRef,
    OutgoingMessage,
    ReactionEvent,
    Role,
    RoomRef,
    UserRef,
)

if TYPE_CHECKING:
    from bot.app import Bot

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]+)")
NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass
class SentMessage:
    """A bot message in the local room, numbered like the console shows it (`[#N]`)."""

    number: int
    room: str
    text: str
    to: str | None = None
    edits: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    buttons: tuple[str, ...] = ()

    @property
    def current(self) -> str:
        return self.edits[-1] if self.edits else self.text


class LocalAdapter(BaseAdapter):
    """Users are names; messages are numbered; everything happens in this process, in order."""

    capabilities = Capabilities(reactions=True, edits=True, files=True, direct_messages=True)
    dedupe_events = False  # local ids are never replayed

    def __init__(self, platform: str = "console", room: str = "console",
                 moderators: list[str] | None = None, admins: list[str] | None = None) -> None:
        self.platform = platform
        self.room_id = room
        self.moderators = set(moderators or [])
        self.admins = set(admins or [])
        self.sent: list[SentMessage] = []
        self._by_number: dict[int, SentMessage] = {}
        self._numbers = itertools.count(1)
        self._ids = itertools.count(1)
        self._session = secrets.token_hex(4)
        self.bot_user = UserRef(platform, "ruche", "ruche", is_bot=True)

    async def start(self, bot: Bot) -> None:
        self.bot = bot

    def room(self) -> RoomRef:
        return RoomRef(self.platform, self.room_id, self.room_id)

    def user(self, name: str, *, is_bot: bool = False) -> UserRef:
        return UserRef(self.platform, name, name, is_bot=is_bot)

    def role_of(self, name: str) -> Role:
        if name in self.admins:
            return Role.ADMIN
        if name in self.moderators:
            return Role.MODERATOR
        return Role.MEMBER

    async def resolve_role(self, user: UserRef, room: RoomRef) -> Role:
        return self.role_of(user.id)

    def parse_mention(self, token: str) -> UserRef | None:
        match = re.fullmatch(r"@?([A-Za-z0-9_.\-]{1,64})", token.strip())
        return self.user(match.group(1)) if match else None

    # -- input ----------------------------------------------------------------------------------

    async def say(self, name: str, text: str, *, is_bot: bool = False) -> list[SentMessage]:
        """Deliver one message from `name` and return the bot messages it caused."""
        before = len(self.sent)
        mentions = tuple(self.user(m) for m in MENTION.findall(text))
        msg = IncomingMessage(
            ref=MessageRef(self.platform, self.room_id, f"{self._session}-{next(self._ids)}"),
            author=self.user(name, is_bot=is_bot),
            room=self.room(),
            text=text,
            mentions=mentions,
            role=self.role_of(name),
        )
        await self.bot.dispatch_message(msg)
        return self.sent[before:]

    def ref_id(self, number: int) -> str:
        """The id of message `[#number]` of this run: numbers restart at 1 in every process."""
        return f"{self._session}:{number}"

    def number_of(self, ref: MessageRef) -> int | None:
        """`N` of a message `[#N]` sent by this run; None for another run's (or unknown) id."""
        session, _sep, number = ref.id.rpartition(":")
        if session != self._session or not number.isdigit():
            return None
        return int(number)

    def _sent_for(self, ref: MessageRef) -> SentMessage | None:
        number = self.number_of(ref)
        return None if number is None else self._by_number.get(number)

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """The bot's own reaction on one of its messages."""
        sent = self._sent_for(ref)
        if sent is not None and emoji not in sent.reactions:
            sent.reactions.append(emoji)

    async def user_react(self, name: str, number: int, emoji: str,
                         added: bool = True) -> list[SentMessage]:
        """A user adds or removes a reaction on bot message `[#number]`."""
        before = len(self.sent)
        if number not in self._by_number:
            raise KeyError(number)
        event = ReactionEvent(
            message=MessageRef(self.platform, self.room_id, self.ref_id(number)),
            user=self.user(name),
            room=self.room(),
            emoji=emoji,
            added=added,
            event_id=f"{self._session}-r{next(self._ids)}",
            message_author=self.bot_user,
            role=self.role_of(name),
        )
        await self.bot.dispatch_reaction(event)
        return self.sent[before:]

    # -- output ---------------------------------------------------------------------------------

    def _record(self, text: str, to: str | None = None,
                message: OutgoingMessage | None = None) -> SentMessage:
        number = next(self._numbers)
        sent = SentMessage(number, self.room_id, text, to)
        if message is not None:
            sent.buttons = tuple(b.label for b in message.buttons)
        self.sent.append(sent)
        self._by_number[number] = sent
        self.show(sent)
        return sent

    def show(self, sent: SentMessage, edited: bool = False) -> None:
        """Hook for the console to print; the test chat just keeps the list."""

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        sent = self._record(message.text, message=message)
        for emoji in message.reactions:
            sent.reactions.append(emoji)
        return MessageRef(self.platform, room.id, self.ref_id(sent.number))

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        sent = self._sent_for(ref)
        if sent is None:  # a message of an earlier run: it is gone, show the new text instead
            return await self.send(RoomRef(self.platform, ref.room_id), message)
        sent.edits.append(message.text)
        self.show(sent, edited=True)
        return ref

    async def send_file(self, room: RoomRef, filename: str, data: bytes,
                        caption: str = "") -> MessageRef:
        sent = self._record(f"{caption}\n📎 {filename} ({len(data)} bytes)".strip())
        sent.files.append((filename, data))
        return MessageRef(self.platform, room.id, self.ref_id(sent.number))

    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None:
        sent = self._record(message.text, to=user.id)
        return MessageRef(self.platform, f"dm:{user.id}", self.ref_id(sent.number))

    def message(self, number: int) -> SentMessage:
        return self._by_number[number]

    @staticmethod
    def valid_name(name: str) -> bool:
        return NAME.fullmatch(name) is not None
