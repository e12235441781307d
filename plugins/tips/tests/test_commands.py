"""Every command through the in-memory chat: tip, balance, history, leaderboard, grant,
treasury, ledger export — in English and in French."""

from __future__ import annotations

import csv
import io
import json

from bot.model import IncomingMessage, MessageRef
from plugins.tips.config import TipsConfig
from plugins.tips.tests.conftest import COMMUNITY, Kit, MakeKit


async def test_tip_moves_tokens_and_answers(kit: Kit) -> None:
    await kit.fund("alice", 100)
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 5 for the review") == "alice tipped bob 5 BZZ."
    assert await kit.balance("alice") == 95
    assert await kit.balance("bob") == 5
    tip = (await kit.entries("tip"))[-1]
    assert (tip["src"], tip["amount"], tip["memo"]) == (
        f"member:{(await kit.member('alice')).id}", 5, "for the review")
    await kit.check()


async def test_tip_in_reply_to_a_message_records_its_link(kit: Kit) -> None:
    await kit.fund("alice", 10)
    await kit.member("bob")
    adapter = kit.chat.adapter
    msg = IncomingMessage(
        ref=MessageRef("console", "console", "x1"), author=adapter.user("alice"),
        room=adapter.room(), text="!tip @bob 2",
        reply_to=MessageRef("console", "console", "42"),
    )
    await kit.bot.dispatch_message(msg)
    assert (await kit.entries("tip"))[-1]["link"] == "console:console/42"


async def test_balance_of_self_and_of_another(kit: Kit) -> None:
    await kit.fund("alice", 30)
    await kit.member("bob")
    assert await kit.say("alice", "!balance") == "alice has 30 BZZ."
    assert await kit.say("alice", "!balance @bob") == "bob has 0 BZZ."
    assert "Unknown member" in await kit.say("alice", "!balance @ghost")


async def test_history_lists_causes_newest_first(kit: Kit) -> None:
    await kit.fund("alice", 50)
    await kit.member("bob")
    await kit.say("alice", "!tip @bob 5 merci")
    await kit.say("alice", "!tip @bob 7")
    out = await kit.say("bob", "!history")
    lines = out.splitlines()
    assert lines[0] == "Latest entries of bob:"
    assert "+7 BZZ · tip · from alice" in lines[1]
    assert "+5 BZZ · tip · from alice · “merci”" in lines[2]
    out = await kit.say("bob", "!history @alice 1")
    assert len(out.splitlines()) == 2 and "−7 BZZ · tip · to bob" in out
    out = await kit.say("alice", "!history 2 @alice")
    assert len(out.splitlines()) == 3
    alice_all = await kit.say("alice", "!history")
    assert "test_fund · from the treasury" in alice_all


async def test_history_refuses_bad_arguments_and_handles_empty(kit: Kit) -> None:
    await kit.member("bob")
    assert await kit.say("bob", "!history") == "bob has no ledger entries yet."
    for bad, expected in (("0", "“0” must be a positive whole number."),
                          ("51", "between 1 and 50"), ("3 4", "at most one member"),
                          ("@bob @bob", "at most one member"),
                          ("@bob -3", "“-3” must be a positive whole number."),
                          ("-3", "“-3” must be a positive whole number.")):
        out = await kit.say("bob", f"!history {bad}")
        assert expected in out and "Usage: !history [member] [n]" in out


async def test_leaderboard_by_balance_week_and_month(kit: Kit) -> None:
    assert await kit.say("alice", "!leaderboard") == "Nobody holds any BZZ yet."
    assert await kit.say("alice", "!leaderboard --period week") == (
        "Nobody was tipped this week yet.")
    await kit.fund("alice", 100)
    await kit.member("bob")
    await kit.member("carol")
    await kit.say("alice", "!tip @bob 10")
    await kit.say("alice", "!tip @carol 20")
    await kit.say("bob", "!tip @carol 1")
    assert await kit.say("bob", "!leaderboard") == (
        "Top balances:\n1. alice — 70 BZZ\n2. carol — 21 BZZ\n3. bob — 9 BZZ")
    assert await kit.say("bob", "!leaderboard --period week") == (
        "Most thanked this week:\n1. carol — 21 BZZ\n2. bob — 10 BZZ")
    assert (await kit.say("bob", "!leaderboard --period month")).startswith(
        "Most thanked this month:\n1. carol — 21 BZZ")
    kit.clock.advance(days=40)  # a new week and month: the period boards start over
    assert await kit.say("bob", "!leaderboard --period week") == (
        "Nobody was tipped this week yet.")
    assert "is not one of" in await kit.say("bob", "!leaderboard --period year")


async def test_grant_pays_from_the_treasury_and_is_audited(kit: Kit) -> None:
    await kit.member("bob")
    out = await kit.say("mod", "!grant @bob 40 organised the meetup")
    assert out == "mod granted bob 40 BZZ from the treasury: organised the meetup"
    assert await kit.balance("bob") == 40
    audit = await kit.say("mod", "!audit")
    assert "mod (console:mod): paid from the treasury: 40 BZZ to bob: organised the meetup" in audit
    assert "A grant is at most 1000 BZZ." == await kit.say("mod", "!grant @bob 1001 too much")
    out = await kit.say("mod", "!grant @bob 5")
    assert out.startswith("Missing argument: reason.")
    assert await kit.balance("bob") == 40
    await kit.check()


async def test_treasury_shows_the_money_supply(make_kit: MakeKit) -> None:
    kit = await make_kit(treasury_initial=1000)
    await kit.member("bob")
    await kit.say("mod", "!grant @bob 100 welcome")
    out = await kit.say("mod", "!treasury")
    assert out.splitlines() == [
        "Treasury: 900 BZZ.",
        "Held by 1 member: 100 BZZ.",
        "Minted 1000 BZZ, burned 0 BZZ, in circulation 1000 BZZ.",
        "Largest grant: 1000 BZZ.",
    ]


async def test_ledger_export_csv_and_json(kit: Kit) -> None:
    await kit.fund("alice", 20)
    await kit.member("bob")
    await kit.say("alice", "!tip @bob 3 thanks, “friend”")
    out = await kit.say("mod", "!ledger export")
    assert out.startswith("Ledger of console: 3 entries.")
    name, data = kit.chat.last().files[0]
    assert name.startswith("ledger-console-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [r["reason"] for r in rows] == ["mint", "test_fund", "tip"]
    assert rows[2]["from_name"] == "alice" and rows[2]["to_name"] == "bob"
    assert rows[2]["memo"] == "thanks, “friend”" and rows[2]["amount"] == "3"
    await kit.say("mod", "!ledger export json")
    name, data = kit.chat.last().files[0]
    doc = json.loads(data)
    assert name.endswith(".json") and doc["currency"] == "BZZ"
    assert [e["units"] for e in doc["entries"]] == [20, 20, 3]
    assert "is not one of" in await kit.say("mod", "!ledger export xml")


async def test_ledger_alone_shows_its_help(kit: Kit) -> None:
    out = await kit.say("mod", "!ledger")
    assert out.startswith("!ledger — The community ledger (moderators).")
    assert "!ledger export [file-format]" in out


async def test_help_describes_the_commands(kit: Kit) -> None:
    out = await kit.say("alice", "!help")
    assert "!tip <member> <amount> [reason…] — Give tokens to a member as thanks." in out
    assert "!grant" not in out  # moderators only
    assert "!grant" in await kit.say("mod", "!help")
    assert "Usage: !balance [member]" in await kit.say("alice", "!help balance")


async def test_amount_decimals_change_display_and_parsing(make_kit: MakeKit) -> None:
    kit = await make_kit(amount_decimals=2, max_tip=10_000)
    await kit.fund("alice", 1000)
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 1.5") == "alice tipped bob 1.50 BZZ."
    assert await kit.balance("bob") == 150
    assert "at most 2 decimal places" in await kit.say("alice", "!tip @bob 0.125")
    assert await kit.say("alice", "!balance") == "alice has 8.50 BZZ."


async def test_currency_name_from_config(make_kit: MakeKit) -> None:
    kit = await make_kit(currency="Miel")
    await kit.fund("alice", 10)
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 1") == "alice tipped bob 1 Miel."


async def test_french_replies(make_bot) -> None:  # type: ignore[no-untyped-def]
    from plugins.tips.tests.conftest import Clock

    tb = await make_bot(raw={"bot": {"locale": "fr"},
                             "plugins": {"tips": {"allowance_amount": 0, "max_tip": 50}}})
    tb.bot.clock = Clock()
    kit = Kit(tb, tb.bot.clock)
    await kit.fund("alice", 60)
    await kit.member("bob")
    assert await kit.say("alice", "!tip @bob 5 merci") == "alice a donné 5 BZZ à bob."
    assert await kit.say("alice", "!balance") == "alice a 55 BZZ."
    assert await kit.say("alice", "!tip @alice 1") == (
        "Vous ne pouvez pas vous donner un pourboire à vous-même.")
    assert await kit.say("alice", "!tip @bob 51") == "Un pourboire ne peut pas dépasser 50 BZZ."
    assert await kit.say("bob", "!tip @alice 40") == (
        "Pas assez de BZZ : le solde est de 5, le montant de 40.")
    out = await kit.say("bob", "!history")
    assert out.splitlines()[0] == "Dernières écritures de bob :"
    assert "+5 BZZ · pourboire · de alice · “merci”" in out
    assert (await kit.say("bob", "!leaderboard")).startswith("Plus gros soldes :")
    assert "Vous n’avez pas le droit" in await kit.say("bob", "!treasury")
    out = await kit.say("bob", "!help tip")
    assert "Donner des jetons à un membre pour le remercier." in out
    assert (await kit.say("mod", "!treasury")).startswith("Trésorerie : ")
    assert COMMUNITY == "console"


async def test_an_out_of_range_setting_says_so(kit: Kit) -> None:
    out = await kit.say("mod", "!config plugins.tips.max_tip 99999999999999999999999")
    assert out == ("Invalid value for plugins.tips.max_tip: max_tip: out of range, "
                   "at most 9007199254740992")
    out = await kit.say("mod", "!config plugins.tips.max_tip " + "9" * 40)
    assert out.startswith("Invalid value for plugins.tips.max_tip: ") and "out of range" in out
    assert "must be a whole number ≥ 1" in await kit.say(
        "mod", "!config plugins.tips.max_tip 0")
    assert kit.svc.config(COMMUNITY).max_tip == TipsConfig().max_tip
