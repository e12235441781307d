"""Commands and groups: a command's signature is its parser, its docstring its help."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.commands.converters import Converter, RestOfLine, Word, converter_for
from bot.commands.errors import BadArgument, MissingArgument, TooManyArguments
from bot.commands.names import (
    checked_names,
    command_keys,
    fold,
    local_option,
    option_keys,
    placeholder,
)
from bot.commands.parser import Token, is_option, rest_of, tokenize
from bot.i18n import translatable
from bot.valuetypes import optional_member

if TYPE_CHECKING:
    from bot.commands.context import Context

_ = translatable("core")

Callback = Callable[..., Awaitable[Any]]
ParamKind = Literal["positional", "rest", "varargs", "option", "flag"]


@dataclass(frozen=True, slots=True)
class Param:
    """One parsed parameter of a command."""

    name: str
    kind: ParamKind
    converter: Converter
    default: Any = inspect.Parameter.empty
    #: The option's name in other languages (`{"fr": "jusqua"}`), set by the decorators.
    names: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty and self.kind not in ("varargs", "flag")

    @property
    def option_name(self) -> str:
        return "--" + self.name.replace("_", "-")

    def usage(self) -> str:
        if self.kind == "flag":
            return f"[{self.option_name}]"
        if self.kind == "option":
            return f"[{self.option_name} {self.converter.name}]"
        label = self.name.replace("_", "-")
        if self.kind == "varargs":
            return f"<{label}…>"
        if self.kind == "rest":
            return f"<{label}…>" if self.required else f"[{label}…]"
        return f"<{label}>" if self.required else f"[{label}]"


@dataclass(frozen=True, slots=True)
class Cooldown:
    """`rate` uses per `per` seconds, per member (bucket) — a spam brake, not a rule."""

    rate: int
    per: float
    bucket: Literal["member", "room", "community"] = "member"


def params_of(callback: Callback) -> list[Param]:
    """Read a callback's signature (after `ctx`) into parameters."""
    module = sys.modules.get(callback.__module__)
    hints = typing.get_type_hints(callback, globalns=vars(module) if module else None,
                                  include_extras=True)
    sig = inspect.signature(callback)
    params: list[Param] = []
    for i, (name, p) in enumerate(sig.parameters.items()):
        if i == 0:
            continue  # ctx
        ann = hints.get(name, str)
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            params.append(Param(name, "varargs", converter_for(ann)))
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            if optional_member(ann) is bool:
                params.append(Param(name, "flag", Word(), False if p.default is p.empty
                                    else p.default))
            else:
                params.append(Param(name, "option", converter_for(ann), p.default))
        else:
            conv = converter_for(ann)
            kind: ParamKind = "rest" if isinstance(conv, RestOfLine) else "positional"
            params.append(Param(name, kind, conv, p.default))
    return params


def module_domain(module_name: str) -> str:
    """Translation domain of a command: `plugins.tips.commands` → tips, `bot.*` → core."""
    parts = module_name.split(".")
    if parts[0] == "bot":
        return "core"
    if parts[0] == "plugins" and len(parts) > 1:
        return parts[1]
    return parts[0]


class _Signature:
    """A command's parameters sorted for parsing: the same for every call, so built once."""

    __slots__ = ("bound", "by_option", "has_rest", "options", "params")

    def __init__(self, params: list[Param]) -> None:
        self.params = params
        self.has_rest = any(p.kind == "rest" for p in params)
        self.options = tuple(p for p in params if p.kind in ("option", "flag"))
        self.by_option = {key: p for p in self.options for key in option_keys(p)}
        self.bound = tuple(p for p in params if p.kind not in ("option", "flag"))


@dataclass(eq=False)
class Command:
    """A chat command; Discord turns the same object into a slash command."""

    name: str
    callback: Callback
    params: list[Param]
    aliases: tuple[str, ...] = ()
    #: The command's word in other languages (`{"fr": "pourboire"}`), accepted everywhere.
    names: dict[str, str] = field(default_factory=dict)
    permission: str | None = None
    cooldown: Cooldown | None = None
    hidden: bool = False
    domain: str = "core"
    parent: Group | None = None
    checks: list[Callable[[Context], Awaitable[bool]]] = field(default_factory=list)
    _parsed: _Signature | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.parent.qualified_name} {self.name}" if self.parent else self.name

    @property
    def help(self) -> str:
        """First docstring line: the msgid of the command's help text."""
        doc = inspect.getdoc(self.callback) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @property
    def description(self) -> str:
        """Docstring after the first line (longer help, English only)."""
        doc = inspect.getdoc(self.callback) or ""
        lines = doc.strip().splitlines()
        return "\n".join(lines[1:]).strip()

    def usage(self, prefix: str) -> str:
        parts = [f"{prefix}{self.qualified_name}"] + [p.usage() for p in self.params]
        return " ".join(parts)

    def _signature(self) -> _Signature:
        """What `parse` needs of `params`, worked out once per list of parameters."""
        sig = self._parsed
        if sig is None or sig.params is not self.params:
            sig = self._parsed = _Signature(self.params)
        return sig

    async def parse(self, ctx: Context, text: str) -> tuple[list[Any], dict[str, Any]]:
        """Bind the raw argument text to the signature, converting each argument."""
        sig = self._signature()
        has_rest = sig.has_rest
        # Free text keeps its quotes as typed (`thanks for the "demo"!`): only commands
        # without one read every quote as the bounds of an argument.
        tokens = tokenize(text, strict=not has_rest)
        kwargs: dict[str, Any] = {}
        remaining: list[Token]
        if "--" not in text:
            remaining = tokens  # no token can be an option: nothing to sort out
        else:
            remaining = await self._options(ctx, sig, tokens, kwargs)
        for p in sig.options:
            if p.name not in kwargs:
                if p.default is inspect.Parameter.empty:
                    raise MissingArgument(local_option(p, ctx.locale))
                kwargs[p.name] = p.default
        args: list[Any] = []
        pos = 0
        for p in sig.bound:
            if p.kind == "positional":
                if pos < len(remaining):
                    args.append(await p.converter.convert(ctx, remaining[pos].value))
                    pos += 1
                elif p.required:
                    raise MissingArgument(self._label(ctx, p))
                else:
                    args.append(p.default)
            elif p.kind == "rest":
                rest_tokens = remaining[pos:]
                pos = len(remaining)
                if len(rest_tokens) == 1 and rest_tokens[0].quoted:
                    raw = rest_tokens[0].value
                else:
                    raw = rest_of(text, rest_tokens)
                if not raw.strip():
                    if p.required:
                        raise MissingArgument(self._label(ctx, p))
                    args.append(p.default)
                else:
                    args.append(await p.converter.convert(ctx, raw))
            else:  # varargs
                for tok in remaining[pos:]:
                    args.append(await p.converter.convert(ctx, tok.value))
                pos = len(remaining)
        if pos < len(remaining):
            raise TooManyArguments(remaining[pos].value[:40])
        return args, kwargs

    def _label(self, ctx: Context, param: Param) -> str:
        """A parameter's name as the usage line shows it, in the community's language."""
        return placeholder(ctx, self.domain, param.name.replace("_", "-"))

    async def _options(self, ctx: Context, sig: _Signature, tokens: list[Token],
                       kwargs: dict[str, Any]) -> list[Token]:
        """Take `--options` out of the tokens into `kwargs`; the other tokens, in order."""
        options = sig.by_option
        remaining: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            opt_name = fold(tok.value.split("=", 1)[0]) if is_option(tok) else None
            if opt_name is not None and opt_name in options:
                p = options[opt_name]
                if p.name in kwargs:
                    raise BadArgument(_("Option {option} given twice.",
                                        option=local_option(p, ctx.locale)))
                if p.kind == "flag":
                    if "=" in tok.value:
                        raise BadArgument(_("Option {option} takes no value.",
                                            option=local_option(p, ctx.locale)))
                    kwargs[p.name] = True
                else:
                    if "=" in tok.value:
                        raw = tok.value.split("=", 1)[1]
                    elif i + 1 < len(tokens):
                        i += 1
                        raw = tokens[i].value
                    else:
                        raise BadArgument(_("Option {option} needs a value.",
                                            option=local_option(p, ctx.locale)))
                    kwargs[p.name] = await p.converter.convert(ctx, raw)
            elif opt_name is not None and not sig.has_rest:
                known = ", ".join(local_option(p, ctx.locale) for p in sig.options) or "-"
                raise BadArgument(_("Unknown option {option} (known: {known}).",
                                    option=opt_name, known=known))
            else:
                remaining.append(tok)
            i += 1
        return remaining

    async def invoke(self, ctx: Context, text: str) -> Any:
        args, kwargs = await self.parse(ctx, text)
        return await self.callback(ctx, *args, **kwargs)


@dataclass(eq=False)
class Group(Command):
    """A command with subcommands (`!idea submit …`); alone it shows its own help."""

    subcommands: dict[str, Command] = field(default_factory=dict)

    def add(self, command: Command) -> Command:
        command.parent = self
        if command.domain == "core":
            command.domain = self.domain
        keys = command_keys(command)
        for key in keys:  # every language's name is checked before any is taken
            if key in self.subcommands:
                raise ValueError(f"subcommand {self.qualified_name} {key} defined twice")
        for key in keys:
            self.subcommands[key] = command
        return command

    def subcommand(
        self, name: str | None = None, *, aliases: tuple[str, ...] = (), hidden: bool = False,
        names: Mapping[str, str] | None = None,
        options: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Callable[[Callback | Command], Command]:
        """Decorator registering a coroutine as a subcommand of this group."""
        from bot.commands.decorators import command as make_command

        def decorate(func: Callback | Command) -> Command:
            cmd = make_command(name, aliases=aliases, hidden=hidden, names=names,
                               options=options)(func)
            return self.add(cmd)

        return decorate

    def group(self, name: str, *, aliases: tuple[str, ...] = (),
              names: Mapping[str, str] | None = None) -> Callable[[Callback], Group]:
        """Decorator registering a nested group."""
        from bot.commands.decorators import group as make_group

        def decorate(func: Callback) -> Group:
            grp = make_group(name, aliases=aliases, names=names)(func)
            self.add(grp)
            return grp

        return decorate

    def unique_subcommands(self) -> list[Command]:
        seen: dict[int, Command] = {}
        for cmd in self.subcommands.values():
            seen.setdefault(id(cmd), cmd)
        return list(seen.values())


def with_option_names(cmd: Command, options: Mapping[str, Mapping[str, str]] | None) -> Command:
    """Attach the options' names in other languages; an unknown or clashing one fails loudly."""
    if not options:
        return cmd
    by_name = {p.name: p for p in cmd.params if p.kind in ("option", "flag")}
    for pname in options:
        if pname not in by_name:
            raise ValueError(f"command {cmd.name!r}: {pname!r} is not one of its options "
                             f"({', '.join(by_name) or 'none'})")
    params = [dataclasses.replace(p, names=checked_names(options[p.name],
                                                         f"option {cmd.name} --{p.name}"))
              if p.name in options else p for p in cmd.params]
    taken: dict[str, str] = {}
    for p in params:
        for key in option_keys(p):
            if taken.setdefault(key, p.name) != p.name:
                raise ValueError(f"command {cmd.name!r}: option {key} names both "
                                 f"--{taken[key]} and --{p.name}")
    cmd.params = params
    return cmd
