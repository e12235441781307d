"""The plugin's contributions to docs/hooks.md and config.example.toml stay true to the code."""

from __future__ import annotations

import inspect
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import dump_defaults
from bot.testing.docs import example_section, hooks_section
from plugins.tips import hookspecs
from plugins.tips.config import TipsConfig

HERE = Path(__file__).resolve().parents[1]


def test_every_hookspec_is_documented_with_its_exact_signature() -> None:
    doc = hooks_section("Tips hooks")
    specs = {name: fn for name, fn in vars(hookspecs).items()
             if inspect.isfunction(fn) and hasattr(fn, "ruche_spec")}
    assert len(specs) >= 5
    for name, fn in specs.items():
        sig = inspect.signature(fn)
        args = ", ".join(sig.parameters)
        assert f"### `{name}({args}) -> {sig.return_annotation}`" in doc, name


def test_example_toml_lists_every_key_with_its_default() -> None:
    text = example_section("tips")
    table = tomllib.loads(text)["plugins"]["tips"]
    defaults = dump_defaults(TipsConfig)
    assert table == {k: v for k, v in defaults.items() if v is not None}
    for key, value in defaults.items():
        if value is None:
            assert f"# {key} = " in text, key


def test_defaults_are_valid_and_validation_names_keys() -> None:
    assert TipsConfig().validate() == []
    bad = TipsConfig(max_tip=0, demurrage_rate=1.5, amount_decimals=9, currency="",
                     allowance_period=timedelta(seconds=5), reaction_tip_amount=2000,
                     credit_limit=-1)
    keys = {p.split(":")[0] for p in bad.validate()}
    assert keys == {"max_tip", "demurrage_rate", "amount_decimals", "currency",
                    "allowance_period", "reaction_tip_amount", "credit_limit"}


@pytest.mark.parametrize(("key", "value", "error"), [
    ("plugins.tips.max_tip", "0", "max_tip: must be a whole number ≥ 1"),
    ("plugins.tips.demurrage_rate", "2", "demurrage_rate: must be at least 0 and below 1"),
    ("plugins.tips.mutual_credit", "maybe", "expected yes or no"),
])
async def test_chat_config_is_validated(kit, key: str, value: str, error: str) -> None:  # type: ignore[no-untyped-def]
    out = await kit.say("mod", f"!config {key} {value}")
    assert error in out
    assert "set to 300" in await kit.say("mod", "!config plugins.tips.max_tip 300")
    await kit.fund("alice", 400)
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 301") == "A tip is at most 300 BZZ."
