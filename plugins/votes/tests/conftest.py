"""Fixtures for the votes tests: a bot with only the core and votes, and event recorders."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import hookimpl
from bot.testing import EventRecorder, TestBot, integrity_problems
from plugins.votes import VotesPlugin, store
from plugins.votes.models import PollResult
from plugins.votes.service import VotesService

#: Only the core and votes: the tests do not depend on ideas/tips being present.
BUILTINS = {"core": "bot.commands.builtin", "votes": "plugins.votes"}
#: No waiting between live edits unless a test asks for it.
RAW: dict[str, Any] = {"plugins": {"votes": {"tally_edit_interval": 0.0}}}


class Recorder(EventRecorder):
    """Listens to every votes event, the way ideas or tips would."""

    @hookimpl(optionalhook=True)
    def on_poll_opened(self, poll: Any) -> None:
        self.events.append(("opened", poll))

    @hookimpl(optionalhook=True)
    def on_ballot_cast(self, ballot: Any) -> None:
        self.events.append(("ballot", ballot))

    @hookimpl(optionalhook=True)
    def on_poll_closed(self, poll: Any, result: Any) -> None:
        self.events.append(("closed", (poll, result)))

    @hookimpl(optionalhook=True)
    def on_poll_cancelled(self, poll: Any) -> None:
        self.events.append(("cancelled", poll))


def service(tb: TestBot) -> VotesService:
    return tb.bot.plugin(VotesPlugin).service


async def current_result(tb: TestBot, number: int, community: str = "console") -> PollResult:
    """The tally of poll #number as `!poll results` would compute it."""
    poll = await store.find_poll(tb.bot.db, community, number)
    assert poll is not None
    return await service(tb).result(poll)


async def integrity(tb: TestBot) -> list[str]:
    """Every problem `ruche db check` would report, from every plugin."""
    return await integrity_problems(tb.bot)


async def settle(tb: TestBot) -> None:
    """Let pending live-tally edits happen."""
    await asyncio.sleep(0)
    await service(tb).live.idle()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def tb(make_bot: Any, recorder: Recorder) -> TestBot:
    made: TestBot = await make_bot(raw=RAW, builtins=BUILTINS, plugins={"recorder": recorder})
    return made
