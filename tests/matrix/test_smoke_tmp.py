from __future__ import annotations

async def test_ping(make_matrix_bot, make_member) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await alice.create_room("plain", invite=(mb.user_id,))
    await alice.joined(room, mb.user_id)
    assert "pong" in (await alice.ask(room, "!ping", mb.user_id)).lower()

async def test_ping_encrypted(make_matrix_bot, make_member) -> None:
    mb = await make_matrix_bot()
    alice = await make_member("alice")
    room = await alice.create_room("secret", encrypted=True, invite=(mb.user_id,))
    await alice.joined(room, mb.user_id)
    reply = await alice.ask(room, "!ping", mb.user_id)
    print(reply)
    ev = alice.from_user(room, mb.user_id)[-1]
    print(type(ev), ev.source)
    assert "pong" in reply.lower()
