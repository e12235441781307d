"""French replies, and who may do what (server-side checks, whatever the platform shows)."""

from __future__ import annotations

from plugins.funding.tests.conftest import Kit, MakeKit


async def test_french_replies(make_kit: MakeKit) -> None:
    kit = await make_kit(locale="fr")
    await kit.give("bob", 100)
    await kit.accepted_idea("Four à pain")
    out = await kit.say("alice", '!fund open 1 100 --until 7d --tiers "10:Soutien;50:Mécène"')
    assert out.splitlines()[0].startswith(
        "Collecte ouverte pour l’idée n°1 « Four à pain » : objectif 100 BZZ, encore 7d")
    assert out.splitlines()[1] == ("Promettez avec !promesse 1 MONTANT ; si l’objectif n’est pas "
                                   "atteint, chaque promesse est remboursée.")
    assert await kit.say("bob", "!pledge 1 60") == (
        "Vous avez promis 60 BZZ à l’idée n°1 (votre promesse : 60 BZZ, Mécène).\n"
        "▰▰▰▰▰▰▱▱▱▱ 60 % · 60 sur 100 BZZ")
    assert await kit.say("bob", "!pledge 1 500") == (
        "Pas assez de BZZ : le solde est de 40, le montant de 500.")
    show = await kit.say("carol", "!fund show 1")
    assert show.splitlines()[0] == "Collecte de l’idée n°1 « Four à pain » — ouverte"
    assert "1 contributeur · encore 7d" in show
    assert "Paliers : Soutien (10 BZZ+): 0 · Mécène (50 BZZ+): 1" in show
    assert "Les fonds iront à alice si l’objectif est atteint." in show
    assert await kit.say("bob", "!unpledge 1") == (
        "Votre promesse de 60 BZZ à l’idée n°1 vous a été remboursée.")
    assert await kit.say("carol", "!fund close 1") == (
        "Vous n’avez pas le droit de faire cela (funding.moderate).")
    assert await kit.say("mod", "!fund close 1") == (
        "L’idée n°1 « Four à pain » n’a pas atteint son objectif : 0 BZZ sur 100 BZZ. Chaque "
        "promesse a été remboursée en entier.")
    assert await kit.say("carol", "!fund list") == "Aucune collecte en cours."
    help_text = await kit.say("carol", "!help fund")
    assert "Financer les idées acceptées avec les jetons de la communauté" in help_text
    assert "Ouvrir une collecte en tout ou rien pour une idée acceptée." in help_text
    out = await kit.say("carol", "!help pledge")
    assert "Promettre des jetons à la collecte d’une idée" in out


async def test_permissions_are_checked_on_the_server(kit: Kit) -> None:
    await kit.give("bob", 100)
    await kit.say("carol", "hello")
    await kit.say("alice", "!idea submit Library")
    await kit.say("alice", "!idea coauthor 1 @carol")
    await kit.say("mod", "!idea accept 1")
    # Neither a stranger nor a bot opens a round; a co-author may.
    assert await kit.say("bob", "!fund open 1 50") == (
        "Only the idea's authors or a moderator can open its funding round.")
    assert await kit.tb.chat.say("robot", "!fund open 1 50", is_bot=True) == ""
    assert "Funding round open" in await kit.say("carol", "!fund open 1 50")
    assert await kit.say("bob", "!fund close 1") == (
        "You are not allowed to do that (funding.moderate).")
    assert await kit.say("alice", "!fund close 1") == (
        "You are not allowed to do that (funding.moderate).")
    assert await kit.tb.chat.say("robot", "!pledge 1 5", is_bot=True) == ""
    await kit.say("bob", "!pledge 1 10")
    assert "Idea #1 “Library” missed its goal" in await kit.say("mod", "!fund close 1")
    assert await kit.balance("bob") == 100


async def test_permission_defaults(make_kit: MakeKit) -> None:
    kit = await make_kit()
    roles = {n: kit.bot.permissions.default_role(n).name
             for n in ("funding.pledge", "funding.open", "funding.moderate")}
    assert roles == {"funding.pledge": "MEMBER", "funding.open": "MEMBER",
                     "funding.moderate": "MODERATOR"}
