"""Plugin host: isolation, disabled plugins, entry points, and every core hook exercised."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import hookimpl
from bot.app import Bot
from bot.config import Config
from bot.hookspecs import hookspec
from bot.model import MemberJoin, MemberLeave, MessageDeleted, MessageRef, RoomRef
from bot.storage import Migrations
from bot.testing import TestBot, make_test_bot
from tests.core import sample_commands
from tests.core.test_meta import _spec_functions


@dataclass
class OtherPlatform:
    """A second in-process platform, to test linking accounts across platforms."""

    enabled: bool = True


class Recorder:
    """Implements every core hook and records the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _rec(self, name: str) -> None:
        self.calls.append(name)

    @hookimpl
    def register_hookspecs(self, pm: Any) -> None:
        self._rec("register_hookspecs")

    @hookimpl
    def register_config(self, bot: Any) -> dict[str, type]:
        self._rec("register_config")
        return {"platforms.other": OtherPlatform}

    @hookimpl
    def register_migrations(self, bot: Any) -> None:
        self._rec("register_migrations")

    @hookimpl
    def register_adapters(self, bot: Any) -> None:
        self._rec("register_adapters")

    @hookimpl
    def register_commands(self, bot: Any) -> None:
        self._rec("register_commands")

    @hookimpl
    def register_permissions(self, bot: Any) -> None:
        self._rec("register_permissions")

    @hookimpl
    def register_jobs(self, bot: Any) -> None:
        self._rec("register_jobs")

    @hookimpl
    async def startup(self, bot: Any) -> None:
        self._rec("startup")

    @hookimpl
    async def shutdown(self, bot: Any) -> None:
        self._rec("shutdown")

    @hookimpl
    async def on_config_reloaded(self, bot: Any, old: Any, changed: list[str]) -> None:
        self._rec("on_config_reloaded")
        self.reloaded = (old.communities["main"].name, bot.config.communities["main"].name,
                         changed)

    @hookimpl
    async def on_message(self, message: Any) -> None:
        self._rec("on_message")

    @hookimpl
    async def on_reaction(self, event: Any, member: Any) -> None:
        self._rec("on_reaction")

    @hookimpl
    async def on_member_join(self, event: Any) -> None:
        self._rec("on_member_join")

    @hookimpl
    async def on_member_leave(self, event: Any, member: Any) -> None:
        self._rec("on_member_leave")

    @hookimpl
    async def on_message_deleted(self, event: Any, community: Any) -> None:
        self._rec("on_message_deleted")

    @hookimpl
    async def on_member_linked(self, old_member_id: int, member_id: int) -> None:
        self._rec("on_member_linked")

    @hookimpl
    def on_event_ignored(self, kind: str) -> None:
        self._rec("on_event_ignored")

    @hookimpl
    def command_check(self, ctx: Any, command: Any) -> bool | None:
        self._rec("command_check")
        return False if ctx.message.text == "!ping blocked" else None

    @hookimpl
    async def on_command_error(self, ctx: Any, command: Any, error: Any) -> None:
        self._rec("on_command_error")

    @hookimpl
    async def on_command_completed(self, ctx: Any, command: Any) -> None:
        self._rec("on_command_completed")

    @hookimpl
    def permission_allowed(self, member: Any, permission: str) -> bool | None:
        self._rec("permission_allowed")
        return True if member.display_name == "vip" else None

    @hookimpl
    def validate_setting(self, key: str, new: Any) -> str | None:
        self._rec("validate_setting")
        return "not on Mondays" if key == "bot.command_prefix" and new == "?" else None

    @hookimpl
    def check_integrity(self, bot: Any) -> list[str]:
        self._rec("check_integrity")
        return []

    @hookimpl
    def export_data(self, bot: Any, community: Any, fmt: str) -> dict[str, list[dict[str, Any]]]:
        self._rec("export_data")
        return {"recorder": [{"community": community.id, "fmt": fmt}]}

    @hookimpl
    def describe_audit_action(self, action: str) -> str | None:
        self._rec("describe_audit_action")
        return "recorded:" if action == "recorder.thing" else None

    @hookimpl
    def render_announcement(self, bot: Any, announcement: Any) -> Any:
        if announcement.namespace != "recorder":
            return None
        self._rec("render_announcement")
        return f"announced {announcement.payload['n']}"


async def test_every_core_hook_is_exercised(make_bot: Any, tmp_path: Path) -> None:
    rec = Recorder()
    tb: TestBot = await make_bot(
        plugins={"rec": rec, "sample": sample_commands.plugin},
        raw={"communities": {"main": {"rooms": ["console:console", "other:room"]}}},
    )
    chat = tb.chat
    assert await chat.say("alice", "!ping") == "Pong!"
    await chat.say("alice", "hello")
    await chat.react("alice", 1, "👍")
    await tb.bot.dispatch_join(MemberJoin(chat.adapter.user("newbie"), chat.adapter.room()))
    await tb.bot.dispatch_leave(MemberLeave(chat.adapter.user("newbie"), chat.adapter.room()))
    await tb.bot.dispatch_deleted(MessageDeleted(MessageRef("console", "console", "1"),
                                                 chat.adapter.room()))
    assert "not available" in await chat.say("alice", "!ping blocked")
    assert await chat.say("vip", "!secret") == "the secret"  # permission_allowed → True
    assert await chat.say("mod", "!config bot.command_prefix ?") == (
        "Cannot change bot.command_prefix: not on Mondays")
    # linking: a code on the console, redeemed by a second platform in the same community
    from bot.adapters.local import LocalAdapter

    other = LocalAdapter("other", "room")
    tb.bot.adapters["other"] = other
    await other.start(tb.bot)
    code = (await chat.say("alice", "!link")).split("code is ")[1].split(".")[0]
    assert "Linked" in "\n".join(m.text for m in await other.say("alice2", f"!link {code}"))
    checks = await tb.bot.hooks.collect("check_integrity", bot=tb.bot)
    assert [] in checks and all(c == [] for c in checks)
    exported = await tb.bot.hooks.collect("export_data", bot=tb.bot,
                                          community=tb.bot.communities.get("main"), fmt="json")
    assert {"recorder": [{"community": "main", "fmt": "json"}]} in exported

    async def record(tx: Any) -> None:
        await tb.bot.outbox.add(tx, "recorder", "r1", community="main",
                                room=chat.adapter.room(), payload={"n": 7})

    await tb.bot.db.atomic(record)
    assert await tb.bot.outbox.deliver(["r1"]) == 2  # and its copy in the community's other room
    assert chat.sent[-1].text == other.sent[-1].text == "announced 7"
    await chat.say("mod", "!ignore @alice")
    assert await chat.say("alice", "!ping") == ""  # on_event_ignored
    await tb.bot.audit.record("main", None, "recorder.thing", "7")
    assert "recorded: 7" in await chat.say("mod", "!audit 1")
    reloaded = tb.bot.config.path = tmp_path / "ruche.toml"
    reloaded.write_text(
        f'[storage]\nurl = "{tb.bot.config.storage.url}"\n'
        f'[bot]\ndata_dir = "{tb.bot.config.bot.data_dir}"\n'
        '[platforms.console]\nenabled = false\n'
        '[communities.main]\nname = "Main"\nrooms = ["console:console", "other:room"]\n')
    assert (await tb.bot.reload_config()).ok
    assert rec.reloaded == ("", "Main", ["communities.main.name"])
    await tb.stop()
    specs = set(_spec_functions(__import__("bot.hookspecs", fromlist=["x"])))
    assert specs - set(rec.calls) == set()


class Exploding:
    """A plugin whose event hooks all raise."""

    @hookimpl
    async def on_message(self) -> None:
        raise RuntimeError("exploded")

    @hookimpl
    def on_command_completed(self) -> None:
        raise ValueError("exploded too")


class Slow:
    @hookimpl
    async def on_message(self) -> None:
        await asyncio.sleep(30)


class Counter:
    def __init__(self) -> None:
        self.messages = 0

    @hookimpl
    async def on_message(self) -> None:
        self.messages += 1


async def test_a_raising_plugin_does_not_stop_others(make_bot: Any,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    counter = Counter()
    tb = await make_bot(plugins={"boom": Exploding(), "counter": counter})
    with caplog.at_level(logging.ERROR):
        await tb.chat.say("alice", "hi")
        assert await tb.chat.say("alice", "!ping") == "Pong!"
    assert counter.messages == 1
    assert any("plugin boom" in r.getMessage() for r in caplog.records)


async def test_a_slow_plugin_times_out(make_bot: Any) -> None:
    counter = Counter()
    tb = await make_bot(plugins={"slow": Slow(), "counter": counter},
                        raw={"hooks": {"timeout": 0.2}})
    await asyncio.wait_for(tb.chat.say("alice", "hi"), 5)
    assert counter.messages == 1


async def test_disabled_plugin_is_not_loaded(make_bot: Any) -> None:
    tb = await make_bot(plugins={"sample": sample_commands.plugin},
                        raw={"plugins": {"disabled": ["sample"]}})
    assert "Unknown command" in await tb.chat.say("alice", "!echo hi")
    assert "sample" not in [p.name for p in tb.bot.plugins]


class Misspelled:
    @hookimpl
    def on_mesage(self) -> None:  # typo: must fail loudly
        pass


async def test_misspelled_hook_fails_loudly(tmp_path: Path) -> None:
    import pluggy

    with pytest.raises(pluggy.PluginValidationError):
        await make_test_bot(tmp_path, plugins={"typo": Misspelled()})


class OwnSpecs:
    """A plugin with its own hookspecs; the emitter may be disabled (optionalhook)."""

    class Specs:
        @hookspec(call="notify")
        def on_thing_happened(self, thing: str) -> None:
            """A test event."""

    @hookimpl
    def register_hookspecs(self, pm: Any) -> None:
        pm.add_hookspecs(self.Specs)


class Listener:
    def __init__(self) -> None:
        self.things: list[str] = []

    @hookimpl(optionalhook=True)
    def on_thing_happened(self, thing: str) -> None:
        self.things.append(thing)


async def test_plugin_hookspecs_and_optional_hooks(make_bot: Any) -> None:
    listener = Listener()
    tb = await make_bot(plugins={"emitter": OwnSpecs(), "listener": listener})
    await tb.bot.hooks.notify("on_thing_happened", thing="x")
    assert listener.things == ["x"]
    # Without the emitter the optional implementation is accepted and simply never called.
    tb2 = await make_bot(plugins={"listener": Listener()})
    assert await tb2.bot.hooks.notify("on_thing_happened", thing="y") == []


async def test_first_returns_first_non_none(make_bot: Any) -> None:
    class A:
        @hookimpl
        def render_announcement(self) -> None:
            return None

    class B:
        @hookimpl
        async def render_announcement(self) -> str:
            return "b"

    tb = await make_bot(plugins={"a": A(), "b": B()})
    assert await tb.bot.hooks.first("render_announcement", bot=tb.bot, announcement=None) == "b"


async def test_a_hook_called_with_another_style_than_its_spec_fails_loudly(
        make_bot: Any) -> None:
    from bot.hooks import HookCallStyleError

    tb = await make_bot(plugins={"emitter": OwnSpecs(), "listener": Listener()})
    hooks = tb.bot.hooks
    with pytest.raises(HookCallStyleError, match=re.escape("'on_thing_happened' is a notify hook: "
                                 "call it with hooks.notify, not hooks.first")):
        await hooks.first("on_thing_happened", thing="x")
    with pytest.raises(HookCallStyleError, match=re.escape("hooks.notify, not hooks.collect")):
        await hooks.collect("on_thing_happened", thing="x")
    with pytest.raises(HookCallStyleError, match=re.escape("call it with hooks.collect")):
        await hooks.first("export_data", bot=tb.bot, community=None, fmt="csv")
    with pytest.raises(HookCallStyleError, match=re.escape("call it with hooks.first")):
        await hooks.notify("render_announcement", bot=tb.bot, announcement=None)
    with pytest.raises(HookCallStyleError, match="verdicts hook"):
        await hooks.collect("command_check", ctx=None, command=None)
    # `first_safe` is a way to call a `first` hook, and still checked.
    assert await hooks.first_safe("render_announcement", bot=tb.bot, announcement=None) is None
    with pytest.raises(HookCallStyleError):
        await hooks.first_safe("on_thing_happened", default=1, thing="x")
    # A hook whose emitter is disabled has no spec and nothing to check.
    tb2 = await make_bot(plugins={"listener": Listener()})
    assert await tb2.bot.hooks.first("on_thing_happened", thing="y") is None


async def test_the_call_style_is_checked_once_per_hook_and_method(
        make_bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.hooks

    checked: list[tuple[str, str]] = []
    real = bot.hooks.check_call_style

    def spy(caller: Any, method: str) -> None:
        checked.append((caller.name, method))
        real(caller, method)

    monkeypatch.setattr(bot.hooks, "check_call_style", spy)
    listener = Listener()
    tb = await make_bot(plugins={"emitter": OwnSpecs(), "listener": listener})
    checked.clear()
    for n in range(3):
        await tb.bot.hooks.notify("on_thing_happened", thing=str(n))
    assert listener.things == ["0", "1", "2"]
    assert checked == [("on_thing_happened", "notify")]


def test_a_hookspec_declares_exactly_one_call_style() -> None:
    with pytest.raises(TypeError, match="declare how the core calls it"):
        hookspec(lambda: None)
    with pytest.raises(TypeError, match="exactly one call style"):
        hookspec()
    with pytest.raises(TypeError, match="exactly one call style"):
        hookspec(call="notify", firstresult=True)
    with pytest.raises(TypeError, match="firstresult=True"):
        hookspec(call="first")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="unknown hook call style"):
        hookspec(call="broadcast")  # type: ignore[call-overload]


async def test_a_spec_without_a_ruche_call_style_is_refused_when_called(
        make_bot: Any) -> None:
    import pluggy

    from bot.hooks import HookCallStyleError

    class PlainSpecs:
        @pluggy.HookspecMarker("ruche")
        def on_plain(self) -> None:
            """Declared with pluggy's marker: no call style."""

    class Emitter:
        @hookimpl
        def register_hookspecs(self, pm: Any) -> None:
            pm.add_hookspecs(PlainSpecs)

    tb = await make_bot(plugins={"emitter": Emitter()})
    with pytest.raises(HookCallStyleError, match="declares no single call style"):
        await tb.bot.hooks.notify("on_plain")


async def test_third_party_plugin_from_entry_point(tmp_path: Path) -> None:
    config = Config({
        "storage": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        "platforms": {"console": {"enabled": False}},
        "plugins": {"sample": {"greeting": "Salut"}},
    })
    bot = Bot(config, builtins={"core": "bot.commands.builtin"}, use_entry_points=True)
    from bot.adapters.local import LocalAdapter
    from bot.testing import _ChatPlugin

    adapter = LocalAdapter()
    bot.pm.register(_ChatPlugin(adapter), name="chat")
    await bot.setup()
    await bot.start()
    try:
        assert "sample" in [p.name for p in bot.plugins]
        loaded = next(p for p in bot.plugins if p.name == "sample")
        assert loaded.version == "1.2.3" and loaded.source == "entry point"
        out = await adapter.say("alice", "!greet hi")
        assert out[0].text == "Salut, alice! (1 greetings so far)"
        from ruche_sample import Greetings, SamplePlugin

        assert isinstance(bot.plugin(SamplePlugin).greetings, Greetings)
        assert any(isinstance(m, Migrations) and m.namespace == "sample"
                   for m in bot.migrations)
    finally:
        await bot.stop()


async def test_third_party_plugin_config_is_validated(tmp_path: Path) -> None:
    from bot.config import ConfigErrors

    config = Config({"storage": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     "plugins": {"sample": {"greting": "x"}}})
    bot = Bot(config, builtins={"core": "bot.commands.builtin"})
    with pytest.raises(ConfigErrors) as err:
        await bot.load()
    assert "plugins.sample.greting" in str(err.value)


async def test_register_adapters_room_mapping(make_bot: Any) -> None:
    tb = await make_bot(raw={"communities": {"main": {"rooms": ["console:console"],
                                                      "locale": "fr"}}})
    community = tb.bot.communities.for_room(RoomRef("console", "console"))
    assert community.id == "main" and community.locale == "fr"
    assert tb.bot.communities.for_room(RoomRef("discord", "c1", guild="g1")).id == "discord:g1"


async def test_hook_order_cache_sees_plugins_registered_later(make_bot: Any) -> None:
    tb = await make_bot()
    before = await tb.bot.hooks.collect("export_data", bot=tb.bot, community=None, fmt="json")

    class Late:
        @hookimpl
        def export_data(self) -> dict[str, list[Any]]:
            return {"late": []}

    late = Late()
    tb.bot.pm.register(late, name="late")
    after = await tb.bot.hooks.collect("export_data", bot=tb.bot, community=None, fmt="json")
    assert {"late": []} in after and {"late": []} not in before
    tb.bot.pm.unregister(late)
    again = await tb.bot.hooks.collect("export_data", bot=tb.bot, community=None, fmt="json")
    assert {"late": []} not in again
