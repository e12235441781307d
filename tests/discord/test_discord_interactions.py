"""Slash commands, buttons, modals and autocompletion through real discord.py interactions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from discord_env import BUILTINS, Env, MakeEnv, discord_section
from fake_discord import GUILD_ID

from bot.adapters.discord import sync_commands
from bot.app import Bot
from bot.config import Config

EPHEMERAL = 64
STRING, INTEGER, BOOLEAN, USER, SUB_COMMAND, SUB_COMMAND_GROUP = 3, 4, 5, 6, 1, 2


def opt(name: str, value: Any, otype: int = STRING, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": otype, "value": value, **extra}


async def test_slash_sync_payload_has_typed_options(env: Env) -> None:
    fake = env.fake
    puts = fake.calls("PUT", rf"^/applications/\d+/guilds/{GUILD_ID}/commands$")
    assert len(puts) == 1
    commands = {c["name"]: c for c in puts[0].body}
    assert {"ping", "help", "audit", "count", "greet", "tools", "ballot"} <= set(commands)
    greet = {o["name"]: o for o in commands["greet"]["options"]}
    assert [o["name"] for o in commands["greet"]["options"]] == ["who", "times", "note", "loud"]
    assert greet["who"]["type"] == USER and greet["who"]["required"]
    assert greet["times"]["type"] == INTEGER and greet["times"]["min_value"] == 1
    assert greet["note"]["type"] == STRING and not greet["note"]["required"]
    assert greet["loud"]["type"] == BOOLEAN and not greet["loud"]["required"]
    assert commands["greet"]["description"] == "Greet a member (test)."
    assert commands["audit"]["options"][0]["type"] == INTEGER  # `n: PositiveInt`
    ballot = {o["name"]: o for o in commands["ballot"]["options"]}
    assert ballot["poll"]["type"] == INTEGER and ballot["choices"]["type"] == STRING
    tools = commands["tools"]["options"]
    assert [(o["name"], o["type"]) for o in tools] == [("deep", SUB_COMMAND_GROUP),
                                                        ("echo", SUB_COMMAND)]
    taste = tools[0]["options"][0]
    assert taste["name"] == "taste" and taste["options"][0]["choices"] == [
        {"name": "sweet", "value": "sweet"}, {"name": "sour", "value": "sour"}]
    assert commands["pick"]["options"][0]["autocomplete"] is True
    assert commands["help"]["description_localizations"]["fr"]  # French from the catalog
    assert not fake.calls("PUT", r"^/applications/\d+/commands$")  # development: guild only
    # A restart with the same tree compares and does not push again.
    await env.restart()
    assert len(fake.calls("PUT", rf"/guilds/{GUILD_ID}/commands$")) == 1


async def test_global_sync_in_production(make_env: MakeEnv, tmp_path: Path) -> None:
    env = await make_env(sync="global")
    fake = env.fake
    assert len(fake.calls("PUT", r"^/applications/\d+/commands$")) == 1
    assert await sync_commands(env.tb.bot) > 10  # forced push from a running bot
    # `ruche discord sync`: a set-up bot that never starts (REST only, no gateway).
    config = Config({"storage": {"url": f"sqlite:///{tmp_path / 'cli.sqlite3'}"},
                     "platforms": {"console": {"enabled": False},
                                   "discord": discord_section(sync="global")}})
    bot = Bot(config, builtins=BUILTINS, use_entry_points=False)
    await bot.setup()
    try:
        identifies = len(fake.identifies)
        assert await sync_commands(bot) == len(fake.commands[None])
        assert len(fake.calls("PUT", r"^/applications/\d+/commands$")) == 3
        assert len(fake.identifies) == identifies
    finally:
        await bot.stop()


async def test_slash_command_answered_through_the_interaction(env: Env) -> None:
    fake = env.fake
    alice, bob = fake.person("alice"), fake.person("bob")  # bob has never written
    interaction = await fake.slash(alice, "greet", [
        opt("who", bob["id"], USER), opt("times", 3, INTEGER),
        opt("note", 'a "quoted" --loud note'), opt("loud", True, BOOLEAN),
    ], resolved={"users": {bob["id"]: bob}})
    await fake.wait_for(lambda: interaction.callbacks)
    callback = interaction.callbacks[0]
    assert callback["type"] == 4
    assert callback["data"]["content"] == \
        "hello bob x3 note='a \"quoted\" --loud note' loud=True"
    assert not int(callback["data"].get("flags") or 0) & EPHEMERAL
    sub = await fake.slash(alice, "tools", [{"name": "echo", "type": SUB_COMMAND, "options": [
        opt("text", "  spaced  words ")]}])
    await fake.wait_for(lambda: sub.callbacks)
    assert sub.callbacks[0]["data"]["content"] == "echo 'spaced  words'"
    deep = await fake.slash(alice, "tools", [{"name": "deep", "type": SUB_COMMAND_GROUP,
                                              "options": [{"name": "taste", "type": 1,
                                                           "options": [opt("flavour", "sour")]}]}])
    await fake.wait_for(lambda: deep.callbacks)
    assert deep.callbacks[0]["data"]["content"] == "taste sour"


async def test_slow_slash_command_is_deferred_then_followed_up(make_env: MakeEnv) -> None:
    env = await make_env(defer_after=0.2)
    fake = env.fake
    interaction = await fake.slash(fake.person("alice"), "slow", [opt("seconds", "1.2")])
    await fake.wait_for(lambda: interaction.callbacks)
    assert interaction.callbacks[0]["type"] == 5  # deferred with "thinking", in time
    assert interaction.responded_at is not None
    assert interaction.responded_at - interaction.created_at < 1.0
    original = interaction.original
    assert original is not None
    await fake.wait_for(lambda: original["content"] == "slow done")
    assert fake.calls("PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$")


async def test_ephemeral_and_silent_commands(make_env: MakeEnv) -> None:
    # The longest wait Discord allows: these commands answer at once, so even on a loaded
    # machine the first callback carries the answer rather than a "thinking" deferral.
    env = await make_env(defer_after=2.8)
    fake = env.fake
    fake.interaction_deadline = 30.0  # not what this test is about: no 3 s race when loaded
    alice = fake.person("alice")
    secret = await fake.slash(alice, "secret")
    await fake.wait_for(lambda: secret.callbacks)
    assert secret.callbacks[0]["data"]["content"] == "only you"
    assert secret.callbacks[0]["data"]["flags"] & EPHEMERAL
    quiet = await fake.slash(alice, "quiet")
    await fake.wait_for(lambda: quiet.callbacks)
    assert quiet.callbacks[0]["data"]["content"] == "✓"  # answered, with nothing to say
    assert quiet.callbacks[0]["data"]["flags"] & EPHEMERAL
    unknown = await fake.slash(alice, "nosuch")
    await fake.wait_for(lambda: unknown.callbacks)
    assert "Unknown command" in unknown.callbacks[0]["data"]["content"]


async def test_a_late_ephemeral_answer_replaces_the_public_deferral(make_env: MakeEnv) -> None:
    # The deferral timer (0.1 s) always fires before the command's 0.5 s sleep ends, and it
    # holds the interaction's lock while deferring: the order does not depend on load.
    env = await make_env(defer_after=0.1)
    fake = env.fake
    late = await fake.slash(fake.person("alice"), "secret", [opt("seconds", "0.5")])
    await fake.wait_for(lambda: late.followups)
    assert late.callbacks[0]["type"] == 5 and late.deleted_original
    assert late.followups[0]["content"] == "only you" and late.followups[0]["flags"] & EPHEMERAL


async def test_button_click_counts_and_survives_a_restart(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice, bob, carol = fake.person("alice"), fake.person("bob"), fake.person("carol")
    await fake.say(alice, "!post")
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["components"]]))[0]
    buttons = poll["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("A", "cmd:ballot 1 A"), ("B", "cmd:ballot 1 B"), ("Rank", "form:ballot 1")]
    assert buttons[0]["style"] == 1 and buttons[0]["emoji"]["name"] == "🅰️"
    click = await fake.click(bob, poll["id"], "cmd:ballot 1 A")
    await fake.wait_for(lambda: click.callbacks)
    assert click.callbacks[0]["type"] == 4
    assert click.callbacks[0]["data"]["content"] == "ballot A recorded"
    assert click.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert list(rec.ballots.values()) == ["A"]
    await env.restart()  # no view to re-register: the custom id is the command
    again = await fake.click(carol, poll["id"], "cmd:ballot 1 B")
    await fake.wait_for(lambda: again.callbacks)
    assert sorted(rec.ballots.values()) == ["A", "B"]
    foreign = await fake.click(carol, poll["id"], "someone-elses-button")
    await fake.wait_for(lambda: foreign.callbacks)
    assert foreign.callbacks[0]["type"] == 6  # acknowledged silently


async def test_form_button_opens_a_modal_for_ranked_ballots(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!post")
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["components"]]))[0]
    click = await fake.click(alice, poll["id"], "form:ballot 1")
    await fake.wait_for(lambda: click.callbacks)
    modal = click.callbacks[0]
    assert modal["type"] == 9 and modal["data"]["custom_id"] == "form:ballot 1"
    assert modal["data"]["title"] == "Rank"
    submitted = await fake.submit_modal(alice, "form:ballot 1", "C>A>B")
    await fake.wait_for(lambda: submitted.callbacks)
    assert list(rec.ballots.values()) == ["C>A>B"]
    assert submitted.callbacks[0]["data"]["flags"] & EPHEMERAL


async def test_autocompletion_of_idea_numbers(env: Env) -> None:
    fake = env.fake
    interaction = await fake.autocomplete(fake.person("alice"), "pick", [
        {"name": "idea", "type": INTEGER, "value": "1", "focused": True}])
    await fake.wait_for(lambda: interaction.callbacks)
    callback = interaction.callbacks[0]
    assert callback["type"] == 8
    assert callback["data"]["choices"] == [{"name": "#12 Bee hotel", "value": 12},
                                           {"name": "#13 Honey fair", "value": 13}]


async def test_replayed_interaction_runs_once(env: Env) -> None:
    fake, rec = env.fake, env.rec
    interaction = await fake.slash(fake.person("alice"), "count")
    await fake.wait_for(lambda: interaction.callbacks)
    await fake.dispatch("INTERACTION_CREATE", interaction.payload)  # redelivered
    await asyncio.sleep(0.2)
    assert rec.counts["count"] == 1


async def test_select_menu_values_complete_the_command(env: Env) -> None:
    """Ready for select menus (the model has none yet): chosen values end the command line."""
    fake, rec = env.fake, env.rec
    alice = fake.person("alice")
    await fake.say(alice, "!post")
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["components"]]))[0]
    interaction = fake.interaction_payload(alice, 3, {"custom_id": "cmd:ballot 1",
                                                      "component_type": 3,
                                                      "values": ["A", "C"]}, message=poll)
    await fake.dispatch("INTERACTION_CREATE", interaction.payload)
    await fake.wait_for(lambda: interaction.callbacks)
    assert list(rec.ballots.values()) == ["A C"]
