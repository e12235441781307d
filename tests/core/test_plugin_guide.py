"""docs/plugins.md is enough to write a plugin: its example is the sample plugin, verbatim, and a
plugin written from the page alone (`guide_plugin.py`) loads, configures, migrates and runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigErrors
from bot.testing import MakeBot
from tests.core import guide_plugin
from tests.core.guide_plugin import QuotesPlugin

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
SAMPLE = ROOT / "tests" / "sample_plugin" / "ruche_sample" / "__init__.py"


def test_the_guide_shows_the_sample_plugin_as_it_is() -> None:
    """The example a reader copies is the code the suite installs and runs."""
    section = GUIDE.read_text(encoding="utf-8").split("## A complete plugin", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None, "docs/plugins.md: no code block under '## A complete plugin'"
    assert block.group(1) == SAMPLE.read_text(encoding="utf-8")


async def test_a_plugin_written_from_the_guide_runs(make_bot: MakeBot) -> None:
    tb = await make_bot(plugins={"quotes": guide_plugin.plugin},
                        raw={"plugins": {"quotes": {"max_length": 30}}})
    chat, bot = tb.chat, tb.bot
    assert "Quote 1 kept." in await chat.say("alice", "!quote add The hive decides.")
    assert "The hive decides." in await chat.say("bob", "!quote show 1")
    assert "at most 30 characters" in await chat.say("alice", "!quote add " + "x" * 31)
    assert "There is no quote 9." in await chat.say("bob", "!quote show 9")
    assert "1 quotes since start." in await chat.say("bob", "!quote count")
    # The permission it declared guards the command; moderators pass.
    refused = await chat.say("bob", "!quote forget 1")
    assert "Quote 1 forgotten" not in refused
    assert "Quote 1 forgotten." in await chat.say("mod", "!quote forget 1")
    assert "There is no quote 1." in await chat.say("bob", "!quote show 1")
    # Its per-bot state is on this bot's instance; its job is scheduled.
    plugin = bot.plugin(QuotesPlugin)
    assert plugin.quotes.added == 1 and plugin.bot is bot
    assert await bot.scheduler.run_now("quotes.trim")


async def test_its_state_is_per_bot_and_its_config_is_checked(make_bot: MakeBot) -> None:
    first = await make_bot(plugins={"quotes": QuotesPlugin})
    second = await make_bot(plugins={"quotes": QuotesPlugin})
    await first.chat.say("alice", "!quote add One")
    assert first.bot.plugin(QuotesPlugin).quotes.added == 1
    assert second.bot.plugin(QuotesPlugin).quotes.added == 0
    with pytest.raises(ConfigErrors, match=r"plugins\.quotes\.keep"):
        await make_bot(plugins={"quotes": QuotesPlugin}, raw={"plugins": {"quotes": {"keep": 0}}})
