"""The command framework through a real bot and the in-memory chat."""

from __future__ import annotations

import logging

import pytest

from bot.testing import Chat, TestBot
from tests.core import sample_commands


@pytest.fixture
async def tb(make_bot) -> TestBot:  # type: ignore[no-untyped-def]
    return await make_bot(plugins={"sample": sample_commands.plugin})


@pytest.fixture
def chat(tb: TestBot) -> Chat:
    return tb.chat


async def test_ping_answers(chat: Chat) -> None:
    assert await chat.say("alice", "!ping") == "Pong!"


async def test_unknown_command_is_one_line_with_suggestion(chat: Chat) -> None:
    out = await chat.say("alice", "!pnig")
    assert "Unknown command: pnig" in out and "!ping" in out
    assert "Traceback" not in out


async def test_rest_of_line_keeps_text(chat: Chat) -> None:
    assert await chat.say("alice", "!echo hello   big  world") == "hello   big  world"
    assert await chat.say("alice", '!echo "quoted text"') == "quoted text"


async def test_missing_and_bad_arguments_show_usage(chat: Chat) -> None:
    out = await chat.say("alice", "!add")
    assert out.splitlines()[0] == "Missing argument: a."
    assert out.splitlines()[1] == "Usage: !add <a> [b]"
    out = await chat.say("alice", "!add x")
    assert "“x” is not a whole number." in out and "Usage: !add <a> [b]" in out
    assert await chat.say("alice", "!add 2 3") == "5"
    assert "Unexpected argument: 4" in await chat.say("alice", "!add 2 3 4")


async def test_unclosed_quote_is_an_error(chat: Chat) -> None:
    assert "quote is not closed" in await chat.say("alice", '!echo "oops')


async def test_member_and_amount_converters(chat: Chat) -> None:
    await chat.say("bob", "hello")
    assert await chat.say("alice", "!give @bob 5 for the help") == "bob 5 for the help"
    assert "Unknown member: @carol" in await chat.say("alice", "!give @carol 5")
    for bad in ("0", "-3", "1.5", "NaN", "1e3", "١٢", "abc", "99999999999999999999"):
        out = await chat.say("alice", f"!give @bob {bad}")
        assert out.startswith(("The amount", "“", "Amounts", "Write amounts")), (bad, out)
        assert "Usage: !give <who> <amount> [reason…]" in out


async def test_bots_are_not_valid_members(chat: Chat) -> None:
    await chat.say("robot", "beep", is_bot=True)
    # a bot never becomes a member by speaking: bots are filtered before the core.
    assert "Unknown member" in await chat.say("alice", "!give @robot 1")


async def test_groups_options_flags_and_varargs(chat: Chat) -> None:
    out = await chat.say("alice", "!thing make box a b --size 3 --fast --until 2h30m")
    assert out == "box items=['a', 'b'] size=3 fast=True until=9000.0"
    assert await chat.say("alice", "!thing make box --size=4") == (
        "box items=[] size=4 fast=False until=None")
    assert await chat.say("alice", "!thing") == "thing help"
    out = await chat.say("alice", "!thing mkae box")
    assert "Unknown command: thing mkae" in out and "!thing make" in out
    out = await chat.say("alice", "!thing make box --colour red")
    assert "Unknown option --colour" in out
    assert "Usage: !thing make <name> <items…> [--size number] [--fast] [--until duration]" in out
    assert "not a duration" in await chat.say("alice", "!thing make box --until soon")
    assert "needs a value" in await chat.say("alice", "!thing make box --size")


async def test_permission_is_checked(chat: Chat) -> None:
    assert "not allowed" in await chat.say("alice", "!secret")
    assert await chat.say("mod", "!secret") == "the secret"
    assert await chat.say("operator", "!secret") == "the secret"


async def test_cooldown(chat: Chat) -> None:
    assert await chat.say("alice", "!once") == "done"
    assert "Slow down" in await chat.say("alice", "!once")
    assert await chat.say("bob", "!once") == "done"


async def test_a_bug_gets_an_apology_and_is_logged_without_secret(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        out = await chat.say("alice", "!boom")
    assert "Sorry, something went wrong" in out and "Traceback" not in out
    assert "supersecret" not in out
    assert any("boom" in r.getMessage() for r in caplog.records)
    assert await chat.say("alice", "!ping") == "Pong!"


async def test_user_error_is_answered_plainly(chat: Chat) -> None:
    assert await chat.say("alice", "!refuse") == "Not enough BZZ."


async def test_help_is_generated(chat: Chat) -> None:
    out = await chat.say("alice", "!help")
    assert "!ping — Check that the bot is alive and answering." in out
    assert "!thing <make> — Things." in out
    assert "!secret" not in out  # members do not see moderator commands
    assert "!secret" in await chat.say("mod", "!help")
    out = await chat.say("alice", "!help ping")
    assert out.splitlines()[0] == "Usage: !ping"
    out = await chat.say("alice", "!help thing make")
    assert "Usage: !thing make <name>" in out and "Make a thing." in out
    assert "Unknown command: nope" in await chat.say("alice", "!help nope")


async def test_french_community(make_bot) -> None:  # type: ignore[no-untyped-def]
    tb = await make_bot(raw={"bot": {"locale": "fr"}}, plugins={"sample": sample_commands.plugin})
    out = await tb.chat.say("alice", "!add")
    assert out.splitlines()[0] == "Argument manquant : a."
    assert out.splitlines()[1].startswith("Utilisation : !add")
    assert "Vérifier" in await tb.chat.say("alice", "!help")


async def test_hostile_input_never_crashes(chat: Chat) -> None:
    for text in ["!", "!!", "! ping", "!\x00\x01", "!echo " + "x" * 5000, "!add \u202e1",
                 "!thing make " + "a " * 3000, "!give @ 5", "!echo 🐝" * 10]:
        out = await chat.say("alice", text)
        assert "Traceback" not in out
    assert await chat.say("alice", "!ping") == "Pong!"


async def test_plain_messages_and_other_prefixes_are_not_commands(chat: Chat) -> None:
    assert await chat.say("alice", "hello !ping") == ""
    assert await chat.say("alice", "! ping") == ""
