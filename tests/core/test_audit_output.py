"""`!audit` reads as sentences: who (name and platform handle), what in words, then the detail."""

from __future__ import annotations

from bot.testing import MakeBot


async def test_audit_names_the_member_and_says_the_action(make_bot: MakeBot) -> None:
    tb = await make_bot()
    chat = tb.chat
    await chat.say("mod", "!config plugins.tips.max_tip 300")
    await chat.say("mod", "!config plugins.tips.max_tip --reset")
    out = await chat.say("mod", "!audit")
    lines = out.splitlines()
    assert lines[0] == "Latest moderator actions:"
    assert lines[1].endswith("mod (console:mod): reset a setting: plugins.tips.max_tip")
    assert lines[2].endswith("mod (console:mod): changed a setting: plugins.tips.max_tip = 300")
    assert "config.set" not in out and "UTC" in lines[1]
    await chat.say("mod", "!config bot.locale fr")
    assert "a changé un réglage : bot.locale = fr" in await chat.say("mod", "!audit 1")
