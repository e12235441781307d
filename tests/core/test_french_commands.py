"""French command names: accepted in every community, shown in French ones, checked at load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.commands import Context, Rest, command, group
from bot.commands.converters import Choice
from bot.commands.model import Command
from bot.commands.names import converter_domain, fold
from bot.commands.router import CommandRouter
from bot.testing import MakeBot, TestBot
from tests.core.test_catalogs import load_catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["en", "fr"])
async def tb(request: pytest.FixtureRequest, make_bot: MakeBot) -> TestBot:
    """A bot with every built-in plugin, its community in English or in French."""
    return await make_bot(raw={"bot": {"locale": request.param}})


@pytest.fixture
async def fr(make_bot: MakeBot) -> TestBot:
    return await make_bot(raw={"bot": {"locale": "fr"}})


@pytest.fixture
async def en(make_bot: MakeBot) -> TestBot:
    return await make_bot()


def catalog_of(domain: str) -> Path:
    if domain == "core":
        return ROOT / "bot" / "locales" / "fr" / "LC_MESSAGES" / "core.po"
    return ROOT / "plugins" / domain / "locales" / "fr" / "LC_MESSAGES" / f"{domain}.po"


async def test_every_command_subcommand_and_option_has_a_french_name(en: TestBot) -> None:
    missing: list[str] = []
    placeholders: set[tuple[str, str]] = set()
    walked = en.bot.router.walk()
    assert len(walked) > 40  # the core and every built-in plugin
    for cmd in walked:
        if not cmd.names.get("fr"):
            missing.append(cmd.qualified_name)
        for p in cmd.params:
            if p.kind in ("option", "flag") and not p.names.get("fr"):
                missing.append(f"{cmd.qualified_name} --{p.name}")
            if p.kind not in ("option", "flag"):
                placeholders.add((cmd.domain, p.name.replace("_", "-")))
            if p.kind != "flag" and not isinstance(p.converter, Choice):
                placeholders.add((converter_domain(p), p.converter.name))
    assert not missing, f"no French name: {missing}"
    catalogs = {d: load_catalog(catalog_of(d), d) for d, _label in placeholders}
    untranslated = sorted(f"{d}: {label}" for d, label in placeholders
                          if catalogs[d].get(label) is None or not catalogs[d].get(label).string)
    assert not untranslated, f"usage placeholders without French: {untranslated}"


async def test_a_french_idea_command_works_in_every_community(tb: TestBot) -> None:
    chat = tb.chat
    out = await chat.say("alice", "!idee soumettre Ruches en ville | des abris pour les abeilles")
    assert "#1" in out or "n°1" in out, out
    out = await chat.say("bob", "!idée soutenir 1")
    assert "Unknown command" not in out and "Commande inconnue" not in out, out
    listed = await chat.say("alice", "!IDÉE LISTE --MIENNES")
    assert "Ruches en ville" in listed, listed
    assert "Ruches en ville" not in await chat.say("bob", "!idea list --miennes")
    # English names keep working everywhere.
    assert "Ruches en ville" in await chat.say("alice", "!idea show 1")


async def test_options_by_their_french_name(tb: TestBot) -> None:
    chat = tb.chat
    out = await chat.say("mod", "!campagne ouvrir printemps Des idées pour le printemps "
                                "--jusqua 7d")
    assert "printemps" in out and re.search(r"\d{4}-\d\d-\d\d", out), out  # a deadline
    out = await chat.say("alice", "!idee soumettre Nichoirs --campagne printemps --anonyme")
    assert "#1" in out or "n°1" in out, out
    shown = await chat.say("bob", "!idea show 1")
    assert "alice" not in shown  # --anonyme, without its accent-free twin needed
    assert "Nichoirs" in await chat.say("bob", "!idea list --campaign printemps")
    # The same option under its two names is one option given twice.
    out = await chat.say("alice", "!idea list --mine --miennes")
    assert "Nichoirs" not in out and ("--mine" in out or "--miennes" in out), out


async def test_help_and_usage_in_the_community_language(fr: TestBot, en: TestBot) -> None:
    out = await fr.chat.say("alice", "!aide pourboire")
    assert out.splitlines()[0] == "Utilisation : !pourboire <membre> <montant> [raison…]"
    assert "tip" in out.splitlines()[-1]  # the English name is listed as an alias
    assert (await fr.chat.say("alice", "!help tip")).splitlines()[0] == \
        "Utilisation : !pourboire <membre> <montant> [raison…]"
    out = await en.chat.say("alice", "!aide pourboire")
    assert out.splitlines()[0] == "Usage: !tip <member> <amount> [reason…]"
    assert "pourboire" in out.splitlines()[-1]
    # Options and their value placeholders, in French.
    out = await fr.chat.say("mod", "!aide campagne")
    assert "!campagne ouvrir <nom> [description…] [--prime" in out, out
    assert "[--jusqua date|durée]" in out
    assert "!campaign open <name> [description…] [--bounty" in await en.chat.say(
        "mod", "!help campaign")
    # The command list shows the French names, in French alphabetical order.
    listing = await fr.chat.say("alice", "!aide")
    assert "• !idée <" in listing and "soumettre" in listing and "• !solde [membre]" in listing
    names = [line.split()[1] for line in listing.splitlines() if line.startswith("• ")]
    assert names == sorted(names, key=fold)


async def test_errors_show_the_localized_usage(fr: TestBot, en: TestBot) -> None:
    out = await fr.chat.say("alice", "!pourboire")
    assert out.splitlines() == ["Argument manquant : membre.",
                                "Utilisation : !pourboire <membre> <montant> [raison…]"]
    out = await en.chat.say("alice", "!pourboire")
    assert out.splitlines() == ["Missing argument: member.",
                                "Usage: !tip <member> <amount> [reason…]"]
    out = await fr.chat.say("alice", "!classement --semaine")
    assert "--période" in out and "--period" not in out, out
    out = await fr.chat.say("alice", "!classement --période jamais")
    assert "Utilisation : !classement [--période week|month|all]" in out, out


async def test_did_you_mean_considers_both_languages(fr: TestBot, en: TestBot) -> None:
    out = await en.chat.say("alice", "!pourbire @bob 5")
    assert "Unknown command: pourbire" in out and "!pourboire" in out, out
    out = await fr.chat.say("alice", "!tpi @bob 5")
    assert "!tip" in out, out
    out = await fr.chat.say("alice", "!idée soutnir 1")
    assert "idée soutnir" in out and "!idée soutenir" in out, out
    out = await fr.chat.say("alice", "!aide idée soumetre")
    assert "idée soumettre" in out, out


def names_command(name: str, **kwargs: object) -> Command:
    async def run(ctx: Context, text: Rest | None = None, *, until: str | None = None,
                  since: str | None = None) -> None:
        """Test."""

    run.__module__ = __name__
    return command(name, **kwargs)(run)  # type: ignore[arg-type]


class FakeBot:
    """Only what `CommandRouter.add` touches."""


def test_a_french_name_that_collides_fails_at_registration() -> None:
    router = CommandRouter(FakeBot())  # type: ignore[arg-type]
    router.add(names_command("tip", names={"fr": "pourboire"}))
    with pytest.raises(ValueError, match="pourboire"):
        router.add(names_command("gift", names={"fr": "pourboire"}))
    with pytest.raises(ValueError, match="tip"):
        router.add(names_command("thanks", names={"fr": "tip"}))
    with pytest.raises(ValueError, match="idee"):  # accents aside, the same name
        router.add(names_command("idee"))
        router.add(names_command("idea", names={"fr": "idée"}))
    # A refused command takes none of its names.
    router.add(names_command("gift", names={"fr": "cadeau"}))
    assert router.get("cadeau") is router.get("gift") is not None

    @group("box", names={"fr": "boite"})
    async def box(ctx: Context) -> None:
        """Boxes."""

    box.add(names_command("open", names={"fr": "ouvrir"}))
    with pytest.raises(ValueError, match="ouvrir"):
        box.add(names_command("start", names={"fr": "ouvrir"}))
    with pytest.raises(ValueError, match="--since names both"):
        names_command("wait", options={"until": {"fr": "since"}})
    with pytest.raises(ValueError, match="'nope' is not one of its options"):
        names_command("wait", options={"nope": {"fr": "x"}})
    for bad in ({"fr": "Ouvrir"}, {"fr": "deux mots"}, {"fr": ""}, {"fr": "x" * 33},
                {"french": "ouvrir"}):
        with pytest.raises(ValueError):
            names_command("wait", names=bad)

