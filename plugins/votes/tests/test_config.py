"""[plugins.votes]: example.toml documents every key with its default; bad values are refused."""

from __future__ import annotations

import dataclasses
import tomllib
from typing import Any

import pytest

from bot.config import ConfigErrors, build, dump_defaults
from bot.testing.docs import example_section
from plugins.votes.config import VotesConfig
from plugins.votes.tests.conftest import BUILTINS

EXAMPLE = example_section("votes")


def test_example_lists_every_key_with_its_default() -> None:
    section = tomllib.loads(EXAMPLE)["plugins"]["votes"]
    assert list(section) == [f.name for f in dataclasses.fields(VotesConfig)]
    assert section == dump_defaults(VotesConfig)
    value, problems = build(VotesConfig, section, "plugins.votes")
    assert problems == [] and value == VotesConfig()
    for line in EXAMPLE.splitlines()[1:]:
        assert "# " in line, f"no comment: {line}"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("max_options", 30, "max_options: must be between 2 and 26"),
    ("default_duration", "200d", "default_duration: must lie between"),
    ("quadratic_currency", "gold", "quadratic_currency"),
    ("tally_edit_interval", -1.0, "tally_edit_interval"),
    ("score_max", 0, "score_max"),
])
def test_bad_values_are_reported_with_their_key(key: str, value: Any, message: str) -> None:
    _value, problems = build(VotesConfig, {key: value}, "plugins.votes")
    assert any(message in str(p) for p in problems), problems


async def test_a_bad_section_stops_the_bot(make_bot: Any) -> None:
    with pytest.raises(ConfigErrors, match=r"plugins\.votes\.max_options"):
        await make_bot(raw={"plugins": {"votes": {"max_options": 1}}}, builtins=BUILTINS)
