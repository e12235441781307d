"""Proposals through the real command path: made, voted, decided and applied exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from bot import hookimpl
from plugins.governance import store
from plugins.governance.models import Proposal
from plugins.governance.tests.conftest import BUILTINS, COMMUNITY, Kit, MakeKit


async def test_a_passing_proposal_changes_the_setting_and_the_audit_says_by_vote(
        kit: Kit) -> None:
    out = await kit.say("alice", "!propose config plugins.tips.max_tip 50 smaller tips")
    assert "Proposal #1 is open: vote on poll #1 with !vote 1 Yes (or No)." in out
    assert "Proposal #1: Change plugins.tips.max_tip from 1000 to 50? (smaller tips)" in out
    await kit.vote(1, alice="Yes", bob="Yes", carol="No", dave="Yes")
    assert await kit.setting("plugins.tips.max_tip") == "1000"  # nothing before the close
    await kit.close_by_deadline()
    assert await kit.setting("plugins.tips.max_tip") == "50"
    assert "• plugins.tips.max_tip = 50 (at most 1000)" in await kit.say(
        "mod", "!config plugins.tips.max_tip")
    assert await kit.audit("governance.config") == [
        "plugins.tips.max_tip = 50 (by vote #1, proposal #1)"]
    assert "changed a setting by vote: plugins.tips.max_tip = 50 (by vote #1, proposal #1)" \
        in await kit.say("mod", "!audit")
    assert "Proposal #1 passed (vote #1): plugins.tips.max_tip is now 50." in kit.room_texts()
    assert await kit.say("alice", "!tip @bob 60") == "A tip is at most 50 BZZ."
    assert kit.events.names() == ["opened", "applied", "closed"]
    assert kit.events.named("closed")[0].status == "applied"
    assert "#1 plugins.tips.max_tip → 50 — applied · poll #1" in await kit.say(
        "bob", "!proposals")


async def test_short_of_quorum_or_of_two_thirds_changes_nothing(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"majority": "two-thirds"})
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes")  # 2 ballots, quorum 3
    await kit.close_by_deadline()
    assert await kit.setting("plugins.tips.max_tip") == "1000"
    assert ("Proposal #1 fell short of its quorum (3 ballots): nothing changes."
            in kit.room_texts())
    await kit.say("alice", "!propose config plugins.tips.max_tip 60")
    await kit.vote(2, alice="Yes", bob="Yes", carol="Yes", dave="No", erin="No")  # 60 %
    await kit.close_by_deadline()
    assert await kit.setting("plugins.tips.max_tip") == "1000"
    assert "Proposal #2 was rejected (vote #2): nothing changes." in kit.room_texts()
    assert await kit.statuses() == [(1, "no_quorum"), (2, "rejected")]
    assert await kit.audit("governance.config") == []
    assert [p.status for p in kit.events.named("closed")] == ["no_quorum", "rejected"]
    assert kit.events.named("applied") == []
    # Two thirds exactly passes.
    await kit.say("alice", "!propose config plugins.tips.max_tip 70")
    await kit.vote(3, alice="Yes", bob="Yes", carol="No")
    await kit.close_by_deadline()
    assert await kit.setting("plugins.tips.max_tip") == "70"


async def test_consensus_fails_on_a_single_block(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"majority": "consensus"})
    out = await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    assert "C · Block" in out
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes", dave="Block")
    await kit.close_by_deadline()
    assert await kit.statuses() == [(1, "rejected")]
    assert await kit.setting("plugins.tips.max_tip") == "1000"


async def test_a_key_outside_the_allow_list_or_above_the_limit_is_refused_at_once(
        make_kit: MakeKit) -> None:
    kit = await make_kit(limits={"plugins": {"tips": {"max_tip": 2000}}})
    assert await kit.say("alice", "!propose config plugins.tips.max_grant 10") == (
        "plugins.tips.max_grant cannot be changed by vote in this community; `rules` lists "
        "what can.")
    assert await kit.say("alice", "!propose config plugins.tips.max_tip 5000") == (
        "plugins.tips.max_tip can be at most 2000 here: the operator's limit.")
    assert "Invalid value for plugins.votes.list_page_size" in await kit.say(
        "alice", "!propose config plugins.votes.list_page_size 500")
    assert "Invalid value for plugins.tips.max_tip" in await kit.say(
        "alice", "!propose config plugins.tips.max_tip lots")
    assert await kit.statuses() == []
    assert await kit.bot.db.fetchval("SELECT COUNT(*) FROM votes_polls") == 0
    # Within the limit it opens; a second proposal on the same key waits for the first.
    assert "Proposal #1 is open" in await kit.say("alice",
                                                  "!propose config plugins.tips.max_tip 1500")
    assert await kit.say("bob", "!propose config plugins.tips.max_tip 10") == (
        "Proposal #1 on this is still open; wait for its result.")


async def test_the_constitution_is_the_operators(kit: Kit) -> None:
    out = await kit.say("mod", "!config plugins.governance.allowed plugins.tips.max_grant")
    assert out == ("plugins.governance.allowed is set by the operator in the config file, not "
                   "from chat.")
    rules = await kit.say("bob", "!rules")
    assert "• Settings that may be changed by vote: plugins.tips.max_tip, " \
           "plugins.votes.list_page_size" in rules
    assert "• Quorum: 3 ballots" in rules
    assert "• Treasury spending by vote: at most 100 BZZ per proposal" in rules


async def test_a_restart_during_the_vote_applies_once(kit: Kit) -> None:
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    await kit.restart()
    await kit.close_by_deadline()
    await kit.restart()
    assert await kit.setting("plugins.tips.max_tip") == "50"
    assert await kit.audit("governance.config") == [
        "plugins.tips.max_tip = 50 (by vote #1, proposal #1)"]
    assert await kit.statuses() == [(1, "applied")]


async def test_a_replayed_close_applies_nothing_twice(kit: Kit) -> None:
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    await kit.close_by_deadline()
    poll = (await kit.bot.hooks.first("list_polls", bot=kit.bot, community=COMMUNITY,
                                      statuses=("closed",), limit=5))[0]
    result = await kit.bot.hooks.first("poll_tally", bot=kit.bot, poll=poll)
    await kit.bot.hooks.notify("on_poll_closed", bot=kit.bot, poll=poll, result=result)
    await kit.svc.poll_closed(poll, result)
    assert await kit.audit("governance.config") == [
        "plugins.tips.max_tip = 50 (by vote #1, proposal #1)"]
    assert kit.events.names() == ["opened", "applied", "closed"]
    said = [t for t in kit.room_texts() if t.startswith("Proposal #1 passed")]
    assert said == ["Proposal #1 passed (vote #1): plugins.tips.max_tip is now 50."]


async def test_a_crash_while_applying_leaves_no_half_change_and_applies_once(
        kit: Kit) -> None:
    """The status and the setting share one transaction: a failure rolls both back, and the
    sweep decides the proposal again from the poll's frozen result."""
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    settings = kit.bot.settings
    real_store = settings.store

    async def broken(tx: Any, *args: Any) -> None:
        await real_store(tx, *args)
        raise RuntimeError("killed mid-way")

    settings.store = broken
    try:
        await kit.close_by_deadline()  # the handler fails inside the transaction
    finally:
        del settings.store
    assert await kit.statuses() == [(1, "open")]
    assert await kit.bot.db.fetchval(
        "SELECT COUNT(*) FROM core_settings WHERE key = 'plugins.tips.max_tip'") == 0
    assert await kit.audit("governance.config") == []
    await kit.restart()
    kit.clock.advance(seconds=300)
    assert await kit.bot.scheduler.run_now("governance.sweep")
    assert await kit.bot.scheduler.run_now("governance.sweep")
    assert await kit.statuses() == [(1, "applied")]
    assert await kit.setting("plugins.tips.max_tip") == "50"
    assert len(await kit.audit("governance.config")) == 1


async def test_a_moderator_change_under_an_open_proposal_wins(kit: Kit) -> None:
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    assert "set to 70" in await kit.say("mod", "!config plugins.tips.max_tip 70")
    await kit.close_by_deadline()
    assert await kit.setting("plugins.tips.max_tip") == "70"
    assert await kit.statuses() == [(1, "superseded")]
    assert ("Proposal #1 passed, but a moderator changed plugins.tips.max_tip meanwhile: their "
            "change stands, the proposal is superseded.") in kit.room_texts()
    assert kit.events.named("applied") == []


async def test_a_secret_proposal_stores_no_member_choice_link(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"secret": True})
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="No", carol="Yes")
    ids = {str(await kit.member_id(n)) for n in ("alice", "bob", "carol")}
    rows = await kit.bot.db.fetch("SELECT voter, member_id, cast_at FROM votes_ballots")
    assert len(rows) == 3
    for row in rows:
        assert row["member_id"] is None and row["cast_at"] is None
        assert str(row["voter"]) not in {f"m:{i}" for i in ids}
        assert len(str(row["voter"])) == 64  # HMAC(member, poll secret): no member in it
    await kit.close_by_deadline()
    assert await kit.bot.db.fetchval("SELECT secret FROM votes_polls") is None
    assert await kit.setting("plugins.tips.max_tip") == "50"


async def test_a_spend_pays_once_and_is_refused_when_the_treasury_fell_short(
        make_kit: MakeKit) -> None:
    kit = await make_kit(tips={"treasury_initial": 120})
    await kit.known("bob", "carol")
    out = await kit.say("alice", "!propose spend 80 @bob for the oven")
    assert "Proposal #1: Pay 80 BZZ from the treasury to bob? (for the oven)" in out
    assert "A proposal may spend at most 100 BZZ." == await kit.say(
        "alice", "!propose spend 101 @carol")
    assert "Proposal #2 is open" in await kit.say("alice", "!propose spend 60 @carol")
    await kit.vote(1, alice="Yes", bob="Yes", dave="Yes")
    await kit.vote(2, alice="Yes", bob="Yes", dave="Yes")
    await kit.close_by_deadline()
    assert await kit.balance("bob") == 80
    assert await kit.balance("carol") == 0
    assert await kit.treasury() == 40
    assert await kit.statuses() == [(1, "applied"), (2, "refused")]
    texts = kit.room_texts()
    assert "Proposal #1 passed (vote #1): the treasury paid 80 BZZ to bob." in texts
    assert any(t.startswith("Proposal #2 passed but cannot be applied:") for t in texts)
    # Replays: the closes again, the sweep: nothing is paid twice.
    for poll in await kit.bot.hooks.first("list_polls", bot=kit.bot, community=COMMUNITY,
                                          statuses=("closed",), limit=5):
        result = await kit.bot.hooks.first("poll_tally", bot=kit.bot, poll=poll)
        await kit.svc.poll_closed(poll, result)
    p = await store.by_number(kit.bot.db, COMMUNITY, 1)
    assert p is not None
    await kit.svc.pay(p)  # as if the process had died while paying
    assert await kit.balance("bob") == 80 and await kit.treasury() == 40
    assert await kit.audit("governance.spend") == ["80 BZZ to bob (by vote #1, proposal #1)"]


async def test_a_spend_left_paying_by_a_crash_is_paid_once_at_restart(kit: Kit) -> None:
    await kit.known("bob")
    await kit.say("alice", "!propose spend 30 @bob")
    await kit.vote(1, alice="Yes", bob="Yes", dave="Yes")
    service = kit.svc
    real_pay = service.pay

    async def killed(p: Proposal) -> None:
        raise RuntimeError("killed before paying")

    service.pay = killed  # type: ignore[method-assign]
    try:
        await kit.close_by_deadline()
    finally:
        service.pay = real_pay  # type: ignore[method-assign]
    assert await kit.statuses() == [(1, "paying")]
    assert await kit.balance("bob") == 0
    await kit.restart()  # startup finishes the payment
    assert await kit.statuses() == [(1, "applied")]
    assert await kit.balance("bob") == 30
    assert await kit.bot.scheduler.run_now("governance.sweep")
    assert await kit.balance("bob") == 30


async def test_spending_caps_per_period(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"spend_period_max": 100})
    await kit.known("bob", "carol")
    assert "Proposal #1 is open" in await kit.say("alice", "!propose spend 70 @bob")
    assert await kit.say("alice", "!propose spend 40 @carol") == (
        "Spending by vote is capped at 100 BZZ per period, and 70 are already spent or "
        "proposed.")
    assert "Proposal #2 is open" in await kit.say("alice", "!propose spend 5 @carol")


class Veto:
    """A plugin that vetoes proposals touching max_tip."""

    def __init__(self) -> None:
        self.active = True

    @hookimpl(optionalhook=True)
    def validate_proposal(self, proposal: Proposal) -> str | None:
        if self.active and proposal.target == "plugins.tips.max_tip":
            return "tips are frozen during the audit"
        return None


async def test_a_plugin_veto_blocks_a_proposal_with_its_reason(make_kit: MakeKit) -> None:
    veto = Veto()
    kit = await make_kit(plugins={"veto": veto})
    assert await kit.say("alice", "!propose config plugins.tips.max_tip 50") == (
        "This proposal is refused: tips are frozen during the audit")
    assert await kit.statuses() == []
    veto.active = False
    assert "Proposal #1 is open" in await kit.say("alice",
                                                  "!propose config plugins.tips.max_tip 50")
    veto.active = True  # vetoed again when it passes: nothing is applied
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    await kit.close_by_deadline()
    assert await kit.statuses() == [(1, "refused")]
    assert await kit.setting("plugins.tips.max_tip") == "1000"
    assert ("Proposal #1 passed but cannot be applied: tips are frozen during the audit"
            in kit.room_texts())


async def test_cooldown_quorum_share_and_permissions(make_kit: MakeKit) -> None:
    kit = await make_kit(governance={"cooldown": "2h", "quorum": 1, "quorum_share": 0.5,
                                     "proposer_role": "moderator",
                                     "communities": {COMMUNITY: {"proposer_role": "member"}}})
    await kit.known("alice", "bob", "carol", "dave", "erin", "frank")
    assert "• Quorum: 4 ballots now (1 at least, or 50% of members active within 30d)" in \
        await kit.say("alice", "!rules")  # 6 active members, plus mod: 7 → 4
    assert "Proposal #1 is open" in await kit.say("alice",
                                                  "!propose config plugins.tips.max_tip 50")
    await kit.vote(1, alice="Yes", bob="Yes", carol="Yes")
    await kit.close_by_deadline()
    assert await kit.statuses() == [(1, "no_quorum")]
    out = await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    assert out == ("A proposal on this closed recently; the next may be made after a cooldown "
                   "of 2h.")


async def test_a_cancelled_poll_frees_the_key(kit: Kit) -> None:
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    assert "cancelled" in (await kit.say("mod", "!poll cancel 1")).lower()
    assert await kit.statuses() == [(1, "cancelled")]
    assert "Proposal #2 is open" in await kit.say("bob",
                                                  "!propose config plugins.tips.max_tip 60")


async def test_in_french(make_kit: MakeKit) -> None:
    kit = await make_kit(locale="fr")
    rules = await kit.say("bob", "!règles")
    assert rules.startswith("Constitution de console :")
    assert "• Adoptée avec : plus de Oui que de Non" in rules
    out = await kit.say("alice", "!proposer réglage plugins.tips.max_tip 50")
    assert ("La proposition n°1 est ouverte : votez au scrutin n°1 avec !voter 1 Oui (ou Non)."
            in out)
    await kit.vote(1, alice="Oui", bob="Oui", carol="Oui")
    await kit.close_by_deadline()
    assert ("La proposition n°1 est adoptée (vote n°1) : plugins.tips.max_tip vaut maintenant "
            "50.") in kit.room_texts()
    assert "appliquée" in await kit.say("bob", "!propositions")


async def test_french_help_and_usage(make_kit: MakeKit) -> None:
    kit = await make_kit(locale="fr")
    out = await kit.say("bob", "!aide proposer")
    assert "Soumettre au vote un changement des réglages de la communauté" in out
    usage = await kit.say("bob", "!proposer dépense")
    assert "!proposer dépense <montant> <membre-ou-idée> [raison…]" in usage


async def test_open_proposals_show_on_pulse_as_their_polls(make_kit: MakeKit) -> None:
    kit = await make_kit(builtins={**BUILTINS, "pulse": "plugins.pulse"})
    await kit.say("alice", "!propose config plugins.tips.max_tip 50")
    assert "Proposal #1: Change plugins.tips.max_tip from 1000 to 50?" in await kit.say(
        "bob", "!pulse")


async def test_two_proposals_on_one_key_at_once_open_one(kit: Kit) -> None:
    await asyncio.gather(*(kit.say(name, f"!propose config plugins.tips.max_tip {n}")
                           for n, name in ((50, "alice"), (60, "bob"), (70, "carol"))))
    said = [m.current for m in kit.chat.sent]  # replies to concurrent commands interleave
    assert sum(t.startswith("Proposal #1 is open") for t in said) == 1, said
    assert said.count("Proposal #1 on this is still open; wait for its result.") == 2, said
    assert [s for _n, s in await kit.statuses()] == ["open"]
    assert await kit.bot.db.fetchval("SELECT COUNT(*) FROM votes_polls") == 1
