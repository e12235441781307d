"""Fixtures for the ideas plugin: a bot with only core + ideas, a stand-in for votes, a recorder."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import hookimpl, testing
from bot.testing import EventRecorder, MakeBot, TestBot
from plugins.ideas.models import CampaignClosed, Idea, IdeaMerged, IdeaStatusChange
from plugins.votes.models import Poll, PollRequest, PollResult

#: Only what these tests are about: the votes and tips plugins are stood in for, not loaded.
IDEAS_ONLY = {"core": "bot.commands.builtin", "ideas": "plugins.ideas"}


class FakeVotes:
    """Answers `open_poll` like the votes plugin would (or not at all when `available` is off)."""

    def __init__(self, available: bool = True) -> None:
        self.available = available
        self.requests: list[PollRequest] = []
        self.polls: list[Poll] = []
        self._numbers = itertools.count(1)

    @hookimpl(optionalhook=True)
    async def open_poll(self, bot: Any, request: PollRequest) -> Poll | None:
        self.requests.append(request)
        if not self.available:
            return None
        number = next(self._numbers)
        poll = Poll(id=1000 + number, community=request.community, number=number,
                    question=request.question, options=request.options, method=request.method,
                    status="open", subject=request.subject, creator_id=request.creator_id,
                    quorum=request.quorum, room=request.room)
        self.polls.append(poll)
        return poll

    async def close(self, bot: Any, poll: Poll, yes: int, no: int, *,
                    quorum_met: bool = True) -> None:
        """Deliver `on_poll_closed` as the votes plugin does."""
        result = PollResult(poll_id=poll.id, method=poll.method, ballots=yes + no,
                            totals=(float(yes), float(no)), winner=0 if yes > no else 1,
                            quorum_met=quorum_met)
        await bot.hooks.notify("on_poll_closed", bot=bot, poll=poll, result=result)


class Recorder(EventRecorder):
    """Every event the ideas plugin emits, in order."""

    @hookimpl
    def on_idea_submitted(self, idea: Idea) -> None:
        self.events.append(("submitted", idea))

    @hookimpl
    def on_idea_status_changed(self, change: IdeaStatusChange) -> None:
        self.events.append(("status", change))

    @hookimpl
    def on_idea_accepted(self, idea: Idea) -> None:
        self.events.append(("accepted", idea))

    @hookimpl
    def on_idea_rejected(self, idea: Idea, reason: str) -> None:
        self.events.append(("rejected", (idea, reason)))

    @hookimpl
    def on_idea_implemented(self, idea: Idea) -> None:
        self.events.append(("implemented", idea))

    @hookimpl
    def on_idea_merged(self, merge: IdeaMerged) -> None:
        self.events.append(("merged", merge))

    @hookimpl
    def on_campaign_closed(self, campaign: CampaignClosed) -> None:
        self.events.append(("campaign_closed", campaign))


class Harness(testing.Kit):
    """A started bot with its chat, the votes stand-in and the event recorder."""

    def __init__(self, tb: TestBot, votes: FakeVotes, events: Recorder) -> None:
        super().__init__(tb)
        self.votes = votes
        self.events = events


Start = Callable[..., Awaitable[Harness]]


@pytest.fixture
def start(make_bot: MakeBot) -> Start:
    """`h = await start(support_threshold=3, votes=True, locale="en")`: core + ideas only."""

    async def factory(*, votes: bool = True, locale: str = "en", storage_url: str | None = None,
                      **ideas: Any) -> Harness:
        fake, recorder = FakeVotes(available=votes), Recorder()
        raw = {"bot": {"locale": locale}, "plugins": {"ideas": ideas}}
        extra: dict[str, Any] = {"storage_url": storage_url} if storage_url else {}
        tb = await make_bot(raw=raw, plugins={"fake-votes": fake, "recorder": recorder},
                            builtins=IDEAS_ONLY, **extra)
        return Harness(tb, fake, recorder)

    return factory


async def known(h: Harness, *names: str) -> None:
    """Make members known (a console user is a member once they have spoken)."""
    await h.known(*names)
