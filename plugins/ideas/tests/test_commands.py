"""Each `!idea` command through the in-memory chat: what members type and what they read."""

from __future__ import annotations

import pytest

from bot.model import Community, Member
from plugins.ideas import service, store
from plugins.ideas.tests.conftest import Start, known


async def test_submit_with_description_and_numbering(start: Start) -> None:
    h = await start()
    out = await h.say("alice", "!idea submit Dark mode | easier on the eyes at night")
    assert out == "Idea #1 “Dark mode” submitted. Support it with !idea support 1."
    assert "Idea #2 “Bike racks”" in await h.say("bob", "!idea submit Bike racks")
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None
    assert (row.title, row.description, row.status) == ("Dark mode",
                                                       "easier on the eyes at night", "open")
    [first, second] = h.events.named("submitted")
    assert (first.number, first.title, second.number) == (1, "Dark mode", 2)


async def test_options_are_pulled_out_of_the_title(start: Start) -> None:
    h = await start()
    await h.say("mod", "!campaign open summer")
    out = await h.say("alice", "!idea submit My title | some description --anonymous "
                               "--campaign summer")
    assert "Idea #1 “My title”" in out and "anonymous" in out
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None
    assert (row.description, row.anonymous, row.campaign) == ("some description", True, "summer")


async def test_numbers_are_per_community(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit In the console")
    other = Community("elsewhere", "Elsewhere")
    member = Member(99, "elsewhere", "zoe")
    row = await service.submit(h.bot, other, member, h.chat.adapter.room(), "Somewhere else",
                               campaign=None, anonymous=False, moderator=False)
    assert row.number == 1
    assert "In the console" in await h.say("bob", "!idea show 1")


@pytest.mark.parametrize(("text", "error"), [
    ("!idea submit", "Missing argument: text."),
    ("!idea submit  | only a description", "An idea needs a title"),
    ("!idea submit " + "x" * 121, "The title is too long (121 characters, at most 120)."),
    ("!idea submit Title | " + "y" * 2001, "The description is too long"),
    ("!idea submit Title --campaign nope", "There is no campaign named nope."),
    ("!idea submit Title --campaign 'bad name'", "A campaign name is one word"),
    ("!idea submit Title --anonymous=yes", "Option --anonymous takes no value."),
])
async def test_submit_refusals(start: Start, text: str, error: str) -> None:
    h = await start()
    assert error in await h.say("alice", text)
    assert await store.idea_by_number(h.bot.db, "console", 1) is None


async def test_control_characters_are_dropped(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Bell\x07 ring\x1b[31m | line one\nline two")
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None
    assert row.title == "Bell ring[31m" and row.description == "line one\nline two"


async def test_bidi_and_zero_width_characters_are_not_stored(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Free \u202egnirts\u202c coffee\u200b | in\u2066side\u2069")
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None
    assert row.title == "Free gnirts coffee" and row.description == "inside"
    await h.say("mod", "!idea reject 1 out \u202eof\u200d scope\x00")
    [(_idea, reason)] = h.events.named("rejected")
    assert reason == "out of scope"
    # Joiners inside an emoji sequence are kept: the family stays one emoji.
    await h.say("alice", "!idea submit Family day \U0001F468\u200d\U0001F469\u200d\U0001F467")
    row = await store.idea_by_number(h.bot.db, "console", 2)
    assert row is not None and row.title.endswith("\U0001F468\u200d\U0001F469\u200d\U0001F467")


async def test_a_title_of_invisible_characters_is_refused(start: Start) -> None:
    h = await start()
    out = await h.say("alice", "!idea submit \u202e\u200b | text")
    assert out.startswith("An idea needs a title")
    assert await store.idea_by_number(h.bot.db, "console", 1) is None


async def test_submission_rate_limit_per_member(start: Start) -> None:
    h = await start(submissions_per_day=2)
    await h.say("alice", "!idea submit One")
    await h.say("alice", "!idea submit Two")
    out = await h.say("alice", "!idea submit Three")
    assert out == "You have reached the limit of 2 ideas per day; try again tomorrow."
    assert "Idea #3" in await h.say("bob", "!idea submit Bob's")
    assert "Idea #4" in await h.say("mod", "!idea submit Moderators are not limited")
    now = h.bot.now()
    h.bot.clock = lambda: now + 86_401
    assert "Idea #5" in await h.say("alice", "!idea submit Next day")


async def test_premoderation_keeps_ideas_pending_until_approved(start: Start) -> None:
    h = await start(premoderation=True)
    out = await h.say("alice", "!idea submit Hidden until approved")
    assert out == "Idea #1 “Hidden until approved” is waiting for a moderator's approval."
    assert "waiting for a moderator's approval" in await h.say("bob", "!idea show 1")
    assert "No ideas here yet" in await h.say("bob", "!idea list")
    assert "Only moderators can list pending ideas" in await h.say("bob", "!idea list pending")
    assert "Hidden until approved" in await h.say("alice", "!idea list --mine")
    assert "Hidden until approved" in await h.say("mod", "!idea list pending")
    assert "now open" in await h.say("mod", "!idea approve 1")
    assert "Hidden until approved" in await h.say("bob", "!idea list")
    assert [(c.old, c.new) for c in h.events.named("status")] == [("pending", "open")]


async def test_list_pagination_and_filters(start: Start) -> None:
    h = await start(page_size=2)
    await h.say("mod", "!campaign open fair")
    for i in range(1, 6):
        campaign = " --campaign fair" if i % 2 else ""
        await h.say("bob" if i == 3 else "alice", f"!idea submit Idea number {i}{campaign}")
    page1 = await h.say("carol", "!idea list")
    assert page1.splitlines() == [
        "Ideas, page 1:",
        "#5 [open] Idea number 5 — 0 supports · by alice",
        "#4 [open] Idea number 4 — 0 supports · by alice",
        "More: !idea list --page 2",
    ]
    assert "#3" in (page2 := await h.say("carol", "!idea list --page 2")) and "#2" in page2
    page3 = await h.say("carol", "!idea list --page 3")
    assert "#1" in page3 and "More" not in page3
    assert await h.say("carol", "!idea list --page 4") == "No ideas on page 4."
    mine = await h.say("bob", "!idea list --mine")
    assert "#3" in mine and "#5" not in mine
    fair = await h.say("carol", "!idea list --campaign fair")
    assert "#5" in fair and "#4" not in fair and "--campaign fair --page 2" in fair
    await h.say("mod", "!idea accept 2")
    accepted = await h.say("carol", "!idea list accepted")
    assert "#2 [accepted]" in accepted and "#1" not in accepted
    assert "is not one of" in await h.say("carol", "!idea list nonsense")
    assert "There is no campaign named nope." in await h.say("carol", "!idea list --campaign nope")


async def test_list_hides_withdrawn_and_merged_unless_asked(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Keep")
    await h.say("alice", "!idea submit Gone")
    await h.say("alice", "!idea withdraw 2")
    assert "Gone" not in await h.say("bob", "!idea list")
    assert "#2 [withdrawn] Gone" in await h.say("bob", "!idea list all")
    assert "#2 [withdrawn] Gone" in await h.say("bob", "!idea list withdrawn")


async def test_show_gives_the_whole_picture(start: Start) -> None:
    h = await start(support_threshold=5)
    await known(h, "bob")
    await h.say("mod", "!campaign open fair")
    await h.say("alice", "!idea submit Repair café | monthly, in the hall --campaign fair")
    await h.say("alice", "!idea coauthor 1 @bob")
    await h.say("carol", "!idea support 1")
    await h.say("carol", "!idea comment 1 I can bring tools")
    out = await h.say("dave", "!idea show #1")
    assert out.splitlines() == [
        "Idea #1 “Repair café” — open",
        "monthly, in the hall",
        "By alice",
        "Co-authors: bob",
        "Campaign: fair",
        "Supports: 1 of 5 needed for review",
        "Comments: 1",
        "Latest comments:",
        "  carol: I can bring tools",
    ]
    assert await h.say("dave", "!idea show 9") == "There is no idea #9."
    assert "is not a whole number" in await h.say("dave", "!idea show x")


async def test_show_adds_lines_from_other_plugins(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Funded")
    from bot import hookimpl

    class Funding:
        @hookimpl
        def describe_idea(self, idea):  # type: ignore[no-untyped-def]
            return f"Funding: 40 / 100 BZZ for {idea.subject}"

    h.bot.pm.register(Funding(), name="funding")
    assert "Funding: 40 / 100 BZZ for idea:1" in await h.say("bob", "!idea show 1")


async def test_edit_title_and_description(start: Start) -> None:
    h = await start(support_threshold=1, auto_poll=False)
    await h.say("alice", "!idea submit Old title | old description")
    assert await h.say("alice", "!idea edit 1 New title") == "Idea #1 is now “New title”."
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and row.description == "old description"
    await h.say("alice", "!idea edit 1 Newer | new description")
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and (row.title, row.description) == ("Newer", "new description")
    out = await h.say("bob", "!idea edit 1 Hijack")
    assert out == "Only the authors of idea #1 or a moderator can edit it."
    assert "is now “Tidy”" in await h.say("mod", "!idea edit 1 Tidy")
    await h.say("bob", "!idea support 1")  # threshold 1: now in review
    out = await h.say("alice", "!idea edit 1 Too late")
    assert out == ("Cannot edit idea #1: it is in review (only possible when pending, open).")


async def test_withdraw_only_by_the_author_while_open(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Mine")
    assert await h.say("bob", "!idea withdraw 1") == "Only the author of idea #1 can withdraw it."
    assert await h.say("alice", "!idea withdraw 1") == "Idea #1 is withdrawn."
    assert "Cannot withdraw idea #1: it is withdrawn" in await h.say("alice", "!idea withdraw 1")
    assert [(c.old, c.new) for c in h.events.named("status")] == [("open", "withdrawn")]


async def test_support_and_unsupport(start: Start) -> None:
    h = await start(support_threshold=10)
    await h.say("alice", "!idea submit Benches")
    assert await h.say("bob", "!idea support 1") == "You support idea #1 (1 support)."
    assert await h.say("bob", "!idea support 1") == "You already support idea #1."
    assert await h.say("carol", "!idea support 1") == "You support idea #1 (2 supports)."
    assert await h.say("alice", "!idea support 1") == "You cannot support your own idea #1."
    assert await h.say("bob", "!idea unsupport 1") == "You no longer support idea #1 (1 support)."
    assert await h.say("bob", "!idea unsupport 1") == "You do not support idea #1."
    assert await h.say("bob", "!idea support 2") == "There is no idea #2."


async def test_comment_counts_and_threads(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Garden")
    out = await h.say("bob", "!idea comment 1 Tomatoes please")
    assert out == "Comment added to idea #1 (1 in the discussion)."
    await h.say("carol", "!idea comment 1 And basil")
    assert "Comments: 2" in await h.say("dave", "!idea show 1")
    assert "too long" in await h.say("bob", "!idea comment 1 " + "z" * 1001)
    assert "Missing argument: text." in await h.say("bob", "!idea comment 1")


async def test_coauthor_rules(start: Start) -> None:
    h = await start()
    await known(h, "bob", "carol")
    await h.say("alice", "!idea submit Shared")
    assert await h.say("bob", "!idea coauthor 1 @carol") == (
        "Only the author of idea #1 can add co-authors.")
    assert "bob is now a co-author of idea #1." in await h.say("alice", "!idea coauthor 1 @bob")
    assert h.dms("bob") == ["You are now a co-author of idea #1 “Shared”."]
    assert await h.say("alice", "!idea coauthor 1 @bob") == "bob is already a co-author of idea #1."
    assert await h.say("alice", "!idea coauthor 1 @alice") == (
        "You are already the author of idea #1.")
    assert "Unknown member: @zed" in await h.say("alice", "!idea coauthor 1 @zed")
    # co-authors may edit, and cannot support their own idea
    assert "is now “Shared better”" in await h.say("bob", "!idea edit 1 Shared better")
    assert await h.say("bob", "!idea support 1") == "You cannot support your own idea #1."


async def test_decisions_need_the_right_status_and_a_reason_to_reject(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Decide me")
    assert "Give a reason for the rejection" in await h.say("mod", "!idea reject 1")
    out = await h.say("mod", "!idea implement 1")
    assert out == ("Cannot mark as implemented idea #1: it is open "
                   "(only possible when accepted).")
    assert "now accepted" in await h.say("mod", "!idea accept 1 good one")
    assert "now implemented" in await h.say("mod", "!idea implement 1")
    names = [n for n, _p in h.events.events if n != "submitted"]
    assert names == ["status", "accepted", "status", "implemented"]
    [accepted] = h.events.named("accepted")
    assert accepted.status == "accepted" and accepted.subject == "idea:1"


async def test_reject_carries_the_reason(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Rejectable")
    await h.say("mod", "!idea reject 1 out of scope for us")
    [(idea, reason)] = h.events.named("rejected")
    assert (idea.number, reason) == (1, "out of scope for us")
    assert h.dms("alice") == ["Your idea #1 “Rejectable” is now rejected: out of scope for us"]
    assert "Reason: out of scope for us" in await h.say("bob", "!idea show 1")


async def test_feedback_only_on_implemented_ideas(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Lamp")
    out = await h.say("bob", "!idea feedback 1 5")
    assert out == ("Cannot give feedback on idea #1: it is open (only possible when implemented).")
    await h.say("mod", "!idea accept 1")
    await h.say("mod", "!idea implement 1")
    assert await h.say("bob", "!idea feedback 1 5 bright") == (
        "Thanks! Idea #1 is rated 5.0/5 (1 rating).")
    assert await h.say("carol", "!idea feedback 1 2") == (
        "Thanks! Idea #1 is rated 3.5/5 (2 ratings).")
    assert await h.say("bob", "!idea feedback 1 3") == (  # again: replaces bob's rating
        "Thanks! Idea #1 is rated 2.5/5 (2 ratings).")
    assert "Feedback comes from the people who use" in await h.say("alice", "!idea feedback 1 5")
    for bad in ("0", "6", "4.5", "x"):
        assert "The rating is a whole number from 1 to 5" in await h.say(
            "bob", f"!idea feedback 1 {bad}")
    assert "Feedback: 2.5/5 (2 ratings)" in await h.say("dave", "!idea show 1")


async def test_poll_command_without_voting(start: Start) -> None:
    h = await start(votes=False)
    await h.say("alice", "!idea submit Vote me")
    out = await h.say("mod", "!idea poll 1")
    assert out == "Voting is unavailable here: decide with !idea accept or !idea reject."
    row = await store.idea_by_number(h.bot.db, "console", 1)
    assert row is not None and row.status == "open"
    assert "now accepted" in await h.say("mod", "!idea accept 1")


async def test_poll_command_opens_a_poll(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Vote me")
    out = await h.say("mod", "!idea poll 1 --duration 2d --method approval")
    assert out.splitlines()[-1] == "Idea #1 is now being voted on: poll #1 (!poll show 1)."
    assert h.dms("alice") == ["Your idea #1 “Vote me” is now being voted on."]
    [request] = h.votes.requests
    assert (request.subject, request.options, request.method) == ("idea:1", ("Yes", "No"),
                                                                  "approval")
    assert request.duration_seconds == 2 * 86400 and request.creator_id is not None
    assert "Poll: #1 (!poll show 1)" in await h.say("bob", "!idea show 1")
    out = await h.say("mod", "!idea poll 1")
    assert out.startswith("Cannot put to a vote idea #1: it is being voted on")
    assert "not a duration" in await h.say("mod", "!idea poll 1 --duration soon")
    assert "is not one of" in await h.say("mod", "!idea poll 1 --method dice")


async def test_group_alone_shows_its_help(start: Start) -> None:
    h = await start()
    out = await h.say("alice", "!idea")
    assert out.startswith("!idea — Ideas: propose, support, discuss and decide together.")
    out = await h.say("alice", "!campaign")
    assert out.startswith("!campaign — Campaigns")


async def test_unknown_subcommand_suggests(start: Start) -> None:
    h = await start()
    out = await h.say("alice", "!idea sumbit Oops")
    assert "Unknown command: idea sumbit" in out and "!idea submit" in out
