"""The votes hooks as other plugins use them: open_poll, ballot_weight, events, linking."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from bot.commands import UserError
from bot.model import RoomRef
from bot.testing import TestBot
from plugins.votes import store
from plugins.votes.models import Poll, PollRequest
from plugins.votes.tests.conftest import BUILTINS, RAW, Recorder, integrity, service

ROOM = RoomRef("console", "console", "console")


class Weights:
    """A plugin that weighs ballots (e.g. by reputation)."""

    def __init__(self, weights: dict[str, Any]) -> None:
        self.weights = weights

    @hookimpl(optionalhook=True)
    async def ballot_weight(self, bot: Any, poll: Poll, member_id: int) -> Any:
        member = await bot.identity.get(poll.community, member_id)
        return self.weights.get(member.display_name) if member else None


async def test_open_poll_hook_as_the_ideas_plugin_calls_it(tb: TestBot,
                                                           recorder: Recorder) -> None:
    request = PollRequest(community="console", room=ROOM, question="Accept idea #4?",
                          options=("Yes", "No"), subject="idea:4", duration_seconds=3600,
                          quorum=2)
    poll = await tb.bot.hooks.first("open_poll", bot=tb.bot, request=request)
    assert isinstance(poll, Poll) and poll.number == 1 and poll.subject == "idea:4"
    assert poll.status == "open" and poll.message is not None and poll.creator_id is None
    assert "📊 Poll #1 — Accept idea #4?" in tb.chat.last().text
    assert recorder.named("opened") == [poll]
    await tb.chat.say("bob", "!vote 1 yes")
    await tb.chat.say("carol", "!vote 1 no")
    await tb.chat.say("dave", "!vote 1 Yes")
    assert "Only the poll's creator or a moderator" in await tb.chat.say("bob", "!poll close 1")
    await tb.chat.say("mod", "!poll close 1")
    (closed, result), = recorder.named("closed")
    assert closed.subject == "idea:4" and closed.status == "closed"
    assert result.totals == (2, 1) and result.ballots == 3 and result.quorum_met
    assert result.winner == 0 and result.poll_id == poll.id


async def test_open_poll_refuses_bad_requests(tb: TestBot) -> None:
    request = PollRequest(community="console", room=ROOM, question="?", options=("Only",))
    with pytest.raises(UserError):
        await tb.bot.hooks.first("open_poll", bot=tb.bot, request=request)


async def test_without_the_votes_plugin_nobody_answers(make_bot: Any) -> None:
    tb = await make_bot(builtins={"core": "bot.commands.builtin"})
    request = PollRequest(community="console", room=ROOM, question="?", options=("A", "B"))
    assert await tb.bot.hooks.first("open_poll", bot=tb.bot, request=request) is None


async def test_ballot_weight_from_another_plugin(make_bot: Any, recorder: Recorder) -> None:
    weights = Weights({"bob": 3, "carol": "lots", "dave": -1})
    tb = await make_bot(raw=RAW, builtins=BUILTINS,
                        plugins={"weights": weights, "rec": recorder})
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    for name, ballot in (("bob", "A"), ("carol", "B"), ("dave", "B"), ("erin", "B")):
        await tb.chat.say(name, f"!vote 1 {ballot}")
    await tb.chat.say("alice", "!poll close 1")
    (_poll, result), = recorder.named("closed")
    # bob weighs 3; bad answers ("lots", -1) count 1; nobody's answer: the default 1
    assert result.totals == (3, 3) and result.ballots == 4 and result.tie


async def test_events_are_emitted_after_commit(tb: TestBot, recorder: Recorder) -> None:
    seen: list[int] = []

    class Checker:
        @hookimpl(optionalhook=True)
        async def on_ballot_cast(self, bot: Any, ballot: Any) -> None:
            seen.append(await store.count_ballots(bot.db, ballot.poll.id))

    tb.bot.pm.register(Checker(), name="checker")
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    await tb.chat.say("bob", "!vote 1 A")
    await tb.chat.say("carol", "!vote 1 A")
    await tb.chat.say("bob", "!unvote 1")
    assert seen == [1, 2, 1]  # each handler already sees its ballot committed


async def test_linked_accounts_share_one_ballot(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.say("alice", '!poll new "Secret" "A" "B" --anonymous')
    await chat.say("alice", "!vote 1 A")
    await chat.say("bob", "!vote 1 B")
    await chat.say("alice", "!vote 2 A")
    ids = {r["display_name"]: int(r["id"]) for r in await tb.bot.db.fetch(
        "SELECT id, display_name FROM core_members")}
    community = tb.bot.communities.get("console")
    await tb.bot.hooks.notify("on_member_linked", bot=tb.bot, community=community,
                              old_member_id=ids["alice"], member_id=ids["bob"])
    first = await store.find_poll(tb.bot.db, "console", 1)
    second = await store.find_poll(tb.bot.db, "console", 2)
    assert first is not None and second is not None
    assert await store.count_ballots(tb.bot.db, first.id) == 1  # bob's own ballot wins
    assert (await service(tb).result(first)).totals == (0, 1)
    assert "replaces" in await chat.say("bob", "!vote 2 B")  # alice's secret ballot moved
    assert await store.count_ballots(tb.bot.db, second.id) == 1


async def test_export_and_integrity(tb: TestBot) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    await tb.chat.say("alice", '!poll new "S" "A" "B" --anonymous')
    await tb.chat.say("bob", "!vote 1 A")
    await tb.chat.say("bob", "!vote 2 A")
    community = tb.bot.communities.get("console")
    (data,) = [part for part in await tb.bot.hooks.collect(
        "export_data", bot=tb.bot, community=community, fmt="json") if "votes_polls" in part]
    assert [p["number"] for p in data["votes_polls"]] == [1, 2]
    assert "secret" not in data["votes_polls"][0]
    named, secret = sorted(data["votes_ballots"], key=lambda b: b["poll_id"])
    assert named["member_id"] is not None and secret["member_id"] is None
    assert await integrity(tb) == []
    await tb.bot.db.execute("UPDATE votes_polls SET status = 'closed' WHERE number = 2")
    problems = await integrity(tb)
    assert any("secret was kept" in p for p in problems)
