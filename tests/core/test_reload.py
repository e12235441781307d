"""Config reload (SIGHUP, `ruche reload`): live keys apply, a broken file changes nothing."""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pytest

from bot.cli.pidfile import pid_path
from bot.testing import TEST_BUILTINS, MakeBot, TestBot
from plugins.votes import VotesPlugin


def toml(table: Mapping[str, Any], prefix: str = "") -> str:
    """The few TOML shapes these tests write: tables of strings, numbers, booleans and lists."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    scalars = [f"{k} = {value(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    lines = ([f"[{prefix}]"] if prefix and scalars else []) + scalars
    for key, sub in table.items():
        if isinstance(sub, Mapping):
            lines.append(toml(sub, f"{prefix}.{key}" if prefix else key))
    return "\n".join(lines) + "\n"


def write_config(tb: TestBot, path: Path, extra: Mapping[str, Any]) -> Path:
    """The file this test bot 'runs with': its own storage and data folder, plus `extra`."""
    base: dict[str, Any] = {
        "bot": {"data_dir": tb.bot.config.bot.data_dir},
        "storage": {"url": tb.bot.config.storage.url},
        "platforms": {"console": {"enabled": False}},
    }
    for key, sub in extra.items():
        base[key] = {**base.get(key, {}), **sub} if isinstance(sub, Mapping) else sub
    path.write_text(toml(base), encoding="utf-8")
    tb.bot.config.path = path
    return path


async def test_a_new_moderator_and_tip_ceiling_apply_to_the_next_command(
        make_bot: MakeBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tb = await make_bot(raw={"plugins": {"tips": {"max_grant": 100}}})
    chat = tb.chat
    await chat.say("bob", "hello")
    assert "not allowed" in await chat.say("carol", "!grant @bob 500 thanks")
    assert await chat.say("mod", "!grant @bob 500 thanks") == "A grant is at most 100 BZZ."
    assert "at most 100" in await chat.say("mod", "!config plugins.tips.max_grant 2000")
    path = write_config(tb, tmp_path / "ruche.toml", {
        "platforms": {"console": {"enabled": False, "moderators": ["mod", "carol"]}},
        "limits": {"plugins": {"tips": {"max_grant": 5000}}},
        "plugins": {"tips": {"max_grant": 1000}},
    })
    with caplog.at_level(logging.INFO, logger="ruche.reload"):
        result = await tb.bot.reload_config()
    assert result.ok and result.restart == []
    assert set(result.applied) == {"platforms.console.moderators", "limits.plugins.tips.max_grant",
                                   "plugins.tips.max_grant"}
    summary = [r.getMessage() for r in caplog.records if "config reloaded" in r.getMessage()]
    assert summary == [f"config reloaded from {path}: 3 change(s) applied (platforms.console."
                       "moderators, limits.plugins.tips.max_grant, plugins.tips.max_grant); "
                       "0 need a restart"]
    assert await chat.say("carol", "!grant @bob 500 thanks") == (
        "carol granted bob 500 BZZ from the treasury: thanks")
    assert await chat.say("carol", "!grant @bob 1500 more") == "A grant is at most 1000 BZZ."
    # The new [limits] ceiling: above the file's value, below the operator's limit.
    assert "2000" in await chat.say("mod", "!config plugins.tips.max_grant 2000")
    assert await chat.say("carol", "!grant @bob 1500 more") == (
        "carol granted bob 1500 BZZ from the treasury: more")
    assert "at most 5000" in await chat.say("mod", "!config plugins.tips.max_grant 6000")


async def test_a_broken_file_keeps_the_running_config_and_says_why(
        make_bot: MakeBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tb = await make_bot(raw={"plugins": {"tips": {"max_grant": 100}}})
    await tb.chat.say("bob", "hello")
    running = tb.bot.config
    path = write_config(tb, tmp_path / "ruche.toml", {
        "platforms": {"console": {"enabled": False, "moderators": ["mod", "carol"]}},
        "plugins": {"tips": {"max_grant": "lots", "max_tipp": 5}},
    })
    with caplog.at_level(logging.INFO, logger="ruche.reload"):
        result = await tb.bot.reload_config()
    assert not result.ok
    lines = [r.getMessage() for r in caplog.records if r.name == "ruche.reload"]
    assert any(line.startswith("config reload: plugins.tips.max_grant: expected an integer")
               for line in lines), lines
    assert any("plugins.tips.max_tipp: unknown key" in line and "max_tip" in line
               for line in lines), lines
    assert lines[-1] == (f"config reload refused: {path} has 2 error(s); the running config is "
                         "kept")
    assert tb.bot.config is running
    assert "not allowed" in await tb.chat.say("carol", "!grant @bob 50 x")
    assert await tb.chat.say("mod", "!grant @bob 500 x") == "A grant is at most 100 BZZ."
    # Not TOML at all: one line saying where, nothing changed.
    caplog.clear()
    path.write_text("[plugins.tips\nmax_grant = 5\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="ruche.reload"):
        assert not (await tb.bot.reload_config()).ok
    assert any(f"{path}:1: invalid TOML" in r.getMessage() for r in caplog.records)
    assert tb.bot.config is running
    # A file without a path to re-read (built-in defaults) is refused too.
    tb.bot.config.path = None
    assert not (await tb.bot.reload_config()).ok


async def test_restart_only_keys_are_reported_and_not_applied(
        make_bot: MakeBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tb = await make_bot()
    url, data_dir = tb.bot.config.storage.url, tb.bot.config.bot.data_dir
    write_config(tb, tmp_path / "ruche.toml", {
        "bot": {"data_dir": str(tmp_path / "elsewhere")},
        "storage": {"url": f"sqlite:///{tmp_path / 'other.sqlite3'}"},
        "plugins": {"disabled": ["funding"], "tips": {"max_tip": 7}},
        "web": {"port": 9999},
    })
    with caplog.at_level(logging.INFO, logger="ruche.reload"):
        result = await tb.bot.reload_config()
    assert result.ok
    assert result.applied == ["plugins.tips.max_tip"]
    assert result.restart == ["bot.data_dir", "storage.url", "plugins.disabled", "web.port"]
    lines = [r.getMessage() for r in caplog.records if r.name == "ruche.reload"]
    assert "config reload: needs a restart: storage.url (the running value is kept)" in lines
    assert "config reload: needs a restart: web.port (the running value is kept)" in lines
    assert (tb.bot.config.storage.url, tb.bot.config.bot.data_dir) == (url, data_dir)
    assert tb.bot.config.plugins_disabled == []
    assert "web" not in tb.bot.config.raw
    await tb.chat.say("bob", "hello")
    assert await tb.chat.say("alice", "!tip @bob 8") == "A tip is at most 7 BZZ."
    assert "Crowdfund" in await tb.chat.say("alice", "!fund")  # still loaded: needs a restart


async def test_communities_locales_and_job_intervals_change_live(
        make_bot: MakeBot, tmp_path: Path) -> None:
    tb = await make_bot()
    assert await tb.chat.say("alice", "!ping") == "Pong!"
    before = tb.bot.scheduler.jobs["votes.sweep"].interval
    write_config(tb, tmp_path / "ruche.toml", {
        "communities": {"home": {"name": "Home", "locale": "fr", "prefix": "?",
                                 "rooms": ["console:console"]}},
        "plugins": {"votes": {"sweep_interval": "5m"}},
    })
    result = await tb.bot.reload_config()
    assert result.ok and "communities.home" in result.applied
    assert await tb.chat.say("alice", "?ping") == "Pong !"
    assert tb.bot.communities.for_room(tb.chat.adapter.room()).name == "Home"
    assert (before, tb.bot.scheduler.jobs["votes.sweep"].interval) == (30.0, 300.0)
    write_config(tb, tmp_path / "ruche.toml", {})  # back to no community: the default again
    assert (await tb.bot.reload_config()).applied == ["communities.home",
                                                      "plugins.votes.sweep_interval"]
    assert await tb.chat.say("alice", "!ping") == "Pong!"


async def test_default_locale_hook_timeout_and_log_level_change_live(
        make_bot: MakeBot, tmp_path: Path) -> None:
    tb = await make_bot()
    root = logging.getLogger()
    level = root.level
    write_config(tb, tmp_path / "ruche.toml", {"bot": {"locale": "fr"}, "hooks": {"timeout": 2.5},
                                               "logging": {"level": "ERROR"}})
    try:
        result = await tb.bot.reload_config()
        assert result.applied == ["bot.locale", "logging.level", "hooks.timeout"]
        assert root.level == logging.ERROR
    finally:
        root.setLevel(level)
    assert await tb.chat.say("alice", "!ping") == "Pong !"
    assert (tb.bot.i18n.default_locale, tb.bot.hooks.timeout) == ("fr", 2.5)


async def test_plugins_copies_of_config_values_follow_a_reload(
        make_bot: MakeBot, tmp_path: Path) -> None:
    """The votes plugin registered `create_role` as a permission's default and gave the live
    tally its edit interval at start-up: both follow the file after a reload."""
    tb = await make_bot()
    assert "📊 Poll #1" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    live = tb.bot.plugin(VotesPlugin).service.live
    write_config(tb, tmp_path / "ruche.toml", {
        "plugins": {"votes": {"create_role": "moderator", "tally_edit_interval": 0.5}}})
    assert (await tb.bot.reload_config()).ok
    assert "not allowed" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    assert "📊 Poll #2" in await tb.chat.say("mod", '!poll new "Q" "A" "B"')
    assert live.interval == 0.5
    await tb.chat.say("mod", "!config plugins.votes.create_role member")  # chat still decides
    assert "📊 Poll #3" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')
    write_config(tb, tmp_path / "ruche.toml", {})
    assert (await tb.bot.reload_config()).ok
    await tb.chat.say("mod", "!config plugins.votes.create_role --reset")
    assert "📊 Poll #4" in await tb.chat.say("alice", '!poll new "Q" "A" "B"')


# -- the real process -------------------------------------------------------------------------


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """A stream's lines as they come, read by a thread (so no pipe ever fills up)."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            found.put(line)

    threading.Thread(target=read, daemon=True).start()
    return found


def _wait_for(lines: queue.Queue[str], needle: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not seen in:\n{''.join(seen)}")


REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    """This checkout's `bot` in the child (it runs from a temporary folder), no inherited config."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("RUCHE_CONFIG", None)
    return env


def _ruche(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env()
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, env=env)


def test_ruche_reload_makes_the_running_bot_take_a_new_moderator(
        tmp_path: Path, database_url: str) -> None:
    config: dict[str, Any] = {
        "bot": {"data_dir": str(tmp_path / "data")},
        "storage": {"url": database_url},
        "logging": {"level": "INFO"},
        "platforms": {"console": {"moderators": ["operator"]}},
    }
    path = tmp_path / "ruche.toml"
    path.write_text(toml(config), encoding="utf-8")
    env = _env()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path, env=env)
    assert proc.stdin and proc.stdout and proc.stderr
    out, log = _lines(proc.stdout), _lines(proc.stderr)
    try:
        proc.stdin.write("carol> !audit\n")
        proc.stdin.flush()
        assert "You are not allowed to do that (core.audit)." in _wait_for(out, "[#1]")
        pidfile = pid_path(tmp_path / "data")
        assert pidfile.read_text().split("\n")[:2] == [str(proc.pid), str(path.resolve())]
        assert pidfile.stat().st_mode & 0o777 == 0o600
        # An invalid file: refused with check-config's words, the bot is not signalled.
        path.write_text(toml({**config, "platforms": {"console": {"moderators": "carol"}}}),
                        encoding="utf-8")
        refused = _ruche(tmp_path, "reload", "--config", str(path))
        assert refused.returncode == 1
        problem = "error: platforms.console.moderators: expected an array of strings"
        assert problem in refused.stderr
        checked = _ruche(tmp_path, "check-config", str(path))
        assert checked.stderr.splitlines()[0] == refused.stderr.splitlines()[0]
        assert "The running bot was not signalled" in refused.stderr
        # The fixed file: signalled, applied, the new moderator's command allowed.
        config["platforms"]["console"]["moderators"] = ["operator", "carol"]
        config["storage"]["connect_timeout"] = 5.0  # restart-only: reported, not applied
        path.write_text(toml(config), encoding="utf-8")
        done = _ruche(tmp_path, "reload", "--config", str(path))
        assert done.returncode == 0, done.stderr
        assert f"asked the bot (process {proc.pid}) to reload it" in done.stdout
        _wait_for(log, "needs a restart: storage.connect_timeout")
        assert "1 change(s) applied (platforms.console.moderators)" in _wait_for(
            log, "config reloaded")
        proc.stdin.write("carol> !audit\n")
        proc.stdin.flush()
        allowed = _wait_for(out, "[#2]")
        assert "not allowed" not in allowed and "audit" in allowed, allowed
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not pidfile.exists()  # removed at a clean exit
    finally:
        proc.kill()
    stopped = _ruche(tmp_path, "reload", "--config", str(path))
    assert stopped.returncode == 1 and "no running bot found" in stopped.stderr
    pid_path(tmp_path / "data").write_text(f"{proc.pid}\n{path.resolve()}\n")
    stale = _ruche(tmp_path, "reload", "--config", str(path))
    assert stale.returncode == 1
    assert f"names process {proc.pid}, which is not running" in stale.stderr


async def test_a_platform_that_is_not_running_needs_a_restart_for_all_its_keys(
        make_bot: MakeBot, tmp_path: Path) -> None:
    """Adding [platforms.matrix] changes nothing live, its role keys included."""
    tb = await make_bot(builtins={**TEST_BUILTINS, "matrix": "bot.adapters.matrix"})
    write_config(tb, tmp_path / "ruche.toml", {"platforms": {
        "console": {"enabled": False},
        "matrix": {"homeserver": "https://matrix.example.org", "user_id": "@ruche:example.org",
                   "access_token": "x", "moderator_power_level": 10}}})
    result = await tb.bot.reload_config()
    assert result.ok and result.applied == []
    assert "platforms.matrix.moderator_power_level" in result.restart
    assert "matrix" not in tb.bot.config.raw["platforms"]


async def test_a_plugin_switched_off_in_the_file_leaves_the_community_on_reload(
        make_bot: MakeBot, tmp_path: Path) -> None:
    tb = await make_bot()
    assert await tb.chat.say("alice", "!balance") == "alice has 0 BZZ."
    room = ["console:console"]
    write_config(tb, tmp_path / "ruche.toml", {
        "communities": {"home": {"rooms": room, "disabled_plugins": ["tips"]}}})
    assert (await tb.bot.reload_config()).ok
    assert (await tb.chat.say("alice", "!balance")).startswith("Unknown command")
    write_config(tb, tmp_path / "ruche.toml", {"communities": {"home": {"rooms": room}}})
    assert (await tb.bot.reload_config()).ok
    assert await tb.chat.say("alice", "!balance") == "alice has 0 BZZ."
