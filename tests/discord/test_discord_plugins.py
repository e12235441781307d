"""The built-in ideas and tips plugins on Discord: moderator decisions, tips by command and 🪙."""

from __future__ import annotations

import asyncio
from typing import Any

from discord_env import MakeEnv
from fake_discord import GUILD_ID, MOD_ROLE_ID

IDEAS = {"ideas": "plugins.ideas"}
TIPS = {"tips": "plugins.tips"}
VOTES = {"votes": "plugins.votes"}


async def test_idea_accept_needs_manage_server(make_env: MakeEnv) -> None:
    env = await make_env(plugins=IDEAS)
    fake = env.fake
    alice, bob = fake.person("alice"), fake.person("bob")
    mod = fake.person("mod", roles=[MOD_ROLE_ID])
    await fake.say(alice, "!idea submit Bee hotel | a home for wild bees")
    await fake.wait_for(lambda: any("#1" in t for t in fake.texts()))
    await fake.say(bob, "!idea accept 1")
    await fake.wait_for(lambda: any("not allowed" in t for t in fake.texts()))
    refused = await fake.slash(bob, "idea", [{"name": "accept", "type": 1, "options": [
        {"name": "idea", "type": 4, "value": 1}]}])
    await fake.wait_for(lambda: refused.callbacks)
    assert "not allowed" in refused.callbacks[0]["data"]["content"]
    before = len(fake.texts())
    accepted = await fake.slash(mod, "idea", [{"name": "accept", "type": 1, "options": [
        {"name": "idea", "type": 4, "value": 1}, {"name": "reason", "type": 3,
                                                   "value": "great for the garden"}]}])
    await fake.wait_for(lambda: accepted.callbacks)
    answer = accepted.callbacks[0]["data"]["content"]
    assert "not allowed" not in answer and "#1" in answer, answer
    assert len(fake.texts()) > before


async def test_tips_by_command_and_by_reaction(make_env: MakeEnv) -> None:
    env = await make_env(plugins=TIPS, settings={"plugins": {"tips": {
        "currency": "BZZ", "reaction_tip_amount": 1}}})
    fake = env.fake
    alice, bob = fake.person("alice"), fake.person("bob")
    mod = fake.person("mod", roles=[MOD_ROLE_ID])
    await fake.say(mod, f"!grant <@{alice['id']}> 10 welcome", mentions=[alice])
    await fake.wait_for(lambda: any("alice" in t and "10" in t for t in fake.texts()))
    await fake.say(alice, f"!tip <@{bob['id']}> 3 thanks for the poster", mentions=[bob])
    await fake.wait_for(lambda: any("tipped" in t for t in fake.texts()))
    tipped = next(t for t in fake.texts() if "tipped" in t)
    assert "alice" in tipped and "bob" in tipped and "3" in tipped and "BZZ" in tipped
    slash = await fake.slash(alice, "tip", [
        {"name": "member", "type": 6, "value": bob["id"]},
        {"name": "amount", "type": 3, "value": "2"}], resolved={"users": {bob["id"]: bob}})
    await fake.wait_for(lambda: slash.callbacks)
    assert "tipped" in slash.callbacks[0]["data"]["content"]
    note = await fake.say(bob, "I drew the poster")
    await fake.react(alice, note["id"], "🪙")  # tips the message's author one token
    deadline = asyncio.get_running_loop().time() + 20  # the reaction tip lands in its own time
    while True:
        check = await fake.slash(bob, "balance")
        await fake.wait_for(lambda: check.callbacks)  # noqa: B023
        if "6 BZZ" in check.callbacks[0]["data"]["content"] or \
                asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert "6 BZZ" in check.callbacks[0]["data"]["content"]  # 3 + 2 + 1 by reaction


async def test_poll_buttons_reactions_and_restart_with_the_votes_plugin(make_env: MakeEnv
                                                                        ) -> None:
    env = await make_env(plugins=VOTES)
    fake = env.fake
    alice, bob, carol = fake.person("alice"), fake.person("bob"), fake.person("carol")
    dave, erin = fake.person("dave"), fake.person("erin")
    await fake.say(alice, '!poll new "Which bee hotel?" "Oak" "Pine"')
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["components"]]))[0]
    custom_ids = [b["custom_id"] for row in poll["components"] for b in row["components"]]
    assert custom_ids[:2] == ["cmd:vote 1 A", "cmd:vote 1 B"]
    await fake.wait_for(lambda: len(fake.message_reactions.get(int(poll["id"]), {})) >= 2)
    click = await fake.click(bob, poll["id"], "cmd:vote 1 A")
    await fake.wait_for(lambda: click.callbacks)
    assert click.callbacks[0]["data"]["flags"] & 64  # the ballot confirmation is private
    await fake.react(dave, poll["id"], "2️⃣")  # a reaction is a ballot too
    await fake.wait_for(lambda: "2" in results_of(fake, poll))
    await env.tb.bot.stop()
    await fake.react(erin, poll["id"], "2️⃣", offline=True)  # while the bot is down
    await env.restart()  # buttons still work; the sweep reconciles the reactions
    await env.tb.bot.scheduler.run_now("votes.sweep")  # the startup one ran before connecting
    again = await fake.click(carol, poll["id"], "cmd:vote 1 B")
    await fake.wait_for(lambda: again.callbacks)
    results = await fake.slash(alice, "poll", [{"name": "results", "type": 1, "options": [
        {"name": "number", "type": 4, "value": 1}]}])
    await fake.wait_for(lambda: results.callbacks)
    text = results.callbacks[0]["data"]["content"]
    assert "4 ballots" in text, text


def results_of(fake: Any, poll: dict[str, Any]) -> str:
    return str(fake.messages[int(poll["id"])]["content"])


async def test_synced_slash_commands_carry_french_names(make_env: MakeEnv) -> None:
    env = await make_env(plugins={**IDEAS, **TIPS, **VOTES, "funding": "plugins.funding",
                                  "pulse": "plugins.pulse"})
    fake = env.fake
    puts = fake.calls("PUT", r"/guilds/\d+/commands$")
    assert puts
    commands = {c["name"]: c for c in puts[-1].body}
    tip = commands["tip"]
    assert tip["name_localizations"] == {"fr": "pourboire"}
    assert tip["description_localizations"]["fr"].startswith("Donner des jetons")
    tip_options = {o["name"]: o for o in tip["options"]}
    assert tip_options["member"]["name_localizations"] == {"fr": "membre"}
    assert tip_options["amount"]["name_localizations"] == {"fr": "montant"}
    idea = commands["idea"]
    assert idea["name_localizations"] == {"fr": "idée"}
    subs = {o["name"]: o for o in idea["options"]}
    assert subs["submit"]["name_localizations"] == {"fr": "soumettre"}
    submit = {o["name"]: o for o in subs["submit"]["options"]}
    assert submit["anonymous"]["name_localizations"] == {"fr": "anonyme"}
    assert submit["anonymous"]["description_localizations"] == {"fr": "activer cette option"}
    campaign = {o["name"]: o for o in commands["campaign"]["options"]}
    until = {o["name"]: o for o in campaign["open"]["options"]}["until"]
    assert until["name_localizations"] == {"fr": "jusqua"}
    assert commands["help"]["name_localizations"] == {"fr": "aide"}
    fund = {o["name"]: o for o in commands["fund"]["options"]}
    assert {o["name"]: o.get("name_localizations") for o in fund["open"]["options"]}["until"] \
        == {"fr": "jusqua"}
    assert commands["pulse"]["name_localizations"] == {"fr": "pouls"}
    # The fake refuses what Discord refuses (names, duplicates per locale): it stored them all.
    assert {c["name"] for c in fake.commands.get(GUILD_ID, [])} == set(commands)
    # A French member's slash command arrives under the default names and runs as text.
    alice = fake.person("alice")
    run = await fake.slash(alice, "idea", [{"name": "submit", "type": 1, "options": [
        {"name": "text", "type": 3, "value": "Bee hotel"}]}])
    await fake.wait_for(lambda: run.callbacks)
    assert "#1" in run.callbacks[0]["data"]["content"]
    # Discord has the localized tree: a restart compares it, localizations included, and
    # pushes nothing.
    await env.restart()
    assert len(fake.calls("PUT", r"/guilds/\d+/commands$")) == len(puts)
