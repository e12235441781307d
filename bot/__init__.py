"""Ruche core: the plugin host. Plugins import `hookimpl` and the model types from here."""

from __future__ import annotations

import pluggy

from bot.hooks import HookspecMarker, Maybe
from bot.model import (
    Button,
    Community,
    IncomingMessage,
    Member,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    OutgoingMessage,
    ReactionEvent,
    Role,
    RoomRef,
    UserRef,
)

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("ruche")
#: `@hookspec(call="notify" | "collect" | "verdicts")` or `@hookspec(firstresult=True)`.
hookspec = HookspecMarker("ruche")

__all__ = [
    "Button",
    "Community",
    "IncomingMessage",
    "Maybe",
    "Member",
    "MemberJoin",
    "MemberLeave",
    "MessageDeleted",
    "MessageRef",
    "OutgoingMessage",
    "ReactionEvent",
    "Role",
    "RoomRef",
    "UserRef",
    "__version__",
    "hookimpl",
    "hookspec",
]
