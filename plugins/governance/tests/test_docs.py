"""The plugin's parts of config.example.toml, docs/hooks.md and docs/governance.md stay true."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

from bot.config import dump_defaults
from bot.testing.docs import example_section, hooks_section
from plugins.governance import hookspecs
from plugins.governance.config import Amendment, GovernanceConfig
from plugins.governance.tests.conftest import Kit, MakeKit

ROOT = Path(__file__).resolve().parents[3]
STORY = ROOT / "docs" / "governance.md"


def test_every_hookspec_is_documented_with_its_exact_signature() -> None:
    doc = hooks_section("Governance hooks")
    specs = {name: inspect.signature(f) for name, f in vars(hookspecs).items()
             if inspect.isfunction(f) and hasattr(f, "ruche_spec")}
    assert set(specs) == {"validate_proposal", "on_proposal_opened", "on_proposal_closed",
                          "on_proposal_applied"}
    for name, sig in specs.items():
        assert f"### `{name}({', '.join(sig.parameters)}) -> {sig.return_annotation}`" in doc
    assert set(re.findall(r"^### `(\w+)\(", doc, re.M)) == set(specs)


def test_example_toml_lists_every_key_with_its_default() -> None:
    text = example_section("governance")
    table = tomllib.loads(text)["plugins"]["governance"]
    defaults = dump_defaults(GovernanceConfig)
    assert defaults.pop("communities") == {}  # shown as a commented-out table instead
    assert table == defaults
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert "# [plugins.governance.communities.console]" in example


def test_validation_names_keys() -> None:
    assert GovernanceConfig().validate() == []
    bad = GovernanceConfig(allowed=["plugins.governance.quorum", "max_tip"], quorum=-1,
                           quorum_share=2.0, spend_max=-5,
                           communities={"x": Amendment(quorum_share=-1.0)})
    problems = bad.validate()
    assert {p.split(":")[0] for p in problems} == {
        "allowed", "quorum", "quorum_share", "spend_max", "communities.x.quorum_share"}


async def test_a_community_amends_its_constitution(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"communities": {"console": {
        "allowed": ["plugins.votes.list_page_size"], "majority": "two-thirds"}}})
    rules = await kit.say("bob", "!rules")
    assert "• Settings that may be changed by vote: plugins.votes.list_page_size" in rules
    assert "• Passes with: at least two thirds Yes" in rules
    assert "• Quorum: 3 ballots" in rules  # inherited from the section


def _story() -> list[tuple[str, str, list[str]]]:
    """(member, command, expected reply lines) of the console story's transcript."""
    text = STORY.read_text(encoding="utf-8")
    block = re.search(r"<!-- story -->\n```text\n(.*?)```", text, re.S)
    assert block is not None, "docs/governance.md: no story block"
    steps: list[tuple[str, str, list[str]]] = []
    for line in block.group(1).splitlines():
        said = re.match(r"^(\w+)> (.*)$", line)
        if said:
            steps.append((said.group(1), said.group(2), []))
        elif line.strip() and not line.startswith("#"):
            steps[-1][2].append(line)
    return steps


async def test_the_console_story_runs_as_written(make_kit: MakeKit) -> None:
    text = STORY.read_text(encoding="utf-8")
    config = re.search(r"<!-- story-config -->\n```toml\n(.*?)```", text, re.S)
    assert config is not None, "docs/governance.md: no story config"
    section = tomllib.loads(config.group(1))["plugins"]["governance"]
    kit: Kit = await make_kit(governance={**section, "spend_max": 0})
    await kit.known("alice")
    steps = _story()
    assert len(steps) >= 10
    for member, command, expected in steps:
        if command.startswith("(") and command.endswith(")"):  # time passes: the sweep runs
            seen = len(kit.room_texts())
            await kit.close_by_deadline()
            said = "\n".join(kit.room_texts()[seen:])
        else:
            said = await kit.say(member, command)
        lines = said.splitlines()
        for line in expected:
            if line.startswith("… "):
                found = any(line[2:] in got for got in lines)
            else:
                found = line in lines
            assert found, f"{member}> {command}: {line!r} not in {said!r}"


async def test_keys_no_vote_could_change_are_named_at_startup(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"allowed": ["plugins.tips.max_tip",
                                                 "plugins.tips.treasury_initial",
                                                 "plugins.nothing.here"]})
    assert kit.svc.unusable_keys() == [
        "allowed: plugins.nothing.here is not a setting of a loaded plugin",
        "allowed: plugins.tips.treasury_initial is operator-only, so no vote can change it"]
    assert "plugins.tips.treasury_initial is set by the operator" in await kit.say(
        "alice", "!propose config plugins.tips.treasury_initial 5")
