"""Platform-neutral chat model: what adapters translate platform payloads into."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Role(enum.IntEnum):
    """Ordered roles so that `role >= Role.MODERATOR` reads as a permission check."""

    MEMBER = 0
    MODERATOR = 1
    ADMIN = 2


@dataclass(frozen=True, slots=True)
class UserRef:
    """A platform account, as the adapter sees it; `name=""` means "keep the stored name"."""

    platform: str
    id: str
    name: str
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class RoomRef:
    """A room/channel on a platform; `community` is filled in by the core's room map."""

    platform: str
    id: str
    name: str = ""
    guild: str = ""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Enough to edit, react to or reply to a message later."""

    platform: str
    room_id: str
    id: str


@dataclass(frozen=True, slots=True)
class Button:
    """A button for platforms that have them; degrades to text/reactions elsewhere."""

    label: str
    custom_id: str
    emoji: str = ""
    style: str = "secondary"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message received from any platform."""

    ref: MessageRef
    author: UserRef
    room: RoomRef
    text: str
    reply_to: MessageRef | None = None
    mentions: tuple[UserRef, ...] = ()
    is_direct: bool = False
    role: Role = Role.MEMBER
    private_reply: bool = False  # a slash command or click: answerable privately in place
    #: The author's platform roles, normalized by the adapter (`discord:<role id>`,
    #: `discord-name:<name>`, `matrix-power:<level>`), for roles mapped with `!role map`.
    platform_roles: tuple[str, ...] = ()
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What the core asks an adapter to send; optional parts degrade per capability."""

    text: str
    reply_to: MessageRef | None = None
    buttons: tuple[Button, ...] = ()
    reactions: tuple[str, ...] = ()
    thread_of: MessageRef | None = None
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class ReactionEvent:
    """A reaction added (or removed) by a user on a message."""

    message: MessageRef
    user: UserRef
    room: RoomRef
    emoji: str
    added: bool = True
    event_id: str = ""
    message_author: UserRef | None = None
    role: Role = Role.MEMBER
    platform_roles: tuple[str, ...] = ()  # as on IncomingMessage


@dataclass(frozen=True, slots=True)
class MemberJoin:
    """A user joined a room the bot is in."""

    user: UserRef
    room: RoomRef


@dataclass(frozen=True, slots=True)
class MemberLeave:
    """A user left a room the bot is in, or was kicked or banned from it."""

    user: UserRef
    room: RoomRef
    reason: str = "left"  # "left" | "kicked" | "banned"


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A message was deleted (Discord) or redacted (Matrix); `by` is who did it, if known."""

    message: MessageRef
    room: RoomRef
    by: UserRef | None = None


@dataclass(frozen=True, slots=True)
class RoomMoved:
    """A room was replaced by a successor (Matrix room upgrade): same community, new room."""

    old: RoomRef
    new: RoomRef


@dataclass(frozen=True, slots=True)
class Community:
    """A group of rooms across platforms sharing one ledger, idea list and polls."""

    id: str
    name: str
    locale: str = "en"
    prefix: str = "!"


@dataclass(frozen=True, slots=True)
class Member:
    """One internal person per community; several platform accounts may link to it."""

    id: int
    community: str
    display_name: str
    role: Role = Role.MEMBER
    is_bot: bool = False
    #: Where and as whom this member acts now (room `platform:id`, normalized platform roles):
    #: what room rules and mapped platform roles of `!perm`/`!role map` are checked against.
    platform_roles: tuple[str, ...] = field(default=(), compare=False)
    room: str = field(default="", compare=False)
