"""Fixtures for the pulse tests: a bot with every built-in plus pulse, a movable clock, HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot import testing
from bot.testing import TEST_BUILTINS, MakeBot, ManualClock, TestBot
from plugins.pulse import PulsePlugin
from plugins.pulse.service import PulseService

BUILTINS = TEST_BUILTINS  # pulse included
# Noon UTC on a Wednesday, ten years ahead: later than anything a sweep saw with the real clock.
_DAY = 86400
T0 = (time.time() // (7 * _DAY) + 520) * 7 * _DAY + _DAY + 12 * 3600
#: Grants need no treasury setup; no allowance so balances are exactly what tests give.
TIPS = {"allowance_amount": 0, "activity_reward": 0}


@dataclass
class Clock(ManualClock):
    """The kit's hand-moved clock, starting at T0."""

    now: float = T0


class Pulse(testing.Kit):
    """One test bot with pulse, and the shortcuts the tests share."""

    clock: Clock

    def __init__(self, tb: TestBot, clock: Clock, raw: dict[str, Any]) -> None:
        super().__init__(tb, clock)
        self.raw = raw

    @property
    def svc(self) -> PulseService:
        return self.tb.bot.plugin(PulsePlugin).service

    @property
    def url(self) -> str:
        assert self.svc.server is not None, "the web server is off: pass web=True"
        return self.svc.server.url

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, dict[str, str]]:
        async with aiohttp.ClientSession() as session, \
                session.get(self.url + path, **kwargs) as response:
            return response.status, await response.text(), dict(response.headers)

    async def first_event(self, path: str) -> str:
        """The first SSE message of a stream (the full state)."""
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as r:
            assert r.status == 200, r.status
            assert r.headers["Content-Type"].startswith("text/event-stream")
            buf = b""
            while b"event: update" not in buf or not buf.endswith(b"\n\n"):
                buf += await r.content.readany()
            return buf.decode()

    async def seed(self) -> None:
        """A community with ideas in several states, a poll, a tip and a grant."""
        for text in ("!idea submit Community garden | grow vegetables",
                     "!idea submit Repair café | fix things together",
                     "!idea submit Night market"):
            await self.say("alice", text)
        await self.say("carol", "!idea submit Quiet room | please --anonymous")
        await self.say("mod", "!idea accept 2 great")
        await self.say("mod", "!idea reject 3 not now")
        await self.say("bob", "hello")
        await self.say("mod", "!grant @alice 50 organised the meetup")
        await self.say("alice", "!tip @bob 5 thanks")
        await self.say("alice", '!poll new "Lunch?" "Pizza" "Salad" --duration 6h')
        await self.say("bob", "!vote 1 Pizza")


MakePulse = Callable[..., Awaitable[Pulse]]


@pytest.fixture
def make_pulse(make_bot: MakeBot) -> MakePulse:
    """`p = await make_pulse(web=True, pulse={...}, raw={...})`."""

    async def factory(*, web: bool = False, pulse: dict[str, Any] | None = None,
                      raw: dict[str, Any] | None = None, clock: Clock | None = None,
                      web_config: dict[str, Any] | None = None) -> Pulse:
        settings: dict[str, Any] = {"plugins": {"tips": dict(TIPS), "pulse": pulse or {}}}
        if web:
            settings["web"] = {"enabled": True, "port": 0, **(web_config or {})}
        for key, value in (raw or {}).items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
        tb = await make_bot(raw=settings, builtins=BUILTINS)
        clock = clock or Clock()
        tb.bot.clock = clock
        return Pulse(tb, clock, settings)

    return factory


def text_of(html: str) -> str:
    """The visible text of some HTML, tags removed and spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
