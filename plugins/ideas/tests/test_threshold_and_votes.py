"""The support threshold (also under concurrency), automatic polls, and decisions by vote."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest

from bot.commands import UserError
from plugins.ideas import store, voting
from plugins.ideas.tests.conftest import Harness, Start


async def status_of(h: Harness, number: int) -> str:
    row = await store.idea_by_number(h.bot.db, "console", number)
    assert row is not None
    return row.status


async def test_twenty_concurrent_supports_cross_the_threshold_once(start: Start) -> None:
    h = await start(support_threshold=5)
    await h.say("alice", "!idea submit Popular")
    await asyncio.gather(*(h.say(f"member{i}", "!idea support 1") for i in range(20)))
    lines = "\n".join(h.room_texts()).splitlines()
    assert lines.count("Idea #1 reached 5 supports and moves to review.") == 1
    assert [(c.old, c.new) for c in h.events.named("status")] == [("open", "review"),
                                                                ("review", "voting")]
    assert len(h.votes.requests) == 1
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and (row.supporters, row.status, row.poll_number) == (20, "voting", 1)
    said = "\n".join(lines)
    counts = sorted(int(m) for m in re.findall(r"You support idea #1 \((\d+) support", said))
    assert counts == list(range(1, 21))  # each support saw its own, exact count
    history = await h.bot.db.fetch("SELECT old_status, new_status FROM ideas_history")
    assert [(r[0], r[1]) for r in history] == [("open", "review"), ("review", "voting")]


async def test_threshold_without_auto_poll_waits_for_moderators(start: Start) -> None:
    h = await start(support_threshold=2, auto_poll=False)
    await h.say("alice", "!idea submit Calm")
    await h.say("bob", "!idea support 1")
    out = await h.say("carol", "!idea support 1")
    assert "Idea #1 reached 2 supports and moves to review." in out
    assert "A moderator will decide, or put it to a vote with !idea poll 1." in out
    assert h.votes.requests == [] and await status_of(h, 1) == "review"
    assert h.dms("alice") == ["Your idea #1 “Calm” is now in review."]
    await h.say("dave", "!idea support 1")  # beyond the threshold: no second transition
    assert len(h.events.named("status")) == 1


async def test_threshold_with_voting_disabled(start: Start) -> None:
    h = await start(support_threshold=1, votes=False)
    await h.say("alice", "!idea submit Nobody votes")
    out = await h.say("bob", "!idea support 1")
    assert "Voting is unavailable: a moderator will decide." in out
    assert len(h.votes.requests) == 1  # asked, nobody answered
    assert await status_of(h, 1) == "review"
    assert "now accepted" in await h.say("mod", "!idea accept 1")


async def test_open_poll_that_raises_leaves_moderators_in_charge(start: Start) -> None:
    h = await start(support_threshold=1)

    async def broken(bot: object, request: object) -> None:
        raise RuntimeError("votes database down")

    h.votes.open_poll = broken  # type: ignore[method-assign]
    h.bot.pm.unregister(name="fake-votes")
    h.bot.pm.register(h.votes, name="fake-votes")
    await h.say("alice", "!idea submit Unlucky")
    out = await h.say("bob", "!idea support 1")
    assert "Voting is unavailable" in out and "Sorry" not in out
    assert await status_of(h, 1) == "review"


async def test_end_to_end_accepted_once_even_if_close_is_delivered_twice(start: Start) -> None:
    h = await start(support_threshold=3, quorum=3)
    await h.say("alice", "!idea submit Community oven | bake together on Sundays")
    for name in ("bob", "carol", "dave"):
        await h.say(name, "!idea support 1")
    assert await status_of(h, 1) == "voting"
    [request] = h.votes.requests
    assert (request.subject, request.options, request.quorum) == ("idea:1", ("Yes", "No"), 3)
    assert request.question == "Accept idea #1 “Community oven”?"
    assert request.duration_seconds == 3 * 86400 and request.method == "single"
    [poll] = h.votes.polls
    await h.votes.close(h.bot, poll, yes=4, no=1)
    await h.votes.close(h.bot, poll, yes=4, no=1)  # delivered again (crash, replay)
    accepted = h.events.named("accepted")
    assert len(accepted) == 1
    assert accepted[0].subject == "idea:1" and accepted[0].author_id is not None
    assert await status_of(h, 1) == "accepted"
    assert "Idea #1 “Community oven” is now accepted (poll #1: 4 yes, 1 no)." in h.room_texts()
    assert h.dms("alice")[-1] == ("Your idea #1 “Community oven” is now accepted: "
                                  "poll #1: 4 yes, 1 no")


async def test_poll_rejection_and_quorum(start: Start) -> None:
    h = await start(support_threshold=1, quorum=3)
    for title in ("Tie", "No quorum", "Votes plugin quorum"):
        await h.say("alice", f"!idea submit {title}")
    for n in (1, 2, 3):
        await h.say("bob", f"!idea support {n}")
    p1, p2, p3 = h.votes.polls
    await h.votes.close(h.bot, p1, yes=2, no=2)
    await h.votes.close(h.bot, p2, yes=2, no=0)
    await h.votes.close(h.bot, p3, yes=5, no=0, quorum_met=False)
    assert [await status_of(h, n) for n in (1, 2, 3)] == ["rejected", "review", "review"]
    [(idea, reason)] = h.events.named("rejected")
    assert idea.number == 1 and reason == "poll #1: 2 yes, 2 no"
    assert "quorum not reached (2 of 3 ballots)" in "\n".join(h.room_texts())
    assert "now accepted" in await h.say("mod", "!idea accept 2 moderators decide")


async def test_no_quorum_can_reject(start: Start) -> None:
    h = await start(support_threshold=1, no_quorum="rejected")
    await h.say("alice", "!idea submit Quiet")
    await h.say("bob", "!idea support 1")
    await h.votes.close(h.bot, h.votes.polls[0], yes=1, no=0)
    assert await status_of(h, 1) == "rejected"


async def test_other_subjects_and_stale_polls_are_ignored(start: Start) -> None:
    h = await start(support_threshold=1)
    await h.say("alice", "!idea submit Decided by hand")
    await h.say("bob", "!idea support 1")
    [poll] = h.votes.polls
    await h.votes.close(h.bot, replace(poll, subject="fund:1"), yes=9, no=0)
    await h.votes.close(h.bot, replace(poll, subject="idea:nope"), yes=9, no=0)
    await h.votes.close(h.bot, replace(poll, id=poll.id + 50), yes=9, no=0)  # not its poll
    await h.votes.close(h.bot, replace(poll, community="elsewhere"), yes=9, no=0)
    assert await status_of(h, 1) == "voting"
    await h.say("mod", "!idea reject 1 moderators overrule the poll")
    await h.votes.close(h.bot, poll, yes=9, no=0)  # too late: nothing changes
    assert await status_of(h, 1) == "rejected" and h.events.named("accepted") == []


async def test_concurrent_poll_requests_open_one_poll(start: Start) -> None:
    h = await start(support_threshold=1)
    await h.say("alice", "!idea submit Race")
    outs = await asyncio.gather(h.say("bob", "!idea support 1"), h.say("mod", "!idea poll 1"))
    assert len(h.votes.polls) == 1, outs
    assert await status_of(h, 1) == "voting"
    assert "You support idea #1" in outs[0] and "Sorry" not in "".join(outs)


async def test_merge_can_cross_the_threshold(start: Start) -> None:
    h = await start(support_threshold=3)
    await h.say("alice", "!idea submit Original")
    await h.say("bob", "!idea submit Duplicate")
    await h.say("carol", "!idea support 1")
    await h.say("dave", "!idea support 2")
    out = await h.say("mod", "!idea merge 2 1")
    # carol + dave + bob (the duplicate's author backs the original) = 3
    assert "Idea #2 is merged into idea #1, which now has 3 supports." in out
    assert "Idea #1 reached 3 supports and moves to review." in out
    assert await status_of(h, 1) == "voting"


async def test_automatic_poll_request_that_lost_the_race_is_skipped(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Already decided")
    await h.say("mod", "!idea accept 1")
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None
    outcome = await voting.open_vote(h.bot, row.id, None, auto=True)
    assert outcome.skipped and outcome.poll is None and h.votes.requests == []
    with pytest.raises(UserError):
        await voting.open_vote(h.bot, row.id, None)
