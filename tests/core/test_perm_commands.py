"""`!perm` and `!role` through the real command path: rules, roles, order, lock-out, audit."""

from __future__ import annotations

import pytest

from bot.adapters.local import LocalAdapter
from bot.model import Member, Role
from bot.permissions import CommunityRules, level_matches
from bot.testing import COMMUNITY, Chat, MakeBot, TestBot

REFUSED = "You are not allowed to do that (ideas.moderate)."


@pytest.fixture
async def tb(make_bot: MakeBot) -> TestBot:
    tb = await make_bot()
    for name in ("alice", "bob", "mod", "operator"):
        await tb.chat.say(name, "hello")
    return tb


@pytest.fixture
def chat(tb: TestBot) -> Chat:
    return tb.chat


async def _status(tb: TestBot, number: int) -> str:
    value = await tb.bot.db.fetchval(
        "SELECT status FROM ideas_ideas WHERE community = $1 AND number = $2", COMMUNITY, number)
    return str(value)


async def test_a_curator_role_lets_a_member_accept_ideas_until_denied(tb: TestBot,
                                                                      chat: Chat) -> None:
    await chat.say("bob", "!idea submit Dark mode")
    await chat.say("bob", "!idea submit Light mode")
    assert await chat.say("alice", "!idea accept 1") == REFUSED
    assert await _status(tb, 1) == "open"

    assert "created" in await chat.say("operator", "!role create curator")
    assert "now allowed to the role curator" in await chat.say(
        "operator", "!perm allow ideas.moderate curator")
    assert await chat.say("alice", "!idea accept 1") == REFUSED  # not a curator yet
    assert "alice now holds the role curator" in await chat.say(
        "operator", "!role add @alice curator")
    assert "Holders of curator: alice" in await chat.say("alice", "!role list curator")
    assert "• curator: 1 holder\n" in await chat.say("bob", "!role list") + "\n"
    out = await chat.say("alice", "!idea accept 1")
    assert "allowed" not in out and await _status(tb, 1) == "accepted"

    assert "now denied to the role curator" in await chat.say(
        "operator", "!perm deny ideas.moderate curator")
    assert await chat.say("alice", "!idea accept 2") == REFUSED
    assert await _status(tb, 2) == "open"

    audit = await chat.say("operator", "!audit 10")
    assert "created a role: curator" in audit
    assert "allowed a permission: ideas.moderate → role curator" in audit
    assert "gave a role: curator → alice" in audit
    assert "denied a permission: ideas.moderate → role curator" in audit


async def test_perm_and_role_changes_are_refused_to_members(tb: TestBot, chat: Chat) -> None:
    assert await chat.say("alice", "!perm") == \
        "You are not allowed to do that (perm.manage)."
    assert await chat.say("alice", "!perm allow ideas.moderate alice") == \
        "You are not allowed to do that (perm.manage)."
    assert await chat.say("mod", "!role create curator") == \
        "You are not allowed to do that (perm.manage)."
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_perm_rules") == 0
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_roles") == 0


async def test_an_admin_cannot_lock_themselves_out(tb: TestBot, chat: Chat) -> None:
    for target in ("@operator", "admin", "moderator", "#console"):
        out = await chat.say("operator", f"!perm deny perm.manage {target}")
        assert "you would no longer hold perm.manage yourself" in out, target
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_perm_rules") == 0
    # Denying it to others is fine, and the operator still manages.
    assert "now denied" in await chat.say("operator", "!perm deny perm.manage @mod")
    assert "Permission rules" in await chat.say("operator", "!perm show")


async def test_a_role_giving_perm_manage_cannot_be_taken_from_oneself(tb: TestBot,
                                                                     chat: Chat) -> None:
    await chat.say("operator", "!role create steward")
    await chat.say("operator", "!perm allow perm.manage steward")
    await chat.say("operator", "!role add @mod steward")
    assert "Role helpers created" in await chat.say("mod", "!role create helpers")
    out = await chat.say("mod", "!role remove @mod steward")
    assert "you would no longer hold perm.manage yourself" in out
    assert "you would no longer hold perm.manage" in await chat.say(
        "mod", "!perm deny perm.manage steward")
    assert "you would no longer hold perm.manage" in await chat.say("mod", "!role delete steward")
    # The operator (a built-in admin) can take it away from them.
    assert "no longer holds" in await chat.say("operator", "!role remove @mod steward")
    assert "(perm.manage)" in await chat.say("mod", "!role create more")


async def test_member_rule_beats_role_rule_and_room_rule(tb: TestBot, chat: Chat) -> None:
    await chat.say("bob", "!idea submit One")
    await chat.say("bob", "!idea submit Two")
    await chat.say("bob", "!idea submit Three")
    await chat.say("operator", "!role create curator")
    await chat.say("operator", "!role add @alice curator")
    await chat.say("operator", "!role add @bob curator")
    await chat.say("operator", "!perm allow ideas.moderate curator")
    assert "now denied to alice" in await chat.say("operator",
                                                   "!perm deny ideas.moderate @alice")
    assert await chat.say("alice", "!idea accept 1") == REFUSED
    await chat.say("bob", "!idea accept 1")
    assert await _status(tb, 1) == "accepted"
    # A room rule beats the role rule, not the member rule.
    assert "denied to everyone in #console" in await chat.say(
        "operator", "!perm deny ideas.moderate #console")
    assert await chat.say("bob", "!idea accept 2") == REFUSED
    await chat.say("operator", "!perm allow ideas.moderate @bob")
    await chat.say("bob", "!idea accept 2")
    assert await _status(tb, 2) == "accepted"
    # The room rule binds moderators as well, until it is reset.
    assert await chat.say("mod", "!idea accept 3") == REFUSED
    assert "Rules dropped" in await chat.say("operator", "!perm reset ideas.moderate #console")
    await chat.say("mod", "!idea accept 3")
    assert await _status(tb, 3) == "accepted"
    shown = await chat.say("operator", "!perm show ideas.moderate")
    assert "Default role: moderator" in shown and "denied to alice" in shown
    assert "allowed to bob" in shown and "allowed to the role curator" in shown
    assert "Order: a rule for the member" in shown
    summary = await chat.say("operator", "!perm show @alice")
    assert "alice: roles curator" in summary and "ideas.moderate: denied to them" in summary


async def test_a_built_in_role_rule_applies_to_that_role_and_above(tb: TestBot,
                                                                   chat: Chat) -> None:
    await chat.say("bob", "!idea submit One")
    await chat.say("operator", "!perm allow ideas.moderate member")
    await chat.say("alice", "!idea accept 1")
    assert await _status(tb, 1) == "accepted"
    await chat.say("operator", "!perm deny core.link member")
    assert "(core.link)" in await chat.say("mod", "!link")
    # Among several roles an allow wins.
    await chat.say("operator", "!role create linker")
    await chat.say("operator", "!role add @alice linker")
    await chat.say("operator", "!perm allow core.link linker")
    assert "link code" in await chat.say("alice", "!link")
    assert "(core.link)" in await chat.say("bob", "!link")
    assert "deleted" in await chat.say("operator", "!role delete linker")
    assert "(core.link)" in await chat.say("alice", "!link")
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_perm_rules WHERE subject = "
                                    "'linker'") == 0


async def test_bad_input_is_refused_clearly_and_changes_nothing(tb: TestBot, chat: Chat) -> None:
    out = await chat.say("operator", "!perm allow ideas.moderat curator")
    assert out == "Unknown permission: ideas.moderat. Did you mean ideas.moderate?"
    out = await chat.say("operator", "!perm allow ideas.moderate curatr")
    assert out.startswith("Unknown role, member or room: curatr.")
    out = await chat.say("operator", "!perm allow ideas.moderate @nobody")
    assert out.startswith("Unknown member: @nobody.")
    assert "not part of this community" not in out
    assert "Unknown role: curator" in await chat.say("operator", "!role add @alice curator")
    assert "built-in role" in await chat.say("operator", "!role add @alice moderator")
    assert "already exists" in await chat.say("operator", "!role create admin")
    assert "one word" in await chat.say("operator", "!role create 9lives")
    assert "no rule here" in await chat.say("operator", "!perm reset ideas.moderate")
    assert "Unknown platform role" in await chat.say("operator", "!role create c") + \
        await chat.say("operator", "!role map c whatever")
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_perm_rules") == 0
    assert await tb.bot.db.fetchval("SELECT COUNT(*) FROM core_role_holders") == 0


async def test_rules_survive_a_restart_and_cost_no_query_per_command(tb: TestBot) -> None:
    await tb.chat.say("operator", "!role create curator")
    await tb.chat.say("operator", "!role add @alice curator")
    await tb.chat.say("operator", "!perm allow ideas.moderate curator")
    new = await tb.restart()
    await new.chat.say("bob", "!idea submit One")
    await new.chat.say("alice", "!idea accept 1")
    assert await _status(new, 1) == "accepted"
    perms = new.bot.permissions
    cached = await perms.rules(COMMUNITY)
    assert await perms.rules(COMMUNITY) is cached  # read once, then from memory
    await new.chat.say("operator", "!role create other")
    assert await perms.rules(COMMUNITY) is not cached  # a change is seen at once


async def test_french_messages(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"bot": {"locale": "fr"}})
    await tb.chat.say("alice", "salut")
    out = await tb.chat.say("operator", "!role create curateur")
    assert "Rôle curateur créé" in out
    assert await tb.chat.say("alice", "!perm show") == \
        "Vous n’avez pas le droit de faire cela (perm.manage)."
    assert "Rôle par défaut : moderator" in await tb.chat.say(
        "operator", "!perm show ideas.moderate")
    out = await tb.chat.say("operator", "!perm allow ideas.moderat curateur")
    assert out == "Permission inconnue : ideas.moderat. Vouliez-vous dire ideas.moderate ?"
    out = await tb.chat.say("operator", "!perm deny core.link membre")
    assert out == "core.link est maintenant refusée pour le rôle member."


def test_platform_levels_match_at_or_above_the_threshold() -> None:
    assert level_matches("matrix-power>=25", ("matrix-power:50",))
    assert level_matches("matrix-power>=50", ("matrix-power:50",))
    assert not level_matches("matrix-power>=51", ("matrix-power:50",))
    assert not level_matches("matrix-power>=1", ("discord:1",))
    assert level_matches("discord:1", ("discord:1", "discord-name:x"))
    rules = CommunityRules(maps={"curator": {"discord:7"}})
    member = Member(1, COMMUNITY, "x", Role.MEMBER, platform_roles=("discord:7",))
    assert rules.roles_of(member) == {"curator", "member"}
    assert rules.roles_of(Member(1, COMMUNITY, "x")) == {"member"}


async def test_roles_and_member_rules_follow_a_linked_account(make_bot: MakeBot) -> None:
    from tests.core.test_identity import OtherPlatform, code_of

    tb = await make_bot(plugins={"other": OtherPlatform()},
                        raw={"communities": {"main": {"rooms": ["console:console",
                                                                "other:room"]}}})
    other = LocalAdapter("other", "room", admins=["boss"])
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    chat = tb.chat
    await chat.say("alice", "hello")
    await other.say("alice_m", "hello")
    await chat.say("operator", "!role create curator")
    assert any("now holds" in m.text for m in await other.say("boss", "!role add @alice_m curator"))
    await other.say("boss", "!perm deny core.audit @alice_m")
    await chat.say("alice", "!link")
    code = code_of(next(m for m in chat.sent if m.to == "alice").text)
    assert any("Linked" in m.text for m in await other.say("alice_m", f"!link {code}"))
    assert "Holders of curator: alice" in await chat.say("alice", "!role list curator")
    summary = await chat.say("operator", "!perm show @alice")
    assert "roles curator" in summary and "core.audit: denied to them" in summary
