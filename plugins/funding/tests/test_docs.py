"""The plugin's parts of docs/hooks.md and config.example.toml stay true to the code."""

from __future__ import annotations

import inspect
import re
import tomllib
from datetime import timedelta

from bot.config import dump_defaults
from bot.testing.docs import example_section, hooks_section
from plugins.funding import hookspecs
from plugins.funding.config import FundingConfig
from plugins.funding.tests.conftest import Kit
from plugins.tips import hookspecs as tips_hookspecs


def _specs(module: object) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(f) for name, f in vars(module).items()
            if inspect.isfunction(f) and hasattr(f, "ruche_spec")}


def test_every_hookspec_is_documented_with_its_exact_signature() -> None:
    doc = hooks_section("Funding hooks")
    specs = _specs(hookspecs)
    assert set(specs) == {"on_funding_opened", "on_pledge", "on_funding_succeeded",
                          "on_funding_failed", "list_funding_rounds", "member_pledges",
                          "fund_round_from_treasury", "idea_backers"}
    for name, sig in specs.items():
        heading = f"### `{name}({', '.join(sig.parameters)}) -> {sig.return_annotation}`"
        assert heading in doc, name
    assert set(re.findall(r"^### `(\w+)\(", doc, re.M)) == set(specs)


def test_the_tips_hooks_funding_needs_are_documented() -> None:
    doc = hooks_section("Tips hooks")
    specs = _specs(tips_hookspecs)
    for name in ("transfer_tokens", "get_account_balance", "get_currency"):
        args = ", ".join(specs[name].parameters)
        assert f"### `{name}({args}) -> {specs[name].return_annotation}`" in doc, name


def test_example_toml_lists_every_key_with_its_default() -> None:
    table = tomllib.loads(example_section("funding"))["plugins"]["funding"]
    assert table == dump_defaults(FundingConfig)


def test_defaults_are_valid_and_validation_names_keys() -> None:
    assert FundingConfig().validate() == []
    bad = FundingConfig(fundable_statuses=["funded"], min_duration=timedelta(days=2),
                        max_duration=timedelta(days=1), max_goal=0, max_tiers=99,
                        list_size=0, show_backers=-1, bar_width=2)
    keys = {p.split(":")[0] for p in bad.validate()}
    assert keys == {"fundable_statuses", "min_duration", "default_duration", "max_goal",
                    "max_tiers", "list_size", "show_backers", "bar_width"}


async def test_chat_config_is_validated_and_applies(kit: Kit) -> None:
    assert "max_goal: must be at least 1" in await kit.say("mod", "!config plugins.funding."
                                                                  "max_goal 0")
    assert "set to 50" in await kit.say("mod", "!config plugins.funding.max_goal 50")
    await kit.accepted_idea("Oven")
    assert await kit.say("alice", "!fund open 1 60") == "A goal is at most 50 BZZ."
