"""Checks fail closed: a broken or slow check refuses; hook wrappers are refused at load."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import hookimpl
from bot.errors import StartupError
from bot.testing import make_test_bot
from tests.core import sample_commands


class BrokenPermission:
    """Its permission hook raises for every check."""

    @hookimpl
    def permission_allowed(self, permission: str) -> bool | None:
        raise RuntimeError("permission backend down")


class Vip:
    """Would let everyone through: a failure elsewhere must still deny."""

    @hookimpl
    def permission_allowed(self) -> bool:
        return True


class SlowCheck:
    """Its command check never answers in time."""

    @hookimpl
    async def command_check(self, ctx: Any) -> bool | None:
        if ctx.message.text.startswith("!echo"):
            await asyncio.sleep(30)
        return None


class BrokenCheck:
    @hookimpl
    def command_check(self) -> bool | None:
        raise ValueError("check exploded")


async def test_a_raising_permission_hook_denies(make_bot: Any,
                                                caplog: pytest.LogCaptureFixture) -> None:
    tb = await make_bot(plugins={"sample": sample_commands.plugin, "vip": Vip(),
                                 "broken": BrokenPermission()})
    with caplog.at_level(logging.ERROR):
        answer = await tb.chat.say("mod", "!secret")
    assert answer == "You are not allowed to do that (test.mod)."
    assert any("plugin broken" in r.getMessage() and "refusal" in r.getMessage()
               for r in caplog.records)


async def test_permission_without_broken_hook_still_allows(make_bot: Any) -> None:
    tb = await make_bot(plugins={"sample": sample_commands.plugin})
    assert await tb.chat.say("mod", "!secret") == "the secret"


async def test_a_command_check_that_times_out_refuses(make_bot: Any) -> None:
    tb = await make_bot(plugins={"sample": sample_commands.plugin, "slow": SlowCheck()},
                        raw={"hooks": {"timeout": 0.2}})
    answer = await asyncio.wait_for(tb.chat.say("alice", "!echo hi"), 5)
    assert answer == "This command is not available to you right now."
    assert await tb.chat.say("alice", "!ping") == "Pong!"


async def test_a_raising_command_check_refuses(make_bot: Any) -> None:
    tb = await make_bot(plugins={"broken": BrokenCheck()})
    assert await tb.chat.say("alice", "!ping") == (
        "This command is not available to you right now.")


class NewStyleWrapper:
    @hookimpl(wrapper=True)
    def command_check(self) -> Iterator[None]:
        result = yield
        return result


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def on_message(self) -> Iterator[None]:
        yield


@pytest.mark.parametrize(("plugin", "kind"), [(NewStyleWrapper(), "wrapper=True"),
                                              (OldStyleWrapper(), "hookwrapper=True")])
async def test_a_wrapper_hookimpl_is_refused_at_load(tmp_path: Path, plugin: object,
                                                     kind: str) -> None:
    with pytest.raises(StartupError) as err:
        await make_test_bot(tmp_path, plugins={"wrapping": plugin})
    message = str(err.value)
    assert "'wrapping'" in message and kind in message and "docs/hooks.md" in message
    assert "\n" not in message


async def test_a_wrapper_registered_after_load_is_never_run_as_a_function(
        make_bot: Any) -> None:
    tb = await make_bot()
    tb.bot.pm.register(NewStyleWrapper(), name="late")
    with pytest.raises(StartupError):
        await tb.bot.hooks.verdicts("command_check", ctx=None, command=None)
