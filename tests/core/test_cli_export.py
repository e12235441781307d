"""`ruche communities` and `ruche export` after a real story told through the console."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.testing import TestBot

STORY = [
    "bob> hello",
    "carol> hello",
    "alice> !idea submit Solar oven",
    "mod> !idea accept 1",
    "bob> !idea comment 1 nice",
    "mod> !campaign open Fair --bounty 5",
    "mod> !grant @bob 100 welcome",
    "mod> !grant @carol 100 welcome",
    "bob> !tip @alice 5 thanks",
    "alice> !fund open 1 10",
    "bob> !pledge 1 10",
    "mod> !fund close 1",
    'alice> !poll new "Lunch?" "Pizza" "Sushi"',
    "bob> !vote 1 A",
    "carol> !vote 1 B",
    "alice> !poll close 1",
]
#: Tables the story fills, one per plugin at least.
STORY_TABLES = {"ideas_ideas", "ideas_campaigns", "ideas_comments", "votes_polls",
                "votes_ballots", "tips_ledger", "tips_accounts", "funding_rounds",
                "funding_pledges"}


def ruche(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("RUCHE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, timeout=120, env=env)


@pytest.fixture
async def told(make_bot: Callable[..., Awaitable[TestBot]], tmp_path: Path) -> Path:
    """A config whose database (SQLite or PostgreSQL) holds the story; returns its folder."""
    tb = await make_bot()
    url = tb.bot.config.storage.url
    await tb.stop()
    (tmp_path / "ruche.toml").write_text(
        f'[storage]\nurl = "{url}"\n'
        '[platforms.console]\nmoderators = ["mod"]\nadmins = ["mod"]\n'
        '[plugins.tips]\nallowance_amount = 0\nactivity_reward = 0\nidea_accepted_reward = 0\n'
        '[plugins.ideas]\nauto_poll = false\n', encoding="utf-8")
    result = ruche(tmp_path, "run", "-c", "ruche.toml", stdin="\n".join(STORY) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Tie: no option won." in result.stdout  # the story reached its end
    return tmp_path


def _is_time_column(name: str) -> bool:
    return name.endswith("_at") or name in ("time", "deadline")


def _assert_iso_utc(table: str, column: str, value: Any) -> None:
    assert isinstance(value, str) and value.endswith("Z"), (table, column, value)
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == UTC.utcoffset(parsed), (table, column, value)


def _walk(tables: dict[str, list[dict[str, Any]]]) -> int:
    """Assert every instant is ISO 8601 UTC and no epoch number slipped through; count them."""
    checked = 0
    for table, rows in tables.items():
        for row in rows:
            for column, value in row.items():
                if _is_time_column(column) and value not in (None, ""):
                    _assert_iso_utc(table, column, value)
                    checked += 1
                elif isinstance(value, float):
                    assert not 1e9 < value < 1e11, f"{table}.{column} looks like epoch seconds"
    return checked


async def test_json_export_has_every_table_and_iso_utc_instants(told: Path) -> None:
    result = ruche(told, "export", "--community", "console", "-c", "ruche.toml")
    assert result.returncode == 0, result.stderr
    tables = json.loads(result.stdout)
    assert STORY_TABLES <= set(tables)
    assert _walk(tables) >= 15
    polls = tables["votes_polls"]
    assert [p["question"] for p in polls] == ["Lunch?"] and polls[0]["closed_at"]
    assert tables["funding_rounds"][0]["settled_at"]


def _csv_tables(files: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    return {name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(text)))
            for name, text in files.items()}


async def test_csv_folder_and_zip_match_the_json(told: Path) -> None:
    as_json = json.loads(ruche(told, "export", "--community", "console", "-c",
                               "ruche.toml").stdout)
    result = ruche(told, "export", "--community", "console", "--format", "csv",
                   "--output", "out/csv", "-c", "ruche.toml")
    assert result.returncode == 0, result.stderr
    folder = told / "out" / "csv"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = {p.name: p.read_bytes().decode("utf-8") for p in folder.iterdir()}
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in files)
    tables = _csv_tables(files)
    assert set(tables) == set(as_json)
    for name, rows in as_json.items():
        assert len(tables[name]) == len(rows), name
        if rows:
            assert list(tables[name][0]) == list(rows[0]), name  # the header
    assert _walk(tables) == _walk(as_json)

    result = ruche(told, "export", "--community", "console", "--format", "csv",
                   "-o", "all.zip", "-c", "ruche.toml")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((told / "all.zip").stat().st_mode) == 0o600
    with zipfile.ZipFile(told / "all.zip") as archive:
        zipped = {n: archive.read(n).decode("utf-8") for n in archive.namelist()}
    assert zipped == files


async def test_json_to_a_file_is_owner_only(told: Path) -> None:
    result = ruche(told, "export", "--community", "console", "-o", "x.json", "-c", "ruche.toml")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((told / "x.json").stat().st_mode) == 0o600
    assert STORY_TABLES <= set(json.loads((told / "x.json").read_text(encoding="utf-8")))


async def test_unknown_community_and_csv_to_stdout_are_refused(told: Path) -> None:
    result = ruche(told, "export", "--community", "consol", "-c", "ruche.toml")
    assert result.returncode == 2 and result.stdout == ""
    assert "no community 'consol'; known: console" in result.stderr
    assert "did you mean 'console'?" in result.stderr.lower()
    result = ruche(told, "export", "--community", "console", "--format", "csv",
                   "-c", "ruche.toml")
    assert result.returncode == 2 and result.stdout == ""
    assert "--output DIR" in result.stderr and "FILE.zip" in result.stderr
    (told / "taken").write_text("")
    result = ruche(told, "export", "--community", "console", "--format", "csv",
                   "-o", "taken", "-c", "ruche.toml")
    assert result.returncode == 2 and "is a file" in result.stderr


async def test_communities_lists_configured_and_known_ones(told: Path) -> None:
    config = told / "ruche.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '[communities.guild]\nname = "The Guild"\n'
                        'rooms = ["console:other"]\n', encoding="utf-8")
    result = ruche(told, "communities", "--json", "-c", "ruche.toml")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"id": "console", "name": "console", "platforms": ["console"],
         "rooms": ["console:console"], "members": 4},
        {"id": "guild", "name": "The Guild", "platforms": ["console"],
         "rooms": ["console:other"], "members": 0},
    ]
    table = ruche(told, "communities", "-c", "ruche.toml")
    assert table.returncode == 0, table.stderr
    assert "The Guild" in table.stdout and "console:other" in table.stdout


def test_communities_on_a_fresh_database_says_so(tmp_path: Path) -> None:
    result = ruche(tmp_path, "communities")
    assert result.returncode == 0, result.stderr
    assert "No community yet" in result.stdout
    assert ruche(tmp_path, "communities", "--json").stdout.strip() == "[]"
