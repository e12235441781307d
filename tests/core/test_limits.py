"""Chat cannot exceed the operator: ceilings on money keys, operator-only keys, readable values."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigErrors
from bot.config.chat import show_setting
from bot.config.limits import above
from bot.testing import MakeBot
from plugins.tips.config import TipsConfig

TIPS: dict[str, Any] = {"allowance_amount": 0, "activity_reward": 0}


async def test_a_moderator_cannot_raise_a_money_key_past_the_operators_limit(
        make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"plugins": {"tips": TIPS},
                             "limits": {"plugins": {"tips": {"max_grant": 5000}}}})
    chat = tb.chat
    out = await chat.say("mod", "!config plugins.tips.max_grant 1000000000000")
    assert out == ("plugins.tips.max_grant can be at most 5000 here: the operator's limit.")
    assert "set to 4000" in await chat.say("mod", "!config plugins.tips.max_grant 4000")
    await chat.say("bob", "hello")
    assert "4000" in await chat.say("mod", "!grant @bob 4500 thanks")
    assert await chat.say("mod", "!config plugins.tips.max_grant") == (
        "• plugins.tips.max_grant = 4000 (at most 5000)")


async def test_without_a_limit_the_file_value_is_the_ceiling(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"plugins": {"tips": {**TIPS, "max_tip": 300}}})
    chat = tb.chat
    assert "at most 300" in await chat.say("mod", "!config plugins.tips.max_tip 301")
    assert "set to 100" in await chat.say("mod", "!config plugins.tips.max_tip 100")
    assert "set to 300" in await chat.say("mod", "!config plugins.tips.max_tip 300")
    # A range error is still reported as such, not as a ceiling.
    assert "max_tip: must be" in await chat.say("mod", "!config plugins.tips.max_tip 0")


async def test_operator_only_keys_are_refused_from_chat_saying_who_can(
        make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"plugins": {"tips": TIPS}})
    chat = tb.chat
    for key, value in (("plugins.tips.treasury_auto_mint", "no"),
                       ("plugins.funding.sweep_interval", "1s"),
                       ("plugins.tips.allowance_period", "1m")):
        out = await chat.say("mod", f"!config {key} {value}")
        assert out == f"{key} is set by the operator in the config file, not from chat."
    assert "(config file only)" in await chat.say("mod", "!config plugins.tips.treasury_auto_mint")
    assert tb.bot.plugin_config(TipsConfig, "console").treasury_auto_mint is True


async def test_an_override_past_a_lowered_limit_stops_applying(make_bot: MakeBot) -> None:
    """The operator lowers a ceiling after a moderator used it: the file's rule wins."""
    tb = await make_bot(raw={"plugins": {"tips": TIPS},
                             "limits": {"plugins": {"tips": {"max_grant": 5000}}}})
    await tb.chat.say("mod", "!config plugins.tips.max_grant 4000")
    settings = tb.bot.settings
    assert settings.overrides("console") == {"plugins.tips.max_grant": 4000}
    tb.bot.config.limits["plugins.tips.max_grant"] = 2000
    tb.bot.forget_community_cache("console")
    assert settings.overrides("console") == {}
    assert tb.bot.named_plugin_config("tips", "console").max_grant == 1000


@pytest.mark.parametrize(("limits", "message"), [
    ({"plugins": {"tips": {"max_grnt": 5}}}, "limits.plugins.tips.max_grnt: no such setting"),
    ({"plugins": {"tips": {"currency": "X"}}}, "limits.plugins.tips.currency: this setting has"),
    ({"plugins": {"tips": {"max_grant": "lots"}}},
     "limits.plugins.tips.max_grant: expected an integer"),
    ({"nope": 1}, "limits.nope: no such setting"),
    ("all", "limits: expected a table"),
])
async def test_limits_are_checked_with_the_file(make_bot: MakeBot, limits: Any,
                                                message: str) -> None:
    with pytest.raises(ConfigErrors) as err:
        await make_bot(raw={"limits": limits})
    assert message in str(err.value)


async def test_config_shows_values_as_people_write_them(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"plugins": {"tips": TIPS}})
    chat = tb.chat
    listing = await chat.say("mod", "!config")
    assert "• plugins.funding.default_duration = 14d" in listing
    assert "• plugins.tips.cooldown = —" in listing
    assert "• plugins.funding.fundable_statuses = accepted" in listing
    assert "• plugins.tips.campaign_bounties = yes" in listing
    assert "0:00:00" not in listing and "None" not in listing and "['" not in listing
    assert "set to 2h30m" in await chat.say("mod", "!config plugins.tips.cooldown 2h30m")
    assert "is back to —" in await chat.say("mod", "!config plugins.tips.cooldown --reset")


async def test_an_unknown_key_gets_a_suggestion_not_every_key(make_bot: MakeBot) -> None:
    tb = await make_bot()
    out = await tb.chat.say("mod", "!config plugins.tips.max_grnt 5")
    assert out == "Unknown setting plugins.tips.max_grnt; did you mean plugins.tips.max_grant?"
    out = await tb.chat.say("mod", "!config zzz 5")
    assert out == "Unknown setting zzz; `config` alone lists them all."


def test_show_setting_and_above() -> None:
    from datetime import timedelta

    assert show_setting(timedelta(days=14)) == "14d"
    assert show_setting(None) == "—" and show_setting([]) == "—" and show_setting("") == "—"
    assert show_setting(["accepted", "funded"]) == "accepted, funded"
    assert show_setting(False) == "no" and show_setting(0.25) == "0.25"
    assert above(6, 5) and not above(5, 5) and not above(10**12, None) and above(None, 5)
