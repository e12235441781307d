"""Grammar fuzz of the command router, built from the real command tree (`router.walk()`).

Each generated line names a real command or subcommand and fills its parameters per converter
(members, amounts, durations, choices, idea/poll numbers, quoted text), mixed with hostile
tokens (huge and negative numbers, unbalanced quotes, NUL, bidi overrides, zero-width and
non-ASCII digits, emoji, long text, options without values, repeated options). Sent as a member
and as a moderator, every line must: never reach the bug apology, answer exactly once (except
the documented multi-message commands), and — when the answer is an error — change no row of
any table. A member's line never changes moderator-only state.

`RUCHE_FUZZ_EXAMPLES` raises the example count for long runs.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import hookimpl
from bot.commands import CommandError, Context
from bot.commands.converters import Choice
from bot.commands.model import Command, Param
from bot.model import Role
from bot.testing import TestBot, make_test_bot
from plugins.pulse import PulsePlugin
from plugins.votes import VotesPlugin

EXAMPLES = int(os.environ.get("RUCHE_FUZZ_EXAMPLES", "0")) or 400
APOLOGY = "Sorry, something went wrong"

# Tables left out of the "an error changes nothing" comparison, each for a reason:
VOLATILE = {
    # replay de-duplication of platform events: written before routing, for every event
    # (the local test adapter does not even use it, but a real one would)
    "core_processed_events",
    # identities and members are created on a person's first message, before the command
    # is parsed; every sender of the fuzz has spoken during setup, so these stay identical
    # in practice — excluded only so that a future first-message write is not a false alarm
    "core_identities",
    "core_members",
    # job leases (PostgreSQL): renewed by the scheduler every few seconds, whatever is said
    "core_job_leases",
}
# What only a moderator may change: a member's line must leave these exactly as they were.
# (Not the audit log — `!link` audits a member's own action — nor funding rounds, which an
# accepted idea's author opens.)
MODERATOR_STATE = ("core_settings", "ideas_campaigns")
# Commands whose success posts more than one message in the room (found by reading them):
ROOM_MESSAGES: dict[str, int] = {
    "idea poll": 2,  # the poll itself is posted in the room, then the command's answer
    "me": 0,  # answered privately only (it may list the member's own anonymous ideas)
}

HOSTILE = st.sampled_from([
    "", "-1", "0", "-0", "+5", "1e3", "1_000", "0x10", "9" * 30, str(2**53 + 1), str(2**63),
    "١٢", "１２", "𝟓", "5.5", "5,5", "1.0000001", "NaN", "inf", "\x00", "a\x00b", "\u202e5",
    "5\u200b", "\u200b", "\ufeff@alice", "🎉", "👨‍👩‍👧", '"', "'", "“unclosed", "«", "--",
    "---x", "--page", "--page=", "--method=", "--nope", "--nope=1", "@", "@@alice",
    "@ghost", "@ruche", "#", "#0", "#-1", "x" * 300, "é" * 50, "\t", "\\", "%s", "{0}",
    "{amount}", "$1", "'; DROP TABLE tips_entries; --", "<b>x</b>", "\r\n", "\u0301",
])
MEMBERS = st.sampled_from(["@alice", "@bob", "@mod", "@carol", "@alice", "@bob", "alice",
                          "@ghost", "@ruche"])
NUMBERS = st.one_of(st.integers(1, 3).map(str), st.integers(1, 3).map(str),
                    st.integers(-3, 10**6).map(str), st.sampled_from(["#1", "#2", "# 1"]))
AMOUNTS = st.one_of(st.integers(1, 20).map(str), st.integers(1, 60).map(str),
                    st.sampled_from(["0", "1000000", "2.5"]))
DURATIONS = st.sampled_from(["3d", "2h30m", "45m", "90s", "1w", "0s", "3653d", "3654d",
                             "1h 30m", "5", "d3", "2026-12-31", "2099-01-01T10:00"])
TEXTS = st.one_of(
    st.sampled_from(["hello", "a better wiki", "“quoted words”", '"double quoted"',
                     "'single'", "«guillemets»", "multi\nline"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
            max_size=20),
)


def values_for(param: Param) -> st.SearchStrategy[str]:
    """Valid-looking raw values for one parameter, chosen by its converter."""
    conv = param.converter
    name = getattr(conv, "name", "")
    if isinstance(conv, Choice):
        return st.one_of(st.sampled_from(list(conv.choices)),
                         st.sampled_from(list(conv.choices)).map(str.upper))
    if name == "@member":
        return MEMBERS
    if name == "@member|name":
        return st.one_of(MEMBERS, st.sampled_from(["wiki", "project-1"]))
    if name == "amount":
        return AMOUNTS
    if name in ("number", "idea", "poll"):
        return NUMBERS
    if name in ("duration", "date|duration"):
        return DURATIONS
    if name == "1-5":
        return st.sampled_from(["1", "3", "5", "0", "6", "★"])
    if name == "name":
        return st.sampled_from(["spring", "winter-2026", "nope", "x.y"])
    if name == "AMOUNT:title;…":
        return st.sampled_from(["10:Backer;50:Patron", "10:Backer", "x:y", "10:;", ";;"])
    if param.kind == "rest":
        return TEXTS
    if param.kind == "varargs":  # poll options and ballot choices
        return st.sampled_from(["A", "B", "1", "2", "pizza", "sushi", "a", "C", "0"])
    return st.one_of(TEXTS.filter(lambda s: s.strip() != ""), NUMBERS)


def quote(value: str) -> str:
    """Quote a value holding spaces, so it stays one argument (as a member would)."""
    if value and not any(c.isspace() for c in value):
        return value
    if '"' not in value:
        return f'"{value}"'
    return value


@st.composite
def command_line(draw: st.DrawFn, commands: list[Command]) -> tuple[Command, str]:
    """One line for one real command: its words, then arguments, options and noise."""
    cmd = draw(st.sampled_from(commands))
    words = cmd.qualified_name.split()
    if draw(st.booleans()):  # aliases and case are part of the grammar too
        words = [w.upper() if draw(st.booleans()) else w for w in words]
    parts: list[str] = []
    for param in cmd.params:
        if param.kind == "flag":
            if draw(st.booleans()):
                parts.append(param.option_name)
            continue
        if param.kind == "option":
            if draw(st.booleans()):
                value = quote(draw(values_for(param)))
                if draw(st.booleans()):
                    parts.append(f"{param.option_name}={value}")
                else:
                    parts += [param.option_name, value]
            continue
        if not param.required and draw(st.integers(0, 3)) == 0:
            continue
        count = draw(st.integers(1, 4)) if param.kind == "varargs" else 1
        for _ in range(count):
            raw = draw(values_for(param))
            parts.append(raw if param.kind == "rest" else quote(raw))
    # hostile tokens: replace, insert or append, a few times
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        token = draw(HOSTILE)
        where = draw(st.integers(0, len(parts)))
        replace: bool = draw(st.booleans())
        if parts and replace and where < len(parts):
            parts[where] = token
        else:
            parts.insert(where, token)
    options = [p.option_name for p in cmd.params if p.kind in ("option", "flag")]
    if options and draw(st.integers(0, 4)) == 0:  # a repeated option, or one with no value
        parts.append(draw(st.sampled_from(options)))
    return cmd, " ".join(["!" + " ".join(words), *parts]).rstrip()


@dataclass(eq=False)  # hashed by identity, as pluggy expects of a plugin object
class Outcomes:
    """Records how each command ended (the router's own hooks), to tell errors apart."""

    errors: list[BaseException] = field(default_factory=list)
    done: list[str] = field(default_factory=list)

    @hookimpl
    def on_command_error(self, ctx: Context, command: Command | None,
                         error: BaseException) -> None:
        self.errors.append(error)

    @hookimpl
    def on_command_completed(self, ctx: Context, command: Command) -> None:
        self.done.append(command.qualified_name)


async def snapshot(tb: TestBot) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table (volatile ones left out), as sorted text tuples."""
    await tb.bot.plugin(PulsePlugin).service.recorder.flush()  # pulse writes its feed in the background
    await tb.bot.plugin(VotesPlugin).service.live.idle()  # a live tally edit stores its revision
    db = tb.bot.db
    if db.dialect == "sqlite":
        names = [r["name"] for r in await db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    else:
        names = [r["table_name"] for r in await db.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
    out = {}
    for name in names:
        if name in VOLATILE or name.startswith("sqlite_"):
            continue
        rows = await db.fetch(f'SELECT * FROM "{name}"')  # names from the catalog
        out[name] = sorted(tuple(str(r[i]) for i in range(len(r))) for r in rows)
    return out


async def seed(tb: TestBot) -> None:
    """A little state so ids and names resolve: members, an idea, a campaign, a poll, money."""
    chat = tb.chat
    for name in ("alice", "bob", "carol", "mod", "operator"):
        await chat.say(name, "hello")
    await chat.say("mod", "!campaign open spring Spring ideas")
    await chat.say("alice", "!idea submit A better wiki --campaign spring")
    await chat.say("bob", "!idea submit More coffee")
    await chat.say("mod", "!idea approve 1")
    await chat.say("mod", '!poll new "Lunch?" pizza sushi')
    await chat.say("mod", "!grant @alice 50 seed")
    await chat.say("mod", "!grant @bob 50 seed")


def moderator_only(tb: TestBot, cmd: Command) -> bool:
    """Whether a member's use must be refused (a permission members lack by default)."""
    node: Command | None = cmd
    while node is not None:
        if node.permission and tb.bot.permissions.default_role(node.permission) > Role.MEMBER:
            return True
        node = node.parent
    return False


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_fuzzed_command_lines_answer_once_and_errors_change_nothing(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    outcomes = Outcomes()
    with asyncio.Runner() as runner:
        url = None
        if os.environ.get("RUCHE_TEST_BACKEND") == "postgresql":
            from bot.testing.pytest_plugin import fresh_pg_database

            url = runner.run(fresh_pg_database(request.getfixturevalue("ruche_pg_url")))
        tb = runner.run(make_test_bot(tmp_path, plugins={"outcomes": outcomes},
                                      storage_url=url))
        try:
            runner.run(seed(tb))
            commands = tb.bot.router.walk()
            assert len(commands) > 30  # the whole tree: core and every built-in plugin

            # One bot for all examples (state accumulates, as in a real room): a failure
            # names its line, which reproduces on a fresh seeded bot.
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(line=command_line(commands), who=st.sampled_from(["alice", "mod"]))
            def fuzz(line: tuple[Command, str], who: str) -> None:
                runner.run(one_line(tb, outcomes, line[0], who, line[1]))

            fuzz()
        finally:
            runner.run(tb.stop())


async def one_line(tb: TestBot, outcomes: Outcomes, cmd: Command, who: str, line: str) -> None:
    """Send one line and check every rule for it."""
    before = await snapshot(tb)
    outcomes.errors.clear()
    outcomes.done.clear()
    sent = await tb.chat.adapter.say(who, line)
    texts = [m.text for m in sent]
    assert not any(APOLOGY in t for t in texts), (who, line, texts)
    assert not any(not isinstance(e, CommandError) for e in outcomes.errors), (who, line,
                                                                               outcomes.errors)
    after = await snapshot(tb)
    in_room = [m.text for m in sent if m.to is None]
    if outcomes.errors or not outcomes.done:
        assert len(texts) == 1 and len(in_room) == 1, (who, line, texts)
        changed = sorted(t for t in after if after[t] != before.get(t))
        assert changed == [], (who, line, texts, changed)
    else:
        # Direct messages to the people concerned (authors told of a decision, a link code)
        # come on top of the one answer in the room.
        assert len(in_room) == ROOM_MESSAGES.get(outcomes.done[-1], 1), (who, line, texts)
    if who != "mod":
        for table in MODERATOR_STATE:
            assert after.get(table) == before.get(table), (who, line, table)
        if moderator_only(tb, cmd):
            assert outcomes.errors, (who, line, texts)
