"""The plugin's parts of config.example.toml and docs/operators.md stay true to the code."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

from bot.config import dump_defaults
from bot.testing.docs import example_section
from plugins.budget.config import BudgetConfig

ROOT = Path(__file__).resolve().parents[3]


def test_example_toml_lists_every_key_with_its_default() -> None:
    table = tomllib.loads(example_section("budget"))["plugins"]["budget"]
    assert table == dump_defaults(BudgetConfig)


def test_defaults_are_valid_and_validation_names_keys() -> None:
    assert BudgetConfig().validate() == []
    bad = BudgetConfig(min_duration=timedelta(days=2), max_duration=timedelta(days=1),
                       max_total=0, points=0, max_ideas=0, sweep_interval=timedelta(0),
                       bar_width=2)
    keys = {p.split(":")[0] for p in bad.validate()}
    assert keys == {"min_duration", "max_total", "points", "max_ideas", "sweep_interval",
                    "bar_width"}


def test_the_operators_guide_documents_every_key_and_subcommand() -> None:
    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    section = guide.split("## Participatory budgets", 1)[1].split("\n## ", 1)[0]
    for key in dump_defaults(BudgetConfig):
        assert f"`{key}`" in section, key
    for word in ("open", "show", "support", "withdraw", "close", "ouvrir", "voir",
                 "soutenir", "retirer", "clore", "budget.open", "budget.support",
                 "budget.close"):
        assert word in section, word
