"""An ignored member's button click on Discord is dropped: no ballot, no answer, only an ack."""

from __future__ import annotations

from discord_env import Env
from fake_discord import MOD_ROLE_ID


async def test_an_ignored_members_click_is_dropped(env: Env) -> None:
    fake, rec = env.fake, env.rec
    alice, bob = fake.person("alice"), fake.person("bob")
    mod = fake.person("mod", roles=[MOD_ROLE_ID])
    await fake.say(bob, "hello")
    await fake.say(alice, "!post")
    poll = (await fake.wait_for(lambda: [m for m in fake.bot_messages() if m["components"]]))[0]
    await fake.say(mod, f"!ignore <@{bob['id']}> 1d", mentions=[bob])
    await fake.wait_for(lambda: any("I now ignore bob" in t for t in fake.texts()))
    click = await fake.click(bob, poll["id"], "cmd:ballot 1 A")
    await fake.wait_for(lambda: click.callbacks)
    assert all(c["type"] == 6 for c in click.callbacks)  # acknowledged, nothing said
    assert rec.ballots == {}
    await fake.say(mod, f"!unignore <@{bob['id']}>", mentions=[bob])
    await fake.wait_for(lambda: any("I listen to bob again" in t for t in fake.texts()))
    again = await fake.click(bob, poll["id"], "cmd:ballot 1 A")
    await fake.wait_for(lambda: again.callbacks)
    assert again.callbacks[0]["data"]["content"] == "ballot A recorded"
    assert list(rec.ballots.values()) == ["A"]
