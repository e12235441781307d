"""The per-command shortcuts (hook calls, tokenizing, parsing) answer as the long way did."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import hookimpl
from bot.commands.converters import Word
from bot.commands.errors import BadArgument
from bot.commands.model import Command, Param, params_of
from bot.commands.parser import QUOTES, Token, tokenize

CORE = {"core": "bot.commands.builtin"}  # no plugin listening to command hooks but these


class Listeners:
    """A sync listener taking fewer arguments than given, an async one, and a future."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def on_command_completed(self, command: Any) -> None:
        self.seen.append(("sync", command))

    @hookimpl
    def on_command_error(self, ctx: Any, command: Any, error: BaseException) -> Any:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done() -> None:
            self.seen.append(("future", error))
            future.set_result(None)

        asyncio.get_running_loop().call_soon(done)
        return future


class Needy:
    """Declares an argument no caller gives: its call fails, alone."""

    @hookimpl
    def on_command_completed(self, ctx: Any, command: Any) -> None:
        raise AssertionError("never called without ctx")


async def test_notify_calls_each_listener_with_what_it_declares(make_bot: Any) -> None:
    tb = await make_bot(builtins=CORE)
    listeners = Listeners()
    tb.bot.pm.register(listeners, name="listeners")
    assert await tb.bot.hooks.notify("on_command_completed", ctx="c", command="cmd") == []
    error = ValueError("x")
    assert await tb.bot.hooks.notify("on_command_error", ctx="c", command=None,
                                     error=error) == []
    assert listeners.seen == [("sync", "cmd"), ("future", error)]


async def test_a_missing_argument_fails_that_plugin_only(
        make_bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    tb = await make_bot(builtins=CORE)
    listeners = Listeners()
    tb.bot.pm.register(listeners, name="listeners")
    tb.bot.pm.register(Needy(), name="needy")
    with caplog.at_level(logging.ERROR):
        errors = await tb.bot.hooks.notify("on_command_completed", command="cmd")
    assert [type(e) for e in errors] == [TypeError]
    assert "needs ['ctx']" in str(errors[0])
    assert ("sync", "cmd") in listeners.seen
    assert any("plugin needy" in r.getMessage() for r in caplog.records)


async def test_the_prepared_calls_follow_plugins_coming_and_going(make_bot: Any) -> None:
    tb = await make_bot(builtins=CORE)
    listeners = Listeners()
    await tb.bot.hooks.notify("on_command_completed", ctx="c", command=1)
    tb.bot.pm.register(listeners, name="listeners")
    await tb.bot.hooks.notify("on_command_completed", ctx="c", command=2)
    tb.bot.pm.unregister(listeners)
    await tb.bot.hooks.notify("on_command_completed", ctx="c", command=3)
    assert listeners.seen == [("sync", 2)]
    assert "listeners" not in tb.bot.hooks.implementers("on_command_completed")


def _fields(tokens: list[Token]) -> list[tuple[str, int, int, bool]]:
    return [(t.value, t.start, t.end, t.quoted) for t in tokens]


def _slow_tokenize(text: str, strict: bool) -> list[tuple[str, int, int, bool]]:
    """The quoting path of `tokenize`, forced by a quote appended after a space."""
    return _fields(tokenize(text + " 'x'", strict=strict)[:-1])


@given(st.text(alphabet=st.sampled_from(list("ab-=@1 \t\u00a0\u2003\u3000\n")), max_size=30),
       st.booleans())
def test_plain_words_split_as_the_quote_aware_tokenizer_would(text: str, strict: bool) -> None:
    assert not any(q in text for q in QUOTES)
    fast = _fields(tokenize(text, strict=strict))
    assert fast == _slow_tokenize(text, strict)
    for value, start, end, quoted in fast:
        assert text[start:end] == value and not quoted


def test_tokens_are_immutable_and_keep_their_fields() -> None:
    token = tokenize("ab  cd")[1]
    assert token == Token("cd", 4, 6, False)
    assert (token.value, token.start, token.end, token.quoted) == ("cd", 4, 6, False)
    with pytest.raises(AttributeError):
        token.value = "x"  # type: ignore[misc]


async def _echo(ctx: Any, word: str, *, loud: bool = False, times: int = 1) -> None:
    """Echo (test)."""


async def test_parse_follows_a_command_whose_parameters_were_replaced() -> None:
    cmd = Command("echo", _echo, params_of(_echo))
    assert await cmd.parse(None, "hi --loud") == (["hi"], {"loud": True, "times": 1})  # type: ignore[arg-type]
    assert await cmd.parse(None, "hi") == (["hi"], {"loud": False, "times": 1})  # type: ignore[arg-type]
    cmd.params = [Param("word", "positional", Word()), Param("other", "positional", Word())]
    assert await cmd.parse(None, "a b") == (["a", "b"], {})  # type: ignore[arg-type]
    with pytest.raises(BadArgument):
        await cmd.parse(None, "a b --loud")  # type: ignore[arg-type]
