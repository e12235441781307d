"""The command tree → application commands, and interactions → text lines (pure functions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from discord_recorder import Recorder

from bot import Member
from bot.adapters.discord import DiscordConfig, DiscordPlugin
from bot.adapters.discord.slash import (
    application_commands,
    command_line,
    component_action,
    invocation,
    modal_values,
    same_commands,
)
from bot.commands import Amount, Context, Duration, Rest, command
from bot.commands.model import Command
from bot.config import Config, build, validate_config
from bot.i18n import Text

PAYLOADS = Path(__file__).parent / "payloads"
ROOT = Path(__file__).resolve().parents[2]


def recorder_commands() -> list[Command]:
    return Recorder()._commands()


@command("fund")
async def fund(ctx: Context, idea: int, goal: Annotated[int, Amount()], *, until: Duration | None
               = None, tiers: str | None = None, dry_run: bool = False) -> None:
    """Open a funding round."""


@command("tip")
async def tip(ctx: Context, to: Member, amount: Annotated[int, Amount()],
              reason: Rest | None = None) -> None:
    """Give tokens."""


def by_name(payload: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in payload}


def test_every_command_becomes_a_valid_chat_input_command() -> None:
    payload = application_commands([*recorder_commands(), fund, tip])
    for cmd in payload:
        assert cmd["type"] == 1 and 1 <= len(cmd["description"]) <= 100
        required = [o.get("required", False) for o in cmd.get("options", [])
                    if o["type"] not in (1, 2)]
        assert required == sorted(required, reverse=True)  # required options first
    f = {o["name"]: o for o in by_name(payload)["fund"]["options"]}
    assert f["idea"]["type"] == 4 and "min_value" not in f["idea"]  # plain int may be ≤ 0
    assert f["goal"]["type"] == 4 and f["goal"]["min_value"] == 1
    assert f["until"]["type"] == 3 and not f["until"]["required"]
    assert f["dry_run"]["type"] == 5
    t = {o["name"]: o for o in by_name(payload)["tip"]["options"]}
    assert (t["to"]["type"], t["amount"]["type"], t["reason"]["type"]) == (6, 4, 3)
    assert t["reason"]["max_length"] == 4000


def test_localized_descriptions_and_hidden_commands() -> None:
    hidden = command("hush", hidden=True)(fund.callback)
    payload = application_commands([fund, hidden], lambda text: {"fr": "Ouvrir"})
    assert [c["name"] for c in payload] == ["fund"]
    assert payload[0]["description_localizations"] == {"fr": "Ouvrir"}


@command("pay", names={"fr": "payer"}, options={"until": {"fr": "jusqua"},
                                                "dry_run": {"fr": "à_blanc"}})
async def pay(ctx: Context, to: Member, amount: Annotated[int, Amount()], *,
              until: Duration | None = None, dry_run: bool = False) -> None:
    """Pay someone."""


FRENCH = {"Pay someone.": "Payer quelqu’un.", "to": "à", "amount": "montant",
          "a member": "un membre", "switch this option on": "activer cette option"}


def french(text: Text) -> dict[str, str]:
    """A stand-in catalog: the French of the texts this test knows, per locale."""
    rendered = str(text)
    return {"fr": FRENCH.get(text.msgid, rendered), "pt_BR": "x", "tlh": "y"}


def test_names_and_descriptions_are_localized_for_discord() -> None:
    body = application_commands([pay], french)[0]
    assert body["name"] == "pay" and body["name_localizations"] == {"fr": "payer"}
    assert body["description_localizations"] == {"fr": "Payer quelqu’un.", "pt-BR": "x"}
    options = {o["name"]: o for o in body["options"]}
    # Options take their declared names; positional ones the catalog's placeholder.
    assert options["until"]["name_localizations"] == {"fr": "jusqua"}
    assert options["dry_run"]["name_localizations"] == {"fr": "à_blanc"}
    assert options["amount"]["name_localizations"]["fr"] == "montant"
    assert options["to"]["name_localizations"] == {"fr": "à", "pt-BR": "x"}
    assert options["to"]["description_localizations"]["fr"] == "un membre"
    assert options["dry_run"]["description_localizations"]["fr"] == "activer cette option"
    # pt_BR's placeholder "x" would be the same name twice in one command: Discord refuses
    # that, so only the first option keeps it.
    assert sum(o.get("name_localizations", {}).get("pt-BR") == "x" for o in options.values()) == 1
    assert all("tlh" not in o.get("name_localizations", {}) for o in options.values())


def test_interaction_options_become_the_equivalent_text_line() -> None:
    data = json.loads((PAYLOADS / "interaction_slash.json").read_text())["data"]
    inv = invocation(data)
    assert inv.path == ("crowd", "fund", "open") and inv.values["goal"] == 500
    values = {"idea": 42, "goal": 500, "tiers": 'Backer: 10; "Patron": 50', "dry_run": True,
              "until": "7d"}
    assert command_line(fund, values) == \
        "fund 42 500 --until 7d --tiers “Backer: 10; \"Patron\": 50” --dry-run"
    assert command_line(tip, {"to": "265982737165385729", "amount": 5}) == \
        "tip <@265982737165385729> 5"
    assert command_line(tip, {"to": "1", "amount": 5, "reason": "for the   poster"}) == \
        'tip <@1> 5 "for the   poster"'


def test_focused_option_and_components() -> None:
    inv = invocation({"name": "pick", "options": [{"name": "idea", "type": 4, "value": "1",
                                                   "focused": True}]})
    assert inv.focused == "idea"
    assert component_action("cmd:idea support 42") == ("cmd", "idea support 42")
    assert component_action("form:vote 3") == ("form", "vote 3")
    assert component_action("cmd:") is None and component_action("other") is None
    modal = json.loads((PAYLOADS / "interaction_modal.json").read_text())["data"]
    assert modal_values(modal) == ["C>A>B"]  # a text input wrapped in a label component
    assert modal_values({"components": [{"type": 1, "components": [
        {"type": 4, "custom_id": "value", "value": "A=5 B=2"}]}]}) == ["A=5 B=2"]


def test_sync_is_skipped_when_discord_already_has_the_commands() -> None:
    wanted = application_commands([fund, tip])
    stored = [{**c, "id": "1", "version": "2", "application_id": "3", "nsfw": False,
               "options": [{k: v for k, v in o.items() if not (k == "required" and v is False)}
                           for o in c["options"]]} for c in wanted]
    assert same_commands(wanted, stored)
    changed = json.loads(json.dumps(stored))
    changed[0]["options"][0]["type"] = 3
    assert not same_commands(wanted, changed)
    assert not same_commands(wanted, stored[:1])


def test_config_validation_reports_each_key() -> None:
    instance, problems = build(DiscordConfig, {"token": {"env": "T"}, "shard_ids": [3],
                                               "intents": ["message_content", "typing"],
                                               "defer_after": 3.5},
                               "platforms.discord", env={"T": "secret"})
    assert instance is None
    messages = {p.path: p.message for p in problems}
    assert messages["platforms.discord.shard_ids"].startswith("needs shard_count")
    assert messages["platforms.discord.intents"].startswith("unknown intent 'typing'")
    assert "3 s" in messages["platforms.discord.defer_after"]
    ok, _ = build(DiscordConfig, {"token": {"env": "T"}, "shard_count": 4, "shard_ids": [2, 3],
                                  "sync": "global"}, "platforms.discord", env={"T": "secret"})
    assert ok is not None and ok.token.reveal() == "secret" and ok.shard_ids == [2, 3]
    config = Config({"platforms": {"discord": {"shard_ids": [0]}}})
    paths = [p.path for p in validate_config(config, {"platforms.discord": DiscordConfig})]
    assert "platforms.discord.token" in paths


def test_no_section_no_adapter_and_no_discord_import() -> None:
    class FakeBot:
        config = Config({})

    bot = FakeBot()
    assert DiscordPlugin(bot).register_adapters(bot) == []  # type: ignore[arg-type]
    code = ("import sys, bot.adapters.discord, bot.adapters.discord.slash, "
            "bot.adapters.discord.translate; sys.exit('discord' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["shard_count", "max_messages"])
def test_negative_numbers_refused(name: str) -> None:
    instance, problems = build(DiscordConfig, {"token": {"env": "T"}, name: -1},
                               "platforms.discord", env={"T": "x"})
    assert instance is None and problems


def test_buttons_discord_cannot_show_become_text_hints() -> None:
    from bot.adapters.discord.render import renderable, view_for, with_hints
    from bot.model import Button

    buttons = (*(Button(f"B{i}", f"cmd:vote 1 {i}") for i in range(26)),
               Button("Long", "cmd:" + "x" * 100, emoji="📜"))
    shown, dropped = renderable(buttons)
    assert len(shown) == 25 and [b.label for b in dropped] == ["B25", "Long"]
    assert with_hints("Vote:", dropped) == "Vote:\nB25  📜 Long"
    view = view_for(shown)
    assert view is not None
    rows = view.to_components()
    assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)


def test_the_fake_refuses_what_discord_refuses() -> None:
    from fake_discord import command_problems

    assert command_problems(application_commands([pay, fund, tip]), "") == []
    assert command_problems([{"name": "Pay"}], "")  # uppercase
    assert command_problems([{"name": "a" * 33}], "")
    assert command_problems([{"name": "pay", "name_localizations": {"fr": "pay er"}}], "")
    assert command_problems([{"name": "pay", "name_localizations": {"xx": "payer"}}], "")
    twice = [{"name": "a", "name_localizations": {"fr": "b"}}, {"name": "b"}]
    assert command_problems(twice, "") == ["1.name (fr): duplicate 'b'"]
