"""Every command through the in-memory chat: the flows members and moderators go through."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from bot.adapters.base import Capabilities
from bot.adapters.local import LocalAdapter
from bot.model import MessageRef, OutgoingMessage, RoomRef
from bot.testing import TestBot
from plugins.votes import VotesPlugin, store
from plugins.votes.tests.conftest import BUILTINS, RAW, Recorder, current_result, settle


async def ballots_of(tb: TestBot, number: int) -> tuple[int, int]:
    """(ballot count, revision): both unchanged proves a refused ballot wrote nothing."""
    poll = await store.find_poll(tb.bot.db, "console", number)
    assert poll is not None
    rev = await store.revision(tb.bot.db, poll.id)
    assert rev is not None
    return await store.count_ballots(tb.bot.db, poll.id), rev[0]


async def test_single_poll_flow(tb: TestBot, recorder: Recorder) -> None:
    chat = tb.chat
    out = await chat.say("alice", '!poll new "Lunch?" "Pizza" "Sushi" "Tacos"')
    assert "📊 Poll #1 — Lunch?" in out and "A · Pizza" in out and "Vote: !vote 1 B" in out
    poll_message = chat.last()
    assert poll_message.reactions == ["1️⃣", "2️⃣", "3️⃣"]
    assert poll_message.buttons == ()  # no buttons here: keycaps and the usage line instead
    assert await chat.say("bob", "!vote 1 B") == "Your ballot on poll #1 is recorded."
    assert await chat.say("carol", "!vote #1 2") == "Your ballot on poll #1 is recorded."
    assert "replaces" in await chat.say("carol", "!vote 1 a")
    await settle(tb)
    assert "B · Sushi  █████░░░░░ 1 (50%)" in poll_message.current
    assert "A · Pizza  █████░░░░░ 1 (50%)" in poll_message.current
    assert "2 ballots" in poll_message.current
    assert "withdrawn" in await chat.say("carol", "!unvote 1")
    assert "You have no ballot on poll #1." == await chat.say("carol", "!unvote 1")
    out = await chat.say("dave", "!poll results 1")
    assert "Results of poll #1 (open)" in out and "Leading: B · Sushi" in out
    await chat.say("alice", "!poll close 1")
    await settle(tb)
    assert "(closed)" in poll_message.current and "Winner: B · Sushi" in poll_message.current
    assert "Poll #1 is closed." in await chat.say("bob", "!vote 1 A")
    assert [n for n in recorder.names() if n != "ballot"] == ["opened", "closed"]
    poll, result = recorder.named("closed")[0]
    assert poll.status == "closed" and result.totals == (0, 1, 0) and result.winner == 1
    ballots = recorder.named("ballot")
    assert [b.withdrawn for b in ballots] == [False, False, False, True]


@pytest.mark.parametrize(("method", "votes", "expect"), [
    ("approval", ["A C", "B,C", "C"], "Winner: C · Three"),
    ("ranked", ["A>B>C", "B>C>A", "C>B>A", "B"], "Winner: B · Two"),
    ("score", ["A=5 B=1", "A=0 B=4 C=5", "C=4"], "Winner: C · Three"),
    ("quadratic", ["A=5 C=-5", "B=3 C=4", "C=7"], "Winner: C · Three"),
])
async def test_every_method_end_to_end(tb: TestBot, method: str, votes: list[str],
                                       expect: str) -> None:
    chat = tb.chat
    await chat.say("alice", f'!poll new "Q" "One" "Two" "Three" --method {method}')
    for i, ballot in enumerate(votes):
        assert "recorded" in await chat.say(f"m{i}", f"!vote 1 {ballot}")
    out = await chat.say("alice", "!poll close 1")
    assert expect in out, out
    if method == "ranked":
        assert "Round by round (instant runoff):" in out and "Round 1: A 1 · B 2 · C 1" in out
        assert "eliminated: C" in out and "Round 2: A 1 · B 3 — B has a majority" in out
    if method == "score":
        assert "total 9 · mean 3.00" in out
    if method == "quadratic":
        assert "C · Three" in out and "+6" in out


async def test_reactions_only_where_they_can_be_ballots(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B" --method ranked')
    assert chat.last().reactions == []
    await chat.say("alice", '!poll new "Q" "A" "B" --anonymous')
    assert chat.last().reactions == [] and "Secret ballot" in chat.last().text
    await chat.say("alice", '!poll new "Q" "A" "B" --method approval')
    assert chat.last().reactions == ["1️⃣", "2️⃣"]


@pytest.mark.parametrize(("command", "message"), [
    ('!poll new "Q" "Only one"', "between 2 and 10 options"),
    ('!poll new "Q" "Same" "same"', "Two options are the same."),
    ('!poll new "Q" "A" "B" --method borda', "“borda” is not one of"),
    ('!poll new "Q" "A" "B" --duration 200d', "A poll lasts between 1m and 90d."),
    ('!poll new "Q" "A" "B" --duration soon', "not a duration"),
    ('!poll new "Q" "A" "B" --max-choices 1', "--max-choices only applies"),
    ('!poll new "Q" "A" "B" --method approval --max-choices 3', "between 1 and the number"),
    ('!poll new "Q" "A" "B" --quorum -1', "The quorum must be"),
    ('!poll new "" "A" "B"', "The poll needs a question."),
    ('!poll new "Q" "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K"', "between 2 and 10 options"),
    ('!poll new "Q" "A" "B" --colour red', "Unknown option --colour"),
])
async def test_bad_polls_are_refused(tb: TestBot, command: str, message: str) -> None:
    out = await tb.chat.say("alice", command)
    assert message in out, out
    assert await store.find_poll(tb.bot.db, "console", 1) is None


async def test_unbalanced_quotes_are_an_error_with_usage(tb: TestBot) -> None:
    out = await tb.chat.say("alice", '!poll new "Unclosed "A" "B"')
    assert out.splitlines() == [
        'The quotes do not pair up near "Unclosed "A": close each quoted text, then leave '
        "a space.",
        "Usage: !poll new <question> <options…> [--method single|approval|ranked|score|"
        "quadratic] [--duration duration] [--anonymous] [--hidden] [--quorum number] "
        "[--max-choices number]"]
    assert await store.find_poll(tb.bot.db, "console", 1) is None


async def test_a_negative_quorum_is_refused_with_the_usage(tb: TestBot) -> None:
    out = await tb.chat.say("alice", '!poll new "Q" "A" "B" --quorum -1')
    first, usage = out.splitlines()
    assert first == "The quorum must be a whole number of ballots, 0 or more."
    assert usage.startswith("Usage: !poll new ")
    assert await store.find_poll(tb.bot.db, "console", 1) is None


async def test_poll_texts_drop_bidi_and_zero_width_characters(tb: TestBot) -> None:
    await tb.chat.say("alice", '!poll new "Lunch\u202e?" "Pi\u200bzza" "Su\u2066shi"')
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None
    assert (poll.question, poll.options) == ("Lunch?", ("Pizza", "Sushi"))


@pytest.mark.parametrize(("method", "ballot", "message"), [
    ("single", "Z", "This poll has no option “Z” (use A–C or 1–3)."),
    ("single", "A B", "exactly one choice"),
    ("ranked", "A>B>A", "Option A appears twice on your ballot."),
    ("score", "A=9", "Scores go from 0 to 5, not 9."),
    ("score", "A=x", "“x” is not a whole number."),
    ("approval", "A B C", "This poll allows at most 2 choices."),
    ("quadratic", "A=10 B=1", "costs 101 (votes²), more than the budget of 100"),
])
async def test_invalid_ballots_change_nothing(tb: TestBot, method: str, ballot: str,
                                              message: str) -> None:
    chat = tb.chat
    extra = " --max-choices 2" if method == "approval" else ""
    await chat.say("alice", f'!poll new "Q" "A" "B" "C" --method {method}{extra}')
    first = "A=1" if method in ("score", "quadratic") else "A"
    assert "recorded" in await chat.say("bob", f"!vote 1 {first}")
    before = await ballots_of(tb, 1)
    assert message in await chat.say("bob", f"!vote 1 {ballot}")
    assert message in await chat.say("carol", f"!vote 1 {ballot}")
    assert await ballots_of(tb, 1) == before
    assert (await current_result(tb, 1)).ballots == 1


async def test_unknown_and_closed_polls(tb: TestBot) -> None:
    chat = tb.chat
    assert await chat.say("bob", "!vote 7 A") == "There is no poll #7."
    assert "is not a poll number" in await chat.say("bob", "!vote x A")
    assert await chat.say("bob", "!unvote 7") == "There is no poll #7."
    assert await chat.say("bob", "!poll show 7") == "There is no poll #7."
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.say("bob", "!vote 1 A")
    await chat.say("alice", "!poll close 1")
    before = await ballots_of(tb, 1)
    assert await chat.say("bob", "!vote 1 B") == "Poll #1 is closed."
    assert await chat.say("bob", "!unvote 1") == "Poll #1 is closed."
    assert await chat.say("alice", "!poll close 1") == "Poll #1 has already ended."
    assert await chat.say("alice", "!poll cancel 1") == "Poll #1 has already ended."
    assert await ballots_of(tb, 1) == before


async def test_close_and_cancel_permissions_and_audit(tb: TestBot, recorder: Recorder) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "A" "B"')
    await chat.say("alice", '!poll new "Q2" "A" "B"')
    refused = "Only the poll's creator or a moderator can do that."
    assert await chat.say("bob", "!poll close 1") == refused
    assert await chat.say("bob", "!poll cancel 1") == refused
    assert "closed" in await chat.say("mod", "!poll close 1")
    assert await chat.say("alice", "!poll cancel 2") == "Poll #2 was cancelled."
    entries = await tb.bot.audit.recent("console")
    assert [(e.action, e.detail) for e in entries] == [("votes.close", "poll #1")]
    assert recorder.names().count("cancelled") == 1
    assert "cancelled: it has no results" in await chat.say("bob", "!poll results 2")
    assert "This poll was cancelled." in chat.adapter.message(2).current


async def test_show_and_list(tb: TestBot) -> None:
    chat = tb.chat
    assert await chat.say("bob", "!poll list") == "No polls here yet."
    for i in range(12):
        await chat.say("alice", f'!poll new "Question {i}" "A" "B"')
    await chat.say("bob", "!vote 12 A")
    await chat.say("alice", "!poll close 1")
    out = await chat.say("bob", "!poll list")
    assert out.splitlines()[0] == "Open polls, page 1 of 2:"
    assert "• #12 Question 11 — 1 ballot · closes" in out
    assert "#2 " not in out
    assert "#2 Question 1" in await chat.say("bob", "!poll list --page 2")
    assert await chat.say("bob", "!poll list --page 3") == "No such page."
    out = await chat.say("bob", "!poll list closed")
    assert "Ended polls, page 1 of 1:" in out and "#1 Question 0 — 0 ballots · closed" in out
    assert "All polls, page 1 of 2:" in await chat.say("bob", "!poll list all")
    out = await chat.say("bob", "!poll show 12")
    assert "📊 Poll #12 — Question 11" in out and "1 ballot" in out
    out = await chat.say("bob", "!poll")
    assert "!poll new <question> <options…>" in out and "!poll close <number>" in out


async def test_hidden_results(tb: TestBot) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Secret tally" "A" "B" --hidden')
    message = chat.last()
    await chat.say("bob", "!vote 1 B")
    await settle(tb)
    assert "Results stay hidden until the poll closes." in message.current
    assert "1 ballot" in message.current and "█" not in message.current
    assert "stay hidden until it closes" in await chat.say("bob", "!poll results 1")
    assert "█" not in await chat.say("bob", "!poll show 1")
    await chat.say("alice", "!poll close 1")
    await settle(tb)
    assert "Winner: B" in message.current and "█" in message.current
    assert "Winner: B" in await chat.say("bob", "!poll results 1")


async def test_quorum_not_reached(tb: TestBot, recorder: Recorder) -> None:
    chat = tb.chat
    await chat.say("alice", '!poll new "Q" "Yes" "No" --quorum 3')
    await chat.say("bob", "!vote 1 A")
    await chat.say("carol", "!vote 1 A")
    out = await chat.say("alice", "!poll close 1")
    assert "Quorum not reached (2 of 3 ballots): no decision." in out
    _poll, result = recorder.named("closed")[0]
    assert not result.quorum_met and result.winner is None and result.totals == (2, 0)


async def test_create_role_from_config_and_per_community(make_bot: Any) -> None:
    raw = {"plugins": {"votes": {"create_role": "moderator", "tally_edit_interval": 0.0}}}
    tb = await make_bot(raw=raw, builtins=BUILTINS)
    assert "not allowed" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    assert "📊 Poll #1" in await tb.chat.say("mod", '!poll new "Q" "A" "B"')
    await tb.chat.say("operator", "!config plugins.votes.create_role member")
    assert "📊 Poll #2" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')


async def test_french_replies(make_bot: Any) -> None:
    tb = await make_bot(raw={**RAW, "bot": {"locale": "fr"}}, builtins=BUILTINS)
    chat = tb.chat
    out = await chat.say("alice", '!poll new "Déjeuner ?" "Pizza" "Sushi"')
    assert "📊 Sondage n°1 — Déjeuner ?" in out and "choix unique · 0 bulletin" in out
    assert "Voter : !voter 1 B — ou réagissez avec 1️⃣…2️⃣" in out
    assert await chat.say("bob", "!vote 1 B") == \
        "Votre bulletin pour le sondage n°1 est enregistré."
    assert await chat.say("bob", "!vote 1 Z") == \
        "Ce sondage n’a pas d’option « Z » (utilisez A–B ou 1–2)."
    assert await chat.say("bob", "!vote 9 A") == "Il n’y a pas de sondage n°9."
    out = await chat.say("alice", "!poll close 1")
    assert "Gagnant : B · Sushi" in out
    assert "Seuls l’auteur" in await chat.say("bob", "!poll cancel 1")
    assert "Retirer votre bulletin d’un sondage." in await chat.say("bob", "!help unvote")


class ButtonRoom(LocalAdapter):
    """A platform with buttons (Discord-like) that records what it was asked to show."""

    capabilities = Capabilities(reactions=True, edits=True, buttons=True)

    def __init__(self) -> None:
        super().__init__("buttons", "room")
        self.outgoing: list[OutgoingMessage] = []

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        self.outgoing.append(message)
        return await super().send(room, message)

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        self.outgoing.append(message)
        return await super().edit(ref, message)


class ButtonPlatform:
    def __init__(self) -> None:
        self.adapter = ButtonRoom()

    @hookimpl
    def register_adapters(self, bot: Any) -> list[LocalAdapter]:
        return [self.adapter]


async def test_buttons_where_the_platform_has_them(make_bot: Any) -> None:
    platform = ButtonPlatform()
    await make_bot(raw=RAW, builtins=BUILTINS, plugins={"buttons": platform})
    room = platform.adapter
    await room.say("alice", '!poll new "Q" "Pizza" "Sushi"')
    first = room.outgoing[0]
    assert [b.custom_id for b in first.buttons] == [
        "cmd:vote 1 A", "cmd:vote 1 B", "cmd:unvote 1", "cmd:poll results 1"]
    assert first.buttons[0].label == "A · Pizza" and first.buttons[0].emoji == "1️⃣"
    await room.say("alice", '!poll new "Q" "A" "B" --method ranked --hidden')
    assert [b.custom_id for b in room.outgoing[-1].buttons] == ["form:vote 2", "cmd:unvote 2"]
    await room.say("bob", "!vote 1 B")  # what a click on "B · Sushi" runs
    await settle_room(room)
    edits = [m for m in room.outgoing if m.text.startswith("📊 Poll #1")]
    assert len(edits) >= 2 and edits[-1].buttons == first.buttons
    await room.say("alice", "!poll close 1")
    final = [m for m in room.outgoing if m.text.startswith("📊 Poll #1 (closed)")]
    assert final and final[-1].buttons == ()


async def settle_room(room: LocalAdapter) -> None:
    await room.bot.plugin(VotesPlugin).service.live.idle()
