"""The `ruche` command line as an operator uses it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

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
                            ).fetchone() == (2,)
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
    result = ruche(tmp_path, "export", "--community", "console", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), dict)


def test_discord_sync_without_discord_config_says_what_to_do(tmp_path: Path) -> None:
    result = ruche(tmp_path, "discord", "sync")
    assert result.returncode == 1
    assert "[platforms.discord]" in result.stderr
