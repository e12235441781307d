"""Async hook calling: the only place that calls `pm.hook`, so isolation lives in one spot."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Iterable
from typing import Any

import pluggy

from bot.errors import StartupError

log = logging.getLogger("ruche.hooks")


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


class Hooks:
    """Call pluggy hooks whose implementations may be coroutines, isolating each plugin."""

    def __init__(self, pm: pluggy.PluginManager, *, timeout: float | None = 10.0) -> None:
        self.pm = pm
        self.timeout = timeout
        self._order: dict[str, tuple[list[pluggy.HookImpl], list[pluggy.HookImpl]]] = {}

    def _impls(self, name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, name, None)
        if caller is None:
            return []
        # Hot path (several hooks per command): pluggy's public copy of its list is cheap;
        # reuse the checked, reversed list while it holds the same implementations.
        current = caller.get_hookimpls()
        cached = self._order.get(name)
        if cached is not None and cached[0] == current:
            return cached[1]
        for impl in current:
            refuse_wrapper(impl, name)
        # pluggy stores implementations in call order reversed.
        impls = list(reversed(current))
        self._order[name] = (current, impls)
        return impls

    def _plugin_name(self, impl: pluggy.HookImpl) -> str:
        return impl.plugin_name

    def _call(self, impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
        args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
        missing = [k for k in impl.argnames if k not in kwargs]
        if missing:
            raise TypeError(f"hook {impl.function.__name__} needs {missing}")
        return impl.function(**args)

    async def _await(self, value: Any, limit: float | None) -> Any:
        if inspect.isawaitable(value):
            if limit is None:
                return await value
            # asyncio.timeout, unlike wait_for, does not wrap the coroutine in a new Task.
            async with asyncio.timeout(limit):
                return await value
        return value

    async def collect(self, name: str, **kwargs: Any) -> list[Any]:
        """Every non-None result; lists and tuples (as from `register_*`) are flattened."""
        results: list[Any] = []
        for impl in self._impls(name):
            try:
                value = await self._await(self._call(impl, kwargs), self.timeout)
            except Exception:
                log.exception("hook %s failed in plugin %s", name, self._plugin_name(impl))
                if name.startswith("register_"):
                    raise
                continue
            if value is None:
                continue
            if isinstance(value, list | tuple) and name.startswith("register_"):
                results.extend(value)
            else:
                results.append(value)
        return results

    async def verdicts(self, name: str, **kwargs: Any) -> list[Any]:
        """Every result of a check hook; one that raises or times out counts as a refusal."""
        results: list[Any] = []
        for impl in self._impls(name):
            try:
                value = await self._await(self._call(impl, kwargs), self.timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Fail closed: a broken check must not let a command or permission through.
                log.exception(
                    "hook %s failed in plugin %s; counted as a refusal", name,
                    self._plugin_name(impl),
                    extra={"plugin": self._plugin_name(impl), "hook": name},
                )
                results.append(False)
                continue
            if value is not None:
                results.append(value)
        return results

    async def notify(
        self, name: str, *, _timeout: float | None = None, **kwargs: Any
    ) -> list[BaseException]:
        """Await every implementation separately; log and swallow each one's exception."""
        errors: list[BaseException] = []
        timeout = self.timeout if _timeout is None else _timeout
        for impl in self._impls(name):
            try:
                await self._await(self._call(impl, kwargs), timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if name == "startup" and isinstance(exc, StartupError):
                    raise  # the plugin cannot run as configured: `ruche run` stops, one line
                log.exception(
                    "hook %s failed in plugin %s", name, self._plugin_name(impl),
                    extra={"plugin": self._plugin_name(impl), "hook": name},
                )
                errors.append(exc)
        return errors

    async def first(self, name: str, **kwargs: Any) -> Any:
        """Await implementations in pluggy order and return the first non-None result."""
        for impl in self._impls(name):
            value = await self._await(self._call(impl, kwargs), self.timeout)
            if value is not None:
                return value
        return None

    async def first_safe(self, name: str, default: Any = None, **kwargs: Any) -> Any:
        """Like `first`, but an implementation that raises is logged and skipped."""
        for impl in self._impls(name):
            try:
                value = await self._await(self._call(impl, kwargs), self.timeout)
            except Exception:
                log.exception("hook %s failed in plugin %s", name, self._plugin_name(impl))
                continue
            if value is not None:
                return value
        return default

    def implementers(self, name: str) -> Iterable[str]:
        """Plugin names implementing a hook (for `ruche plugins`)."""
        return [self._plugin_name(i) for i in self._impls(name)]
