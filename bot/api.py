"""The public plugin API: everything a plugin imports from the core, in one module.

Plugins (built-in and third-party) write ``from bot.api import …`` and nothing else from `bot`;
`tests/core/test_boundaries.py` holds the built-in plugins and the sample plugin to that. Every
name here is a re-export: it is defined, documented and tested in the module named next to it,
and stays there. The names in `__all__` are the stable surface (docs/plugins.md, "The plugin
API"); the rest of `bot` may change between minor versions.
"""

from __future__ import annotations

from bot import Maybe, hookimpl, hookspec
from bot.announcement import Announcement
from bot.app import Bot
from bot.commands import (
    Amount,
    AnyMember,
    BadArgument,
    CheckFailure,
    Choice,
    Command,
    CommandError,
    Context,
    Converter,
    Duration,
    Group,
    Integer,
    MemberConverter,
    MissingArgument,
    MissingPermission,
    OnCooldown,
    Positive,
    PositiveInt,
    Rest,
    RestOfLine,
    TooManyArguments,
    UnknownCommand,
    UserError,
    Word,
    command,
    cooldown,
    group,
    requires,
)
from bot.commands.builtin import describe
from bot.config import Secret
from bot.config.limits import limited, operator_only
from bot.durations import format_duration, parse_duration
from bot.errors import DuplicateEvent, StartupError
from bot.hooks import HookCallStyleError
from bot.i18n import Text, plural_translatable, translatable
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
from bot.permissions import Permission
from bot.plugin import Plugin
from bot.scheduler import Job
from bot.storage import (
    Database,
    DatabaseUnavailable,
    IntegrityError,
    Migrations,
    Row,
    StorageError,
    Tx,
    serial_pk,
)
from bot.storage.db import unavailable_cause
from bot.text import Currency, clean_text, one_line, visible
from bot.timestamps import iso_columns, iso_utc

__all__ = [
    "Amount",
    "Announcement",
    "AnyMember",
    "BadArgument",
    "Bot",
    "Button",
    "CheckFailure",
    "Choice",
    "Command",
    "CommandError",
    "Community",
    "Context",
    "Converter",
    "Currency",
    "Database",
    "DatabaseUnavailable",
    "DuplicateEvent",
    "Duration",
    "Group",
    "HookCallStyleError",
    "IncomingMessage",
    "Integer",
    "IntegrityError",
    "Job",
    "Maybe",
    "Member",
    "MemberConverter",
    "MemberJoin",
    "MemberLeave",
    "MessageDeleted",
    "MessageRef",
    "Migrations",
    "MissingArgument",
    "MissingPermission",
    "OnCooldown",
    "OutgoingMessage",
    "Permission",
    "Plugin",
    "Positive",
    "PositiveInt",
    "ReactionEvent",
    "Rest",
    "RestOfLine",
    "Role",
    "RoomRef",
    "Row",
    "Secret",
    "StartupError",
    "StorageError",
    "Text",
    "TooManyArguments",
    "Tx",
    "UnknownCommand",
    "UserError",
    "UserRef",
    "Word",
    "clean_text",
    "command",
    "cooldown",
    "describe",
    "format_duration",
    "group",
    "hookimpl",
    "hookspec",
    "iso_columns",
    "iso_utc",
    "limited",
    "one_line",
    "operator_only",
    "parse_duration",
    "plural_translatable",
    "requires",
    "serial_pk",
    "translatable",
    "unavailable_cause",
    "visible",
]
