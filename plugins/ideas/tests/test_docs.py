"""The plugin's parts of docs/hooks.md and config.example.toml stay in step with the code."""

from __future__ import annotations

import dataclasses
import inspect
import re
import tomllib
from datetime import timedelta
from pathlib import Path

from bot.durations import parse_duration
from bot.testing.docs import example_section, hooks_section
from plugins.ideas import hookspecs
from plugins.ideas.config import IdeasConfig

HERE = Path(__file__).resolve().parents[1]


def test_every_hookspec_is_documented_with_its_exact_signature() -> None:
    doc = hooks_section("Ideas hooks")
    specs = {name: inspect.signature(f) for name, f in vars(hookspecs).items()
             if inspect.isfunction(f) and hasattr(f, "ruche_spec")}
    assert len(specs) == 13  # 8 events and questions + the 5 read hooks of reads.py
    for name, sig in specs.items():
        heading = f"### `{name}({', '.join(sig.parameters)}) -> {sig.return_annotation}`"
        assert heading in doc, name
    documented = set(re.findall(r"^### `(\w+)\(", doc, re.M))
    assert documented == set(specs)


def test_example_toml_lists_every_key_with_its_default_and_a_comment() -> None:
    text = example_section("ideas")
    values = tomllib.loads(text)["plugins"]["ideas"]
    defaults = IdeasConfig()
    fields = [f.name for f in dataclasses.fields(IdeasConfig)]
    assert list(values) == fields
    for name in fields:
        value, default = values[name], getattr(defaults, name)
        if isinstance(default, timedelta):
            value = parse_duration(value)
        assert value == default, name
    for line in text.splitlines()[1:]:
        assert "#" in line and line.split("#", 1)[1].strip(), line
