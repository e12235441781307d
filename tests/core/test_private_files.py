"""Files Ruche creates are owner-only under a permissive umask, with or without the CLI."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.files import PRIVATE_DIR, PRIVATE_FILE
from bot.model import RoomRef
from bot.storage.sqlite import SqliteDatabase


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask: without care, files come out 0644 and folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(root: Path) -> dict[str, int]:
    """Every path under `root` (itself included) with its permission bits."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def assert_private(root: Path) -> None:
    wrong = {name: oct(bits) for name, bits in modes(root).items()
             if bits != (PRIVATE_DIR if (root / name).is_dir() else PRIVATE_FILE)}
    assert wrong == {}


async def test_database_wal_shm_and_folder_are_private(tmp_path: Path, umask_022: None) -> None:
    data = tmp_path / "data"
    db = await SqliteDatabase.open(f"sqlite:///{data / 'ruche.sqlite3'}")
    try:
        await db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, who TEXT)")
        await db.execute("INSERT INTO ledger (who) VALUES ($1)", "alice")
        assert await db.fetchval("SELECT who FROM ledger") == "alice"
        names = {p.name for p in data.iterdir()}
        assert {"ruche.sqlite3", "ruche.sqlite3-wal", "ruche.sqlite3-shm"} <= names
        assert_private(data)
    finally:
        await db.close()
    assert mode(tmp_path) == 0o755 or mode(tmp_path) == 0o700  # pytest's folder, not ours
    assert_private(data)


async def test_backup_is_private_and_its_folder_untouched(tmp_path: Path, umask_022: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)  # a folder the operator owns, like /tmp: never tightened
    db = await SqliteDatabase.open(f"sqlite:///{tmp_path / 'data' / 'ruche.sqlite3'}")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        await db.backup(shared / "ruche-backup.sqlite3")
    finally:
        await db.close()
    assert mode(shared / "ruche-backup.sqlite3") == PRIVATE_FILE
    assert sorted(p.name for p in shared.iterdir()) == ["ruche-backup.sqlite3"]
    assert mode(shared) == 0o755


async def test_existing_folder_kept_and_old_world_readable_database_tightened(
    tmp_path: Path, umask_022: None
) -> None:
    folder = tmp_path / "srv"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "ruche.sqlite3"
    path.touch()
    path.chmod(0o644)  # written by an older release
    db = await SqliteDatabase.open(f"sqlite:///{path}")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        assert mode(path) == PRIVATE_FILE
        assert mode(folder / "ruche.sqlite3-wal") == PRIVATE_FILE
    finally:
        await db.close()
    assert mode(folder) == 0o755


async def test_console_exports_are_private(tmp_path: Path, umask_022: None) -> None:
    console = ConsoleAdapter(["operator"], ["operator"], stdin=io.StringIO(""),
                             stdout=io.StringIO(), interactive=False, data_dir=tmp_path / "data")
    await console.send_file(RoomRef("console", "console"), "ledger export.csv", b"alice,5\n")
    assert (tmp_path / "data" / "exports" / "ledger_export.csv").read_bytes() == b"alice,5\n"
    assert_private(tmp_path / "data")


async def test_matrix_session_and_key_store_are_private(tmp_path: Path, umask_022: None) -> None:
    from bot.adapters.matrix import MatrixConfig
    from bot.adapters.matrix.session import _fingerprint, login, make_client, write_session
    from bot.config import build

    config, problems = build(MatrixConfig, {
        "homeserver": "https://matrix.example.org", "user_id": "@ruche:example.org",
        "access_token": {"env": "MATRIX_TOKEN"}}, "platforms.matrix",
        env={"MATRIX_TOKEN": "syt_token"})
    assert config is not None and not problems
    data = tmp_path / "data"
    store = config.store_path(str(data))
    # A device saved by an earlier run: login restores it without asking the homeserver.
    write_session(store, {"user_id": config.user_id, "device_id": "RUCHEDEV",
                          "token_sha": _fingerprint("syt_token")})
    client = make_client(config, store)
    try:
        await login(client, config, store)
        assert client.store is not None  # nio created its E2EE key store
    finally:
        await client.close()
    files = {p.name for p in store.iterdir()}
    assert "session.json" in files and any(name.endswith(".db") for name in files), files
    assert_private(data)


def test_ruche_run_leaves_a_private_data_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RUCHE_CONFIG", None)
    done = subprocess.run(
        ["sh", "-c", f"umask 022 && printf '!ping\\n' | exec {sys.executable} -m bot run"],
        capture_output=True, text=True, cwd=work, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "Pong" in done.stdout
    assert (work / "data" / "ruche.sqlite3").is_file()
    assert_private(work / "data")
