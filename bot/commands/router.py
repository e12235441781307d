"""Finding the command for a message, checking it, running it, answering errors once."""

from __future__ import annotations

import difflib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from bot.commands.context import Context
from bot.commands.errors import (
    CheckFailure,
    CommandError,
    MissingPermission,
    OnCooldown,
    UnknownCommand,
)
from bot.commands.model import Command, Group
from bot.commands.names import command_keys, fold, local_path, local_usage
from bot.commands.parser import tokenize
from bot.i18n import Text, translatable
from bot.storage.db import DatabaseUnavailable, DuplicateEvent, unavailable_cause

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("core")
log = logging.getLogger("ruche.commands")


def unavailable_text(exc: DatabaseUnavailable) -> Text:
    """What a member is told when the database is unreachable: not a bug, and what happened."""
    if exc.outcome_unknown:
        return _("The connection to the database was lost while saving: your change may or "
                 "may not have been recorded. Check before trying again.")
    return _("The database is unreachable: nothing was changed. Try again in a moment.")


def _chain(cmd: Command) -> list[Command]:
    """A subcommand and the groups above it, the outermost first (whose permissions apply)."""
    chain: list[Command] = []
    node: Command | None = cmd
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()
    return chain


class CommandRouter:
    """Holds the command tree and runs one command per message through a single error path."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._commands: dict[str, Command] = {}
        self._owners: dict[int, object] = {}
        self._cooldowns: dict[tuple[str, str], deque[float]] = {}

    def add(self, command: Command, owner: object = None) -> None:
        """Add a top-level command; `owner` is the plugin instance commands see as `ctx.plugin`."""
        keys = command_keys(command)  # name, aliases and other languages' names, folded
        for name in keys:
            if name in self._commands:
                raise ValueError(f"command {name!r} is defined twice")
        for name in keys:
            self._commands[name] = command
        self._owners[id(command)] = owner

    def owner_of(self, command: Command) -> Any:
        """The plugin instance that registered a command (or its group), else None."""
        while command.parent is not None:
            command = command.parent
        return self._owners.get(id(command))

    def get(self, path: str) -> Command | None:
        """Look a command up by its qualified name (`idea support`)."""
        cmd, rest = self.resolve(path)
        return cmd if cmd is not None and not rest.strip() else None

    def commands(self) -> list[Command]:
        """Top-level commands, each once (aliases folded)."""
        seen: dict[int, Command] = {}
        for cmd in self._commands.values():
            seen.setdefault(id(cmd), cmd)
        return sorted(seen.values(), key=lambda c: c.name)

    def walk(self) -> list[Command]:
        """Every command and subcommand, depth first."""
        out: list[Command] = []

        def visit(cmd: Command) -> None:
            out.append(cmd)
            if isinstance(cmd, Group):
                for sub in sorted(cmd.unique_subcommands(), key=lambda c: c.name):
                    visit(sub)

        for cmd in self.commands():
            visit(cmd)
        return out

    def resolve(self, body: str) -> tuple[Command | None, str]:
        """Walk groups as far as the words go; return the command and the argument text."""
        body = body.strip()
        head, _sep, rest = body.partition(" ")
        cmd = self._commands.get(fold(head))
        if cmd is None:
            return None, body
        while isinstance(cmd, Group) and rest.strip():
            word, _sep, after = rest.strip().partition(" ")
            sub = cmd.subcommands.get(fold(word))
            if sub is None:
                break
            cmd, rest = sub, after
        return cmd, rest

    def suggest(self, word: str, names: list[str]) -> str | None:
        match = difflib.get_close_matches(fold(word), names, n=1, cutoff=0.6)
        return match[0] if match else None

    async def dispatch(self, ctx: Context, body: str) -> None:
        """Run the command in `body` (prefix already stripped); answer any error in chat."""
        cmd: Command | None = None
        try:
            cmd, args = self.resolve(body)
            switches = self.bot.switches
            if cmd is not None and not switches.command_enabled(cmd, ctx.community.id):
                cmd = None  # its plugin is switched off in this community: no such command
            if cmd is None:
                word = body.split(maxsplit=1)[0] if body.split() else ""
                names = [n for n, c in self._commands.items()
                         if switches.command_enabled(c, ctx.community.id)]
                raise UnknownCommand(word[:40], self.suggest(word, names), ctx.prefix)
            if isinstance(cmd, Group) and args.strip():
                word = tokenize(args)[0].value if tokenize(args) else args.split()[0]
                names = list(cmd.subcommands)
                guess = self.suggest(word, names)
                raise UnknownCommand(
                    f"{local_path(cmd, ctx.locale)} {word[:40]}",
                    f"{local_path(cmd, ctx.locale)} {guess}" if guess else None,
                    ctx.prefix,
                )
            ctx.command = cmd
            ctx.invoked_with = cmd.qualified_name
            await self.check(ctx, cmd)
            await cmd.invoke(ctx, args)
        except CommandError as exc:
            await self._answer_error(ctx, cmd, exc)
            await self.bot.hooks.notify("on_command_error", ctx=ctx, command=cmd, error=exc,
                                        _skip=self.bot.switches.disabled(ctx.community.id))
            return
        except DuplicateEvent:
            raise  # another delivery of this event already ran it: the dispatcher drops it
        except Exception as exc:
            plugin = cmd.domain if cmd else "core"
            name = cmd.qualified_name if cmd else body[:40]
            unavailable = unavailable_cause(exc)
            if unavailable is not None:  # an outage, not a bug: say so, log one line
                log.warning("command %s in plugin %s: database unreachable", name, plugin,
                            exc_info=unavailable,
                            extra={"plugin": plugin, "community": ctx.community.id})
                await ctx.reply(unavailable_text(unavailable))
            else:
                log.exception("command %s failed in plugin %s", name, plugin,
                              extra={"plugin": plugin, "community": ctx.community.id})
                await ctx.reply(_("Sorry, something went wrong in {plugin}. Nothing was "
                                  "changed; the operators can find the details in the logs.",
                                  plugin=plugin))
            await self.bot.hooks.notify("on_command_error", ctx=ctx, command=cmd, error=exc,
                                        _skip=self.bot.switches.disabled(ctx.community.id))
            return
        await self.bot.hooks.notify("on_command_completed", ctx=ctx, command=cmd,
                                    _skip=self.bot.switches.disabled(ctx.community.id))

    async def check(self, ctx: Context, cmd: Command) -> None:
        """Permission, custom checks, `command_check` hook, cooldown — in that order."""
        permissions = self.bot.permissions
        chain = (cmd,) if cmd.parent is None else _chain(cmd)
        for node in chain:  # the outermost group first
            if node.permission and not await permissions.allowed(
                ctx.member, node.permission, ctx.community
            ):
                raise MissingPermission(node.permission)
        for check in cmd.checks:
            if not await check(ctx):
                raise CheckFailure(_("You cannot use this command here."))
        for verdict in await self.bot.hooks.verdicts(
                "command_check", ctx=ctx, command=cmd,
                _skip=self.bot.switches.disabled(ctx.community.id)):
            if verdict is False:
                raise CheckFailure(_("This command is not available to you right now."))
        if cmd.cooldown is not None:
            self._take_cooldown(ctx, cmd)

    def _take_cooldown(self, ctx: Context, cmd: Command) -> None:
        cd = cmd.cooldown
        assert cd is not None
        key = {
            "member": str(ctx.member.id),
            "room": ctx.message.room.id,
            "community": ctx.community.id,
        }[cd.bucket]
        bucket = self._cooldowns.setdefault((cmd.qualified_name, key), deque())
        now = time.monotonic()
        while bucket and now - bucket[0] >= cd.per:
            bucket.popleft()
        if len(bucket) >= cd.rate:
            raise OnCooldown(cd.per - (now - bucket[0]))
        bucket.append(now)
        if len(self._cooldowns) > 10_000:
            self._cooldowns = {k: v for k, v in self._cooldowns.items() if v}

    async def _answer_error(self, ctx: Context, cmd: Command | None, exc: CommandError) -> None:
        text = ctx.t(exc.message)
        if exc.show_usage and cmd is not None:
            text += "\n" + ctx.t(_("Usage: {usage}", usage=local_usage(ctx, cmd)))
        await ctx.reply(text)
