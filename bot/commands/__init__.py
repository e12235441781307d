"""Commands: decorated coroutines whose signature is the parser (see docs/plugins.md)."""

from bot.commands.context import Context
from bot.commands.converters import (
    Amount,
    AnyMember,
    Choice,
    Converter,
    Duration,
    Integer,
    MemberConverter,
    Positive,
    PositiveInt,
    Rest,
    RestOfLine,
    Word,
)
from bot.commands.decorators import command, cooldown, group, requires
from bot.commands.errors import (
    BadArgument,
    CheckFailure,
    CommandError,
    MissingArgument,
    MissingPermission,
    OnCooldown,
    TooManyArguments,
    UnknownCommand,
    UserError,
)
from bot.commands.model import Command, Group

__all__ = [
    "Amount",
    "AnyMember",
    "BadArgument",
    "CheckFailure",
    "Choice",
    "Command",
    "CommandError",
    "Context",
    "Converter",
    "Duration",
    "Group",
    "Integer",
    "MemberConverter",
    "MissingArgument",
    "MissingPermission",
    "OnCooldown",
    "Positive",
    "PositiveInt",
    "Rest",
    "RestOfLine",
    "TooManyArguments",
    "UnknownCommand",
    "UserError",
    "Word",
    "command",
    "cooldown",
    "group",
    "requires",
]
