"""A config reload on Discord: the role ids apply to the next slash and text command."""

from __future__ import annotations

from pathlib import Path

from discord_env import MakeEnv, discord_section
from fake_discord import HELPER_ROLE_ID

from tests.core.test_reload import write_config


async def test_reloaded_role_ids_apply_without_a_restart(make_env: MakeEnv,
                                                          tmp_path: Path) -> None:
    """`moderator_role_ids` changed in the file and reloaded: slash and text commands agree."""
    env = await make_env()
    fake = env.fake
    helper = fake.person("helper", roles=[HELPER_ROLE_ID])
    refused = await fake.slash(helper, "modonly")
    await fake.wait_for(lambda: refused.callbacks)
    assert "not allowed" in refused.callbacks[0]["data"]["content"]
    await fake.say(helper, "!audit")  # remembers the member's role from the text path too
    await fake.wait_for(lambda: any("not allowed" in t for t in fake.texts()))
    write_config(env.tb, tmp_path / "ruche.toml", {"platforms": {
        "console": {"enabled": False},
        "discord": discord_section(moderator_role_ids=[HELPER_ROLE_ID])}})
    result = await env.tb.bot.reload_config()
    assert (result.applied, result.restart) == (["platforms.discord.moderator_role_ids"], [])
    allowed = await fake.slash(helper, "modonly")
    await fake.wait_for(lambda: allowed.callbacks)
    assert allowed.callbacks[0]["data"]["content"] == "moderator ok"
    await fake.say(helper, "!audit")
    await fake.wait_for(lambda: "The audit log is empty." in fake.texts())
