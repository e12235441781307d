"""Every permission refusal: moderator commands, and a plugin denying tips."""

from __future__ import annotations

from typing import Any

import pytest

from bot import hookimpl
from plugins.tips.tests.conftest import Kit, MakeKit


class Deny:
    """Denies one permission to one member through the core's permission_allowed hook."""

    def __init__(self, name: str, permission: str) -> None:
        self.name, self.permission = name, permission

    @hookimpl
    def permission_allowed(self, member: Any, permission: str) -> bool | None:
        if member.display_name == self.name and permission == self.permission:
            return False
        return None


@pytest.mark.parametrize(("text", "permission"), [
    ("!grant @bob 5 because", "tips.grant"),
    ("!treasury", "tips.treasury"),
    ("!ledger export", "tips.export"),
    ("!ledger export json", "tips.export"),
])
async def test_members_cannot_use_moderator_commands(kit: Kit, text: str,
                                                     permission: str) -> None:
    await kit.member("bob")
    before = await kit.snapshot()
    out = await kit.say("alice", text)
    assert out == f"You are not allowed to do that ({permission})."
    assert await kit.snapshot() == before
    assert not kit.chat.last().files


async def test_moderators_and_admins_may(kit: Kit) -> None:
    await kit.member("bob")
    assert "granted" in await kit.say("mod", "!grant @bob 5 because")
    assert "granted" in await kit.say("operator", "!grant @bob 5 because")
    assert (await kit.say("operator", "!treasury")).startswith("Treasury:")


async def test_a_plugin_can_deny_tipping(make_kit: MakeKit) -> None:
    kit = await make_kit(plugins={"deny": Deny("eve", "tips.tip")})
    await kit.fund("eve", 10)
    await kit.member("bob")
    before = await kit.snapshot()
    assert await kit.say("eve", "!tip @bob 1") == "You are not allowed to do that (tips.tip)."
    await kit.react("eve", "bob")  # tipping by reaction is refused too, privately
    assert kit.chat.last().to == "eve"
    assert kit.chat.last().text == "You are not allowed to tip in this community."
    assert await kit.snapshot() == before
    assert await kit.say("bob", "!tip @eve 0") != ""  # others unaffected (bad amount here)


async def test_a_plugin_can_deny_viewing(make_kit: MakeKit) -> None:
    kit = await make_kit(plugins={"deny": Deny("eve", "tips.view")})
    for text in ("!balance", "!history", "!leaderboard"):
        assert await kit.say("eve", text) == "You are not allowed to do that (tips.view)."
    assert await kit.say("bob", "!balance") == "bob has 0 BZZ."


async def test_a_plugin_can_deny_a_moderator_grants(make_kit: MakeKit) -> None:
    kit = await make_kit(plugins={"deny": Deny("mod", "tips.grant")})
    await kit.member("bob")
    assert await kit.say("mod", "!grant @bob 5 x") == (
        "You are not allowed to do that (tips.grant).")
    assert await kit.balance("bob") == 0
