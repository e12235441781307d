"""Async hook calling: the only place that calls `pm.hook`, so isolation lives in one spot."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from types import CoroutineType
from typing import Any, Literal, TypeAlias, TypeVar, overload

import pluggy

from bot.errors import DuplicateEvent, StartupError

log = logging.getLogger("ruche.hooks")

T = TypeVar("T")
#: What a hook implementation returns: the value itself, or, from an `async def`, an awaitable
#: of it. Every hookspec but `register_hookspecs` (called synchronously by pluggy) returns one.
Maybe: TypeAlias = T | Awaitable[T]

#: How the core calls a hook: `first` is declared with pluggy's `firstresult=True`, the others
#: with `@hookspec(call=...)`.
CallStyle = Literal["collect", "verdicts", "notify", "first"]
CALL_STYLES: tuple[CallStyle, ...] = ("collect", "verdicts", "notify", "first")
#: The attribute `@hookspec(call=...)` sets on the specification function.
CALL_ATTR = "ruche_call"
#: The `Hooks` method that calls each style (`first_safe` calls `first` hooks too).
_STYLE_OF_METHOD: dict[str, CallStyle] = {
    "collect": "collect", "verdicts": "verdicts", "notify": "notify", "first": "first",
    "first_safe": "first",
}

_F = TypeVar("_F", bound=Callable[..., Any])


class HookCallStyleError(TypeError):
    """A hook called with a `Hooks` method other than the one its specification declares."""


class HookspecMarker:
    """pluggy's hookspec marker, plus how the core calls the hook: the one place that says so.

    `@hookspec(call="notify")` (or `"collect"`, `"verdicts"`), or `@hookspec(firstresult=True)`
    for a hook answered by the first non-None result. A bare `@hookspec` is refused.
    """

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name
        self._pluggy = pluggy.HookspecMarker(project_name)

    @overload
    def __call__(self, function: _F) -> _F: ...

    @overload
    def __call__(self, function: None = None, *,
                 call: Literal["collect", "verdicts", "notify"] | None = None,
                 firstresult: bool = False) -> Callable[[_F], _F]: ...

    def __call__(self, function: _F | None = None, *, call: str | None = None,
                 firstresult: bool = False) -> _F | Callable[[_F], _F]:
        if function is not None:
            raise TypeError(
                f"hookspec {function.__name__}: declare how the core calls it, "
                '@hookspec(call="notify" | "collect" | "verdicts") or @hookspec(firstresult=True)'
            )
        if call == "first":
            raise TypeError('a `first` hook is declared with @hookspec(firstresult=True)')
        if call is not None and call not in CALL_STYLES:
            raise TypeError(f"unknown hook call style {call!r}; one of {CALL_STYLES}")
        if (call is None) == (not firstresult):
            raise TypeError("a hookspec has exactly one call style: call=... or firstresult=True")

        def mark(func: _F) -> _F:
            self._pluggy(func, firstresult=firstresult)
            if call is not None:
                setattr(func, CALL_ATTR, call)
            return func

        return mark


def call_style(spec: object) -> CallStyle | None:
    """The one call style a `pluggy.HookSpec` (or a spec function) declares, else None."""
    function = getattr(spec, "function", spec)
    opts = getattr(spec, "opts", None) or getattr(function, "ruche_spec", None) or {}
    styles: list[Any] = ["first"] if opts.get("firstresult") else []
    declared = getattr(function, CALL_ATTR, None)
    if declared is not None:
        styles.append(declared)
    if len(styles) != 1 or styles[0] not in CALL_STYLES:
        return None
    style: CallStyle = styles[0]
    return style


def check_call_style(caller: pluggy.HookCaller, method: str) -> None:
    """Refuse calling a hook with another `Hooks` method than its spec declares."""
    spec = caller.spec
    if spec is None:
        return  # implemented (optionalhook) but its emitter is disabled: nothing to check
    style = call_style(spec)
    if style is None:
        raise HookCallStyleError(
            f"hook {caller.name!r} declares no single call style; declare it with "
            '@hookspec(call="notify" | "collect" | "verdicts") or @hookspec(firstresult=True)'
        )
    if _STYLE_OF_METHOD[method] != style:
        right = "first (or first_safe)" if style == "first" else style
        raise HookCallStyleError(
            f"hook {caller.name!r} is a {style} hook: call it with hooks.{right}, "
            f"not hooks.{method} (see docs/hooks.md)"
        )


def refuse_wrapper(impl: pluggy.HookImpl, hook: str) -> None:
    """Hooks are awaited one implementation at a time, so a pluggy wrapper could never wrap."""
    if impl.wrapper or impl.hookwrapper:
        kind = "wrapper=True" if impl.wrapper else "hookwrapper=True"
        raise StartupError(
            f"plugin {impl.plugin_name!r}: hook {hook!r} is declared with {kind}; Ruche awaits "
            "each implementation separately and cannot run hook wrappers (see docs/hooks.md)"
        )


def refuse_wrappers(pm: pluggy.PluginManager) -> None:
    """Fail at plugin load, naming the plugin, rather than run a wrapper as a plain function."""
    for _name, plugin in pm.list_name_plugin():
        for caller in pm.get_hookcallers(plugin) or ():
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    refuse_wrapper(impl, caller.name)


#: One implementation, ready to call: its function, the names of its arguments (a set, to see
#: at once when a call gives exactly those), and pluggy's record of it.
_Prepared: TypeAlias = tuple[Callable[..., Any], frozenset[str], pluggy.HookImpl]
#: Result types that are never awaitable: `_awaitable` answers for them without an ABC check.
_PLAIN: frozenset[type] = frozenset({type(None), bool, int, str, list, tuple, dict})


def _awaitable(value: Any) -> bool:
    """`inspect.isawaitable`, answered first for the values hooks return most often."""
    kind = type(value)
    if kind is CoroutineType:
        return True
    if kind in _PLAIN:
        return False
    return inspect.isawaitable(value)


def _arguments(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments an implementation takes, from a call that gives more (or too few).

    A call giving exactly the arguments an implementation declares (most calls) passes its
    `kwargs` through as they are, without this copy."""
    missing = [k for k in impl.argnames if k not in kwargs]
    if missing:
        raise TypeError(f"hook {impl.function.__name__} needs {missing}")
    return {k: kwargs[k] for k in impl.argnames}


def _invoke(function: Callable[..., Any], takes: frozenset[str], impl: pluggy.HookImpl,
            kwargs: dict[str, Any]) -> Any:
    """Call one prepared implementation; a call giving exactly its arguments (most calls)
    passes `kwargs` through as they are. A plain call: no coroutine on the hot path."""
    if kwargs.keys() == takes:
        return function(**kwargs)
    return function(**_arguments(impl, kwargs))


class Hooks:
    """Call pluggy hooks whose implementations may be coroutines, isolating each plugin."""

    def __init__(self, pm: pluggy.PluginManager, *, timeout: float | None = 10.0) -> None:
        self.pm = pm
        self.timeout = timeout
        # One cache per calling method, so the style check runs once per hook and method:
        # pluggy's list as last seen, and the same implementations in call order, prepared.
        self._order: dict[
            str | None, dict[str, tuple[list[pluggy.HookImpl], tuple[_Prepared, ...]]]
        ] = {method: {} for method in (None, *_STYLE_OF_METHOD)}

    def _prepared(self, name: str, method: str | None) -> tuple[_Prepared, ...]:
        """The implementations of `name` in call order, checked once while they stay the same."""
        caller = getattr(self.pm.hook, name, None)
        if caller is None:
            return ()
        # Hot path (several hooks per command): pluggy's copy of its short list is cheap to
        # compare; the checks and the preparation run again only when a plugin came or went.
        current = caller.get_hookimpls()
        order = self._order[method]
        cached = order.get(name)
        if cached is not None and cached[0] == current:
            return cached[1]
        if method is not None:
            check_call_style(caller, method)
        for impl in current:
            refuse_wrapper(impl, name)
        # pluggy stores implementations in call order reversed.
        prepared = tuple((impl.function, frozenset(impl.argnames), impl)
                         for impl in reversed(current))
        order[name] = (current, prepared)
        return prepared

    def _impls(self, name: str, method: str | None = None) -> list[pluggy.HookImpl]:
        return [impl for _function, _takes, impl in self._prepared(name, method)]

    def _plugin_name(self, impl: pluggy.HookImpl) -> str:
        return impl.plugin_name

    async def _await(self, value: Any, limit: float | None) -> Any:
        if limit is None:
            return await value
        # asyncio.timeout, unlike wait_for, does not wrap the coroutine in a new Task.
        async with asyncio.timeout(limit):
            return await value

    async def collect(self, name: str, **kwargs: Any) -> list[Any]:
        """Every non-None result; lists and tuples (as from `register_*`) are flattened."""
        return [value for _plugin, value in await self.collect_from(name, **kwargs)]

    async def collect_from(self, name: str, **kwargs: Any) -> list[tuple[object, Any]]:
        """`collect`, with the plugin object each result came from (who owns a command)."""
        results: list[tuple[object, Any]] = []
        for function, takes, impl in self._prepared(name, "collect"):
            try:
                value = _invoke(function, takes, impl, kwargs)
                if value is not None and _awaitable(value):
                    value = await self._await(value, self.timeout)
            except DuplicateEvent:
                raise
            except Exception:
                log.exception("hook %s failed in plugin %s", name, self._plugin_name(impl))
                if name.startswith("register_"):
                    raise
                continue
            if value is None:
                continue
            if isinstance(value, list | tuple) and name.startswith("register_"):
                results.extend((impl.plugin, item) for item in value)
            else:
                results.append((impl.plugin, value))
        return results

    async def verdicts(self, name: str, *, _skip: Collection[str] = (),
                       **kwargs: Any) -> list[Any]:
        """Every result of a check hook; one that raises or times out counts as a refusal."""
        results: list[Any] = []
        for function, takes, impl in self._prepared(name, "verdicts"):
            if _skip and impl.plugin_name in _skip:
                continue
            try:
                value = _invoke(function, takes, impl, kwargs)
                if value is not None and _awaitable(value):
                    value = await self._await(value, self.timeout)
            except (asyncio.CancelledError, DuplicateEvent):
                raise
            except Exception:
                # Fail closed: a broken check must not let a command or permission through.
                plugin = self._plugin_name(impl)
                log.exception("hook %s failed in plugin %s; counted as a refusal", name, plugin,
                              extra={"plugin": plugin, "hook": name})
                results.append(False)
                continue
            if value is not None:
                results.append(value)
        return results

    async def notify(
        self, name: str, *, _timeout: float | None = None, _skip: Collection[str] = (),
        **kwargs: Any
    ) -> list[BaseException]:
        """Await every implementation separately; log and swallow each one's exception.

        `_skip` names plugins not to call (those switched off in the event's community)."""
        errors: list[BaseException] = []
        for function, takes, impl in self._prepared(name, "notify"):
            if _skip and impl.plugin_name in _skip:
                continue
            try:
                value = _invoke(function, takes, impl, kwargs)
                # A listener that did its work synchronously returns None: nothing to await.
                if value is not None and _awaitable(value):
                    await self._await(value, self.timeout if _timeout is None else _timeout)
            except (asyncio.CancelledError, DuplicateEvent):
                raise  # a duplicate: the event was handled already, its other listeners too
            except Exception as exc:
                if name == "startup" and isinstance(exc, StartupError):
                    raise  # the plugin cannot run as configured: `ruche run` stops, one line
                plugin = self._plugin_name(impl)
                log.exception("hook %s failed in plugin %s", name, plugin,
                              extra={"plugin": plugin, "hook": name})
                errors.append(exc)
        return errors

    async def first(self, name: str, **kwargs: Any) -> Any:
        """Await implementations in pluggy order and return the first non-None result."""
        for function, takes, impl in self._prepared(name, "first"):
            value = _invoke(function, takes, impl, kwargs)
            if value is not None and _awaitable(value):
                value = await self._await(value, self.timeout)
            if value is not None:
                return value
        return None

    async def first_safe(self, name: str, default: Any = None, **kwargs: Any) -> Any:
        """Like `first`, but an implementation that raises is logged and skipped."""
        for function, takes, impl in self._prepared(name, "first_safe"):
            try:
                value = _invoke(function, takes, impl, kwargs)
                if value is not None and _awaitable(value):
                    value = await self._await(value, self.timeout)
            except Exception:
                log.exception("hook %s failed in plugin %s", name, self._plugin_name(impl))
                continue
            if value is not None:
                return value
        return default

    def implementers(self, name: str) -> Iterable[str]:
        """Plugin names implementing a hook (for `ruche plugins`)."""
        return [self._plugin_name(i) for i in self._impls(name)]
