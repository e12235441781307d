"""Leaving, kicks, bans, redactions and room upgrades against a real Synapse."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
from nio import RoomCreateResponse, RoomPreset

from bot.model import RoomRef
from bot.testing import eventually

from .conftest import MakeMatrixBot, MakeMember
from .test_integration import room_with_bot


async def test_members_who_leave_are_gone_and_come_back(make_matrix_bot: MakeMatrixBot,
                                                        make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice, bob, carol = (await make_member("alice"), await make_member("bob"),
                         await make_member("carol"))
    room = await room_with_bot(alice, mb, invite=(bob.user_id, carol.user_id))
    bot = mb.tb.bot
    community = bot.communities.for_room(RoomRef("matrix", room))
    ids = {}
    for member in (bob, carol):
        await member.joined(room, member.user_id)
        await member.ask(room, "!ping", mb.user_id)
        found = await bot.identity.find(community, "matrix", member.user_id)
        assert found is not None
        ids[member.user_id] = found.id

    async def departed() -> set[int]:
        return await bot.identity.departed(community.id)  # type: ignore[no-any-return]

    await bob.client.room_leave(room)
    await eventually(lambda: departed(), within=15)
    assert await departed() == {ids[bob.user_id]}
    await alice.client.room_kick(room, carol.user_id, reason="test")
    await eventually(lambda: _size(departed(), 2), within=15)
    assert await departed() == set(ids.values())
    await alice.client.room_invite(room, bob.user_id)  # bob comes back and writes again
    await bob.client.join(room)
    await bob.ask(room, "!ping", mb.user_id)
    assert await departed() == {ids[carol.user_id]}
    back = await bot.identity.find(community, "matrix", bob.user_id)
    assert back is not None and back.id == ids[bob.user_id]


async def _size(values: Awaitable[set[int]], size: int) -> bool:
    return len(await values) == size


async def test_an_upgraded_room_is_followed(make_matrix_bot: MakeMatrixBot,
                                            make_member: MakeMember) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    created = await alice.client.room_create(name="hive", preset=RoomPreset.public_chat,
                                             invite=[mb.user_id])
    assert isinstance(created, RoomCreateResponse), created
    old = str(created.room_id)
    await alice.joined(old, mb.user_id)
    await alice.ask(old, "!ping", mb.user_id)
    community = mb.tb.bot.communities.id_for(RoomRef("matrix", old))
    url = f"{alice.client.homeserver}/_matrix/client/v3/rooms/{old}/upgrade"
    async with aiohttp.ClientSession() as http, http.post(
            url, json={"new_version": "10"},
            headers={"Authorization": f"Bearer {alice.client.access_token}"}) as response:
        assert response.status == 200, await response.text()
        new = str((await response.json())["replacement_room"])
    await alice.wait(lambda: new in mb.adapter.client.rooms)  # type: ignore[union-attr]
    assert mb.tb.bot.communities.id_for(RoomRef("matrix", new)) == community
    await alice.client.join(new)
    await alice.joined(new, alice.user_id)
    assert (await alice.ask(new, "!ping", mb.user_id)).lower().startswith("pong")
    await mb.restart()
    assert mb.tb.bot.communities.id_for(RoomRef("matrix", new)) == community
