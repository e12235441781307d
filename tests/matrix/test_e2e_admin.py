"""Running a community from chat on a real Synapse: roles from power levels, ignore, French names."""

from __future__ import annotations

import pytest

from .conftest import MakeMatrixBot, MakeMember
from .test_e2e_plugins import BUILTINS, SETTINGS
from .test_integration import messages, room_with_bot

REFUSED = "You are not allowed to do that (ideas.moderate)."


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_power_level_mapped_to_a_role_ignore_and_french_commands(
        make_matrix_bot: MakeMatrixBot, make_member: MakeMember, encrypted: bool) -> None:
    mb = await make_matrix_bot(builtins=BUILTINS, raw=SETTINGS)
    bot = mb.user_id
    alice, bob, carol = [await make_member(n) for n in ("alice", "bob", "carol")]
    room = await room_with_bot(alice, mb, encrypted=encrypted, levels={bob.user_id: 25},
                               invite=(bob.user_id, carol.user_id))
    await bob.joined(room, bob.user_id)
    await carol.joined(room, carol.user_id)

    # French names work in an English community, with or without accents.
    assert "Idea #1" in await carol.ask(room, "!idee soumettre Toit solaire", bot)
    assert "Idea #2" in await carol.ask(room, "!idée soumettre Ruches en ville", bot)
    assert "0 BZZ" in await carol.ask(room, "!solde", bot)

    # Power level 25 is below the moderators' 50: refused until mapped to a curator role.
    assert await bob.ask(room, "!idea accept 1", bot) == REFUSED
    assert "created" in await alice.ask(room, "!role create curator", bot)
    assert "power" in await alice.ask(room, "!role map curator power:25", bot)
    assert "allowed" in await alice.ask(room, "!perm allow ideas.moderate curator", bot)
    assert "accepted" in await bob.ask(room, "!idea accept 1", bot)
    assert await carol.ask(room, "!idea accept 2", bot) == REFUSED  # level 0: no curator
    assert "denied" in await alice.ask(room, "!perm deny ideas.moderate curator", bot)
    assert await bob.ask(room, "!idea accept 2", bot) == REFUSED

    # An ignored member's commands get no answer and change nothing.
    assert "ignor" in (await alice.ask(room, f"!ignore {carol.user_id} 1h spam", bot)).lower()
    ignored = await carol.say(room, "!idea submit Never seen")
    assert "Pong" in await alice.ask(room, "!ping", bot)  # answered after carol's command
    assert not [e for e in messages(alice, room, bot)
                if e.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                .get("event_id") == ignored]
    assert "#3" not in await alice.ask(room, "!idea list", bot)
    assert "listen to" in await alice.ask(room, f"!unignore {carol.user_id}", bot)
    assert "Idea #3" in await carol.ask(room, "!idea submit Seen now", bot)
