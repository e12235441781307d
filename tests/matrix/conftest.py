"""Matrix test fixtures: one real Synapse per session, member clients, and a Ruche bot on it.

Synapse missing: outside CI the integration tests skip with the reason; under CI=true they fail
(a forgotten install must never show green). The unit tests (recorded events) always run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
import pytest
import pytest_asyncio

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.model import IncomingMessage, MemberJoin, ReactionEvent
from bot.testing import TestBot, make_test_bot

from .member import Member
from .synapse import Account, Homeserver, synapse_python, unavailable_reason

hookimpl = pluggy.HookimplMarker("ruche")

MATRIX_BUILTINS = {"core": "bot.commands.builtin", "matrix": "bot.adapters.matrix"}


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """The session's homeserver; started once (2-3 s), stopped with SIGTERM at the end."""
    python = synapse_python()
    reason = unavailable_reason(python)
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"real Synapse required under CI: {reason}")
        pytest.skip(f"real Synapse unavailable: {reason}")
    server = Homeserver(python, tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Recorder:
    """A test plugin keeping what reaches the plugin hooks."""

    reactions: list[ReactionEvent] = field(default_factory=list)
    messages: list[IncomingMessage] = field(default_factory=list)
    joins: list[MemberJoin] = field(default_factory=list)

    @hookimpl
    def on_reaction(self, event: ReactionEvent) -> None:
        self.reactions.append(event)

    @hookimpl
    def on_message(self, message: IncomingMessage) -> None:
        self.messages.append(message)

    @hookimpl
    def on_member_join(self, event: MemberJoin) -> None:
        self.joins.append(event)


@dataclass
class MatrixBot:
    """A started Ruche bot whose Matrix adapter is connected to the session's Synapse."""

    tb: TestBot
    account: Account
    recorder: Recorder
    path: Path
    raw: dict[str, Any]
    builtins: dict[str, str]

    @property
    def adapter(self) -> MatrixAdapter:
        adapter = self.tb.bot.adapters["matrix"]
        assert isinstance(adapter, MatrixAdapter)
        return adapter

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def stop(self) -> None:
        await self.tb.bot.stop()

    async def start(self) -> None:
        """A new bot process on the same database and key store."""
        self.recorder = Recorder()
        self.tb = await make_test_bot(self.path, raw=self.raw, builtins=self.builtins,
                                      plugins={"recorder": self.recorder})
        await asyncio.wait_for(self.adapter.ready.wait(), 30)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def bot_config(synapse: Homeserver, account: Account, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "homeserver": synapse.url,
        "user_id": account.user_id,
        "access_token": account.access_token,
        "auto_join": ["*"],
        "max_timeouts": 1,
        "max_backoff": "1s",
        "sync_timeout": "10s",
    }
    config.update(overrides)
    return config


MakeMatrixBot = Callable[..., Awaitable[MatrixBot]]
MakeMember = Callable[..., Awaitable[Member]]


@pytest_asyncio.fixture
async def make_matrix_bot(synapse: Homeserver, tmp_path: Path) -> AsyncIterator[MakeMatrixBot]:
    """Factory: `mb = await make_matrix_bot(builtins=…, **matrix_config_overrides)`."""
    made: list[MatrixBot] = []

    async def factory(*, builtins: dict[str, str] | None = None,
                      raw: dict[str, Any] | None = None, **overrides: Any) -> MatrixBot:
        account = synapse.register("ruche")
        path = tmp_path / f"bot{len(made)}"
        path.mkdir()
        config = {"platforms": {"matrix": bot_config(synapse, account, **overrides)}}
        config.update(raw or {})
        recorder = Recorder()
        chosen = dict(builtins or MATRIX_BUILTINS)
        tb = await make_test_bot(path, raw=config, builtins=chosen,
                                 plugins={"recorder": recorder})
        mb = MatrixBot(tb, account, recorder, path, config, chosen)
        made.append(mb)
        await asyncio.wait_for(mb.adapter.ready.wait(), 30)
        return mb

    yield factory
    for mb in made:
        await mb.tb.bot.stop()


@pytest_asyncio.fixture
async def make_member(synapse: Homeserver, tmp_path: Path) -> AsyncIterator[MakeMember]:
    """Factory for member clients (each registered fresh, with its own E2EE store)."""
    made: list[Member] = []

    async def factory(name: str = "member", **kwargs: Any) -> Member:
        account = synapse.register(name)
        member = Member(synapse.url, account, tmp_path / f"member-{account.user_id}", **kwargs)
        await member.start()
        made.append(member)
        return member

    yield factory
    for member in made:
        await member.stop()
