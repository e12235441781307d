"""The `ruche` command line as an operator uses it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.schema import migrations as core_migrations

ROOT = Path(__file__).resolve().parents[2]


def ruche(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("RUCHE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ruche.toml"
    path.write_text(text)
    return path


def test_check_config_reports_wrong_type_and_unknown_key(tmp_path: Path) -> None:
    write(tmp_path, '[bot]\ncommand_prefix = 3\nlocal = "fr"\n')
    result = ruche(tmp_path, "check-config", "ruche.toml")
    assert result.returncode == 1
    assert "bot.command_prefix" in result.stderr
    assert "bot.local" in result.stderr and "locale" in result.stderr


def test_check_config_reports_plugin_keys(tmp_path: Path) -> None:
    write(tmp_path, '[plugins.sample]\ngreeting = 5\n[plugins.nosuch]\nx = 1\n')
    result = ruche(tmp_path, "check-config", "ruche.toml")
    assert result.returncode == 1
    assert "plugins.sample.greeting" in result.stderr
    assert "plugins.nosuch" in result.stderr


def test_check_config_ok_and_defaults(tmp_path: Path) -> None:
    assert ruche(tmp_path, "check-config").returncode == 0
    result = ruche(tmp_path, "check-config", str(ROOT / "config.example.toml"))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_secrets_are_never_echoed(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("hunter2-very-secret\n")
    write(tmp_path, '[storage]\nurl = { file = "secret" }\n')
    result = ruche(tmp_path, "check-config", "ruche.toml")
    assert result.returncode == 1
    assert "hunter2" not in result.stdout + result.stderr


def test_init_writes_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    assert ruche(tmp_path, "init").returncode == 0
    text = (tmp_path / "ruche.toml").read_text()
    assert text == (ROOT / "config.example.toml").read_text()
    assert ruche(tmp_path, "init").returncode == 1
    assert ruche(tmp_path, "init", "--force").returncode == 0


def test_db_status_migrate_backup(tmp_path: Path) -> None:
    result = ruche(tmp_path, "db", "status")
    assert result.returncode == 0, result.stderr
    assert "core" in result.stdout and "pending" in result.stdout
    assert ruche(tmp_path, "db", "migrate").returncode == 0
    result = ruche(tmp_path, "db", "status")
    assert "up to date" in result.stdout and "pending" not in result.stdout
    assert ruche(tmp_path, "db", "backup", "backup.sqlite3").returncode == 0
    with sqlite3.connect(tmp_path / "backup.sqlite3") as conn:
        assert conn.execute("SELECT version FROM schema_versions WHERE namespace = 'core'"
                            ).fetchone() == (core_migrations.latest,)
    assert ruche(tmp_path, "db", "check").returncode == 0


def test_database_newer_than_code_refuses_to_start(tmp_path: Path) -> None:
    assert ruche(tmp_path, "db", "migrate").returncode == 0
    with sqlite3.connect(tmp_path / "data" / "ruche.sqlite3") as conn:
        conn.execute("UPDATE schema_versions SET version = 99 WHERE namespace = 'core'")
    result = ruche(tmp_path, "run", stdin="!ping\n")
    assert result.returncode == 2
    assert "core" in result.stderr and "99" in result.stderr
    assert "Pong" not in result.stdout


def test_plugins_lists_hooks_and_versions(tmp_path: Path) -> None:
    result = ruche(tmp_path, "plugins")
    assert result.returncode == 0
    assert "core" in result.stdout and "register_commands" in result.stdout
    assert "sample" in result.stdout and "1.2.3" in result.stdout


def test_export_json(tmp_path: Path) -> None:
    assert ruche(tmp_path, "run", stdin="alice> !ping\n").returncode == 0
    result = ruche(tmp_path, "export", "--community", "console", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), dict)


def test_discord_sync_without_discord_config_says_what_to_do(tmp_path: Path) -> None:
    result = ruche(tmp_path, "discord", "sync")
    assert result.returncode == 1
    assert "[platforms.discord]" in result.stderr


def test_check_config_reports_every_level_in_one_pass(tmp_path: Path) -> None:
    write(tmp_path, """
[bot]
command_prefix = "!!!!!!!!"
local = "fr"
[storage]
url = "mysql://db/ruche"
[communities.main]
rooms = ["discord:abc"]
[platforms.matrix]
homeserver = 5
[platforms.nosuch]
x = 1
[plugins.tips]
max_tip = -5
bogus = 1
[plugins.votes]
max_options = "many"
[plugins.nosuch]
x = 1
[webz]
a = 1
""")
    result = ruche(tmp_path, "check-config", "ruche.toml")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    expected = {
        "bot.command_prefix": "at most 5 characters",
        "bot.local": "did you mean 'locale'",
        "storage.url": "expected sqlite",
        "communities.main.rooms": "numeric guild id",
        "platforms.matrix.homeserver": "expected a string",
        "platforms.nosuch": "no such platform",
        "plugins.tips.max_tip": "≥ 1",
        "plugins.tips.bogus": "unknown key",
        "plugins.votes.max_options": "expected an integer",
        "plugins.nosuch": "no such plugin",
        "webz": "did you mean 'web'",
    }
    for key, message in expected.items():
        assert any(f"error: {key}: " in line and message in line for line in lines), (key, lines)
    assert f"{len(expected)} error(s)" in result.stderr


def test_check_config_shows_warnings_with_errors(tmp_path: Path) -> None:
    write(tmp_path, '[plugins]\ndisabled = ["nosuch"]\n[bot]\nlocal = "fr"\n')
    result = ruche(tmp_path, "check-config", "ruche.toml")
    assert result.returncode == 1
    assert "warning: plugins.disabled" in result.stderr and "error: bot.local" in result.stderr
    assert "1 error(s), 1 warning(s)" in result.stderr


COMMANDS = [("db", "status"), ("db", "check"), ("plugins",), ("communities",)]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_config_option_anywhere_on_the_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    # A wrong prefix proves the file was read: without it the defaults would load fine.
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf", '[bot]\ncommand_prefix = ""\n')
    lines = [["--config", "conf/ruche.toml", *command], ["-c", "conf/ruche.toml", *command],
             [*command, "--config", "conf/ruche.toml"],
             [command[0], "-c", "conf/ruche.toml", *command[1:]]]
    for line in lines:
        result = ruche(tmp_path, *line)
        assert result.returncode == 1, (line, result.stderr)
        assert "bot.command_prefix" in result.stderr, (line, result.stderr)
        assert "unrecognized arguments" not in result.stderr


def test_last_config_option_wins_and_top_level_survives(tmp_path: Path) -> None:
    write(tmp_path, '[bot]\ncommand_prefix = ""\n')
    (tmp_path / "good.toml").write_text("")
    assert ruche(tmp_path, "-c", "ruche.toml", "db", "status").returncode == 1
    assert ruche(tmp_path, "-c", "ruche.toml", "db", "-c", "good.toml", "status").returncode == 0
    assert ruche(tmp_path, "-c", "good.toml", "check-config", "ruche.toml").returncode == 1
    assert ruche(tmp_path, "check-config", "-c", "ruche.toml").returncode == 1


PLATFORM_BLOCKS = {
    "matrix": '[platforms.matrix]\nhomeserver = "http://127.0.0.1:9"\n'
              'user_id = "@ruche:example.org"\naccess_token = { file = "token" }\n',
    "discord": '[platforms.discord]\ntoken = { file = "token" }\n',
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_BLOCKS))
def test_commands_that_do_not_run_the_bot_leave_adapters_alone(tmp_path: Path,
                                                               platform: str) -> None:
    (tmp_path / "token").write_text("not-a-real-token\n")
    write(tmp_path, PLATFORM_BLOCKS[platform])
    for line in (["db", "migrate"], ["db", "check"], ["db", "backup", "copy.sqlite3"],
                 ["communities"], ["export", "--community", "nobody"]):
        result = ruche(tmp_path, *line, "--config", "ruche.toml")
        assert result.returncode == (2 if line[0] == "export" else 0), (line, result.stderr)
        assert "Traceback" not in result.stderr and "Error" not in result.stderr, line
        assert platform not in result.stderr.lower(), (line, result.stderr)
