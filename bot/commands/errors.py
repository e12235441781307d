"""Typed command errors, answered in one place in the member's language."""

from __future__ import annotations

from bot.i18n import Text, translatable
from bot.text import visible

_ = translatable("core")


class CommandError(Exception):
    """A failure the member should read about; `message` is translated at send time."""

    show_usage = False

    def __init__(self, message: Text | str) -> None:
        super().__init__(str(message))
        self.message = message


class UserError(CommandError):
    """A domain rule refused the action (not enough tokens, idea closed, …); nothing changed."""


class BadArgument(CommandError):
    """An argument could not be converted; the usage line follows the message."""

    show_usage = True


class MissingArgument(BadArgument):
    """A required argument is absent."""

    def __init__(self, name: str) -> None:
        super().__init__(_("Missing argument: {name}.", name=name))
        self.name = name


class TooManyArguments(BadArgument):
    """More arguments than the command takes."""

    def __init__(self, extra: str) -> None:
        super().__init__(_("Unexpected argument: {extra}.", extra=extra))


class UnknownCommand(CommandError):
    """No command by that name; carries a suggestion when one is close."""

    def __init__(self, name: str, suggestion: str | None, prefix: str) -> None:
        name = visible(name, 60)  # never echo control characters back
        if suggestion:
            msg = _(
                "Unknown command: {name}. Did you mean {prefix}{suggestion}? "
                "Type {prefix}help for the list.",
                name=name, suggestion=suggestion, prefix=prefix,
            )
        else:
            msg = _("Unknown command: {name}. Type {prefix}help for the list.",
                    name=name, prefix=prefix)
        super().__init__(msg)
        self.name = name
        self.suggestion = suggestion


class CheckFailure(CommandError):
    """A check (`command_check` hook, custom check) refused the command."""


class MissingPermission(CheckFailure):
    """The member's role does not allow this command."""

    def __init__(self, permission: str) -> None:
        super().__init__(_("You are not allowed to do that ({permission}).",
                           permission=permission))
        self.permission = permission


class OnCooldown(CheckFailure):
    """The member used the command too recently."""

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, round(retry_after))
        super().__init__(_("Slow down: try again in {seconds} s.", seconds=seconds))
        self.retry_after = retry_after
