"""Decorators that turn coroutines into commands and attach checks to them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from bot.commands.model import (
    Callback,
    Command,
    Cooldown,
    Group,
    module_domain,
    params_of,
    with_option_names,
)
from bot.commands.names import checked_names

F = TypeVar("F", bound=Callback | Command)


def _meta(func: Any) -> dict[str, Any]:
    meta: dict[str, Any] = getattr(func, "__ruche_command_meta__", None) or {}
    try:
        func.__ruche_command_meta__ = meta
    except AttributeError:
        pass
    return meta


def _apply_meta(cmd: Command, meta: dict[str, Any]) -> Command:
    if "permission" in meta:
        cmd.permission = meta["permission"]
    if "cooldown" in meta:
        cmd.cooldown = meta["cooldown"]
    cmd.checks.extend(meta.get("checks", []))
    return cmd


def command(
    name: str | None = None, *, aliases: tuple[str, ...] = (), hidden: bool = False,
    names: Mapping[str, str] | None = None,
    options: Mapping[str, Mapping[str, str]] | None = None,
) -> Callable[[Callback | Command], Command]:
    """Make a command of an `async def f(ctx, …)`; its signature is the argument parser.

    `names` gives the command's word per locale (`{"fr": "pourboire"}`) and `options` each
    option's (`{"period": {"fr": "periode"}}`): every community accepts them all.
    """

    def decorate(func: Callback | Command) -> Command:
        if isinstance(func, Command):
            return func
        english = name or func.__name__.replace("_", "-")
        cmd = Command(
            name=english,
            callback=func,
            params=params_of(func),
            aliases=aliases,
            names=checked_names(names, f"command {english!r}"),
            hidden=hidden,
            domain=module_domain(func.__module__),
        )
        with_option_names(cmd, options)
        return _apply_meta(cmd, _meta(func))

    return decorate


def group(
    name: str, *, aliases: tuple[str, ...] = (), hidden: bool = False,
    names: Mapping[str, str] | None = None,
) -> Callable[[Callback], Group]:
    """Make a command group; the decorated coroutine runs when no subcommand is given."""

    def decorate(func: Callback) -> Group:
        grp = Group(
            name=name, callback=func, params=[], aliases=aliases, hidden=hidden,
            names=checked_names(names, f"group {name!r}"), domain=module_domain(func.__module__),
        )
        _apply_meta(grp, _meta(func))
        return grp

    return decorate


def requires(permission: str) -> Callable[[F], F]:
    """Refuse the command unless the member holds `permission` (checked server-side)."""

    def decorate(func: F) -> F:
        if isinstance(func, Command):
            func.permission = permission
        else:
            _meta(func)["permission"] = permission
        return func

    return decorate


def cooldown(
    rate: int, per: float, bucket: Literal["member", "room", "community"] = "member"
) -> Callable[[F], F]:
    """Allow `rate` uses per `per` seconds per bucket; more gets a polite 'slow down'."""

    def decorate(func: F) -> F:
        cd = Cooldown(rate, per, bucket)
        if isinstance(func, Command):
            func.cooldown = cd
        else:
            _meta(func)["cooldown"] = cd
        return func

    return decorate
