"""The plugin authors' test kit: a real Bot on SQLite in a temp dir with an in-memory chat."""

from __future__ import annotations

import asyncio
import copy
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from bot.adapters.console import apply_roles
from bot.adapters.local import LocalAdapter, SentMessage
from bot.app import Bot
from bot.config import Config
from bot.model import Member
from bot.plugins import DEFAULT_PLUGINS

hookimpl = pluggy.HookimplMarker("ruche")

#: Built-ins loaded by the test bot: every default plugin but the platform adapters (the
#: in-memory chat stands in for the console, Matrix and Discord).
TEST_BUILTINS: dict[str, str] = {name: dotted for name, dotted in DEFAULT_PLUGINS.items()
                                 if not dotted.startswith("bot.adapters.")}
#: The community of the in-memory chat.
COMMUNITY = "console"


def future_time(hour: int = 13) -> float:
    """`hour`:00 UTC ten years from today: a start for a `ManualClock` later than anything the
    startup sweeps saw with the real clock, so they cannot interfere with a test."""
    return (time.time() // 86400 + 3650) * 86400 + hour * 3600


@dataclass
class ManualClock:
    """A clock tests move by hand: `bot.clock = clock`, then `clock.advance(days=7)`."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, days: float = 0, seconds: float = 0) -> None:
        self.now += days * 86400 + seconds


async def eventually(predicate: Callable[[], Any | Awaitable[Any]], within: float = 5.0,
                     interval: float = 0.01) -> Any:
    """Wait until `predicate()` is truthy and return its value, instead of a fixed sleep that
    is too short on a loaded machine and too long everywhere else; AssertionError at timeout."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {within:g} s")
        await asyncio.sleep(interval)


class Chat:
    """Speak as anyone in the test room and read what the bot answered."""

    def __init__(self, adapter: LocalAdapter) -> None:
        self.adapter = adapter

    @property
    def sent(self) -> list[SentMessage]:
        return self.adapter.sent

    @property
    def texts(self) -> list[str]:
        return [m.current for m in self.adapter.sent]

    async def say(self, name: str, text: str, *, is_bot: bool = False) -> str:
        """Send a message; return the text of every bot message it caused, joined."""
        return "\n".join(m.current for m in await self.adapter.say(name, text, is_bot=is_bot))

    async def react(self, name: str, number: int, emoji: str) -> str:
        return "\n".join(m.current for m in await self.adapter.user_react(name, number, emoji))

    async def unreact(self, name: str, number: int, emoji: str) -> str:
        return "\n".join(
            m.current for m in await self.adapter.user_react(name, number, emoji, added=False)
        )

    def last(self) -> SentMessage:
        return self.adapter.sent[-1]

    def clear(self) -> None:
        self.adapter.sent.clear()


class _ChatPlugin:
    """Registers the in-memory adapter in place of the console."""

    def __init__(self, adapter: LocalAdapter) -> None:
        self.adapter = adapter

    @hookimpl
    def register_adapters(self, bot: Bot) -> list[LocalAdapter]:
        return [self.adapter]

    @hookimpl
    def on_config_reloaded(self, bot: Bot, old: Config) -> None:
        """Like the console it stands in for: a reloaded file's role lists apply, if it
        changed them (the kit's own `moderators`/`admins` arguments are not in the file)."""
        new = bot.config.console
        if (new.moderators, new.admins) != (old.console.moderators, old.console.admins):
            apply_roles(self.adapter, new.moderators, new.admins)


@dataclass
class TestBot:
    """A started bot and its chat; `await tb.stop()` closes it (the fixture does it for you)."""

    __test__ = False  # not a pytest test class

    bot: Bot
    chat: Chat

    async def stop(self) -> None:
        await self.bot.stop()

    async def restart(self) -> TestBot:
        """Stop and start a new bot on the same database (restart-safety tests)."""
        await self.bot.stop()
        new = await make_test_bot(self._path, raw=self._raw, plugins=self._plugins,
                                  builtins=self._builtins, storage_url=self._storage_url)
        new._made = self._made
        if self._made is not None:
            self._made.append(new)
        return new

    _path: Path = Path(".")
    _raw: Mapping[str, Any] | None = None
    _plugins: Mapping[str, object] | None = None
    _builtins: Mapping[str, str] | None = None
    _made: list[TestBot] | None = None  # the fixture's list, so restarts are closed too
    _storage_url: str | None = None


#: The type of the `make_bot` fixture: `tb = await make_bot(raw=…, plugins=…, builtins=…)`.
MakeBot = Callable[..., Awaitable[TestBot]]


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


async def make_test_bot(
    tmp_path: Path,
    *,
    raw: Mapping[str, Any] | None = None,
    plugins: Mapping[str, object] | None = None,
    builtins: Mapping[str, str] | None = None,
    moderators: tuple[str, ...] = ("mod",),
    admins: tuple[str, ...] = ("operator",),
    storage_url: str | None = None,
    adapter: LocalAdapter | None = None,
) -> TestBot:
    """Build, migrate and start a bot with the in-memory chat; no network, no entry points.

    `adapter` replaces the in-memory chat's adapter (benchmarks pass one that behaves like a
    platform); by default a `LocalAdapter` with `moderators` and `admins`.
    """
    base = {
        "storage": {"url": storage_url or f"sqlite:///{tmp_path / 'ruche.sqlite3'}"},
        "bot": {"data_dir": str(tmp_path / "data")},
        "platforms": {"console": {"enabled": False}},
    }
    config = Config(_merge(base, raw or {}))
    if adapter is None:
        adapter = LocalAdapter("console", "console", list(moderators), list(admins))
    extra: dict[str, object] = {"test-chat": _ChatPlugin(adapter)}
    extra.update(plugins or {})
    bot = Bot(config, extra_plugins=extra,
              builtins=dict(TEST_BUILTINS if builtins is None else builtins),
              use_entry_points=False)
    await bot.setup()
    await bot.start()
    tb = TestBot(bot, Chat(adapter))
    tb._path, tb._raw, tb._plugins, tb._builtins = tmp_path, raw, plugins, builtins
    tb._storage_url = storage_url
    return tb


async def integrity_problems(bot: Bot) -> list[str]:
    """Every problem `ruche db check` reports, from every plugin's `check_integrity`."""
    found = await bot.hooks.collect("check_integrity", bot=bot)
    return [p for group in found for p in (group if isinstance(group, list) else [group])]


class EventRecorder:
    """A test plugin that keeps the events it hears, in order: subclass it with one
    `@hookimpl(optionalhook=True)` per event, each appending `(short name, payload)`."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def names(self) -> list[str]:
        return [name for name, _payload in self.events]

    def named(self, name: str) -> list[Any]:
        return [payload for n, payload in self.events if n == name]


class Kit:
    """A started test bot (and its hand-moved clock, if any) with the shortcuts most plugin
    tests share; a plugin's conftest subclasses it with its own (`svc`, money reads…)."""

    def __init__(self, tb: TestBot, clock: ManualClock | None = None,
                 community: str = COMMUNITY) -> None:
        self.tb = tb
        self.clock = clock
        self.community = community

    @property
    def bot(self) -> Any:
        return self.tb.bot

    @property
    def chat(self) -> Chat:
        return self.tb.chat

    async def say(self, name: str, text: str) -> str:
        return await self.tb.chat.say(name, text)

    async def known(self, *names: str) -> None:
        """Make members known (a console user is a member once they have spoken)."""
        for name in names:
            await self.say(name, "hello")

    async def member(self, name: str) -> Member:
        """The member behind console user `name` (who speaks once to become known)."""
        community = self.bot.communities.get(self.community)
        found = await self.bot.identity.find(community, "console", name)
        if found is None:
            await self.say(name, "hello")
            found = await self.bot.identity.find(community, "console", name)
        assert found is not None
        return found  # type: ignore[no-any-return]

    async def member_id(self, name: str) -> int:
        return int((await self.member(name)).id)

    def room_texts(self) -> list[str]:
        """What everybody in the room saw (direct messages excluded)."""
        return [m.current for m in self.chat.sent if m.to is None]

    def dms(self, name: str) -> list[str]:
        return [m.current for m in self.chat.sent if m.to == name]

    async def problems(self) -> list[str]:
        """What `ruche db check` reports, every plugin included."""
        return await integrity_problems(self.bot)

    async def restart(self) -> None:
        """A new bot on the same database; the kit's clock stays in charge."""
        self.tb = await self.tb.restart()
        if self.clock is not None:
            self.tb.bot.clock = self.clock


__all__ = ["COMMUNITY", "TEST_BUILTINS", "Chat", "EventRecorder", "Kit", "MakeBot",
           "ManualClock", "TestBot", "eventually", "future_time", "integrity_problems", "make_test_bot"]
