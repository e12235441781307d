"""The tests never run in, nor change, the operator's install (`.venv`) or data (`data/`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


operator_state = _load("operator_state")


def _dist(root: Path, name: str, version: str) -> None:
    site = root / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / f"{name}-{version}.dist-info").mkdir(parents=True)


def test_the_tests_do_not_run_in_the_operators_venv() -> None:
    assert Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(), (
        "pytest runs from the operator's .venv: scripts/test must use .venv-test")


def test_the_operators_venv_has_no_test_only_plugin() -> None:
    """A test-only plugin in .venv would load into `ruche run` and migrate its table there."""
    assert operator_state.test_only(ROOT) == []


def test_state_sees_an_install_into_the_venv(tmp_path: Path) -> None:
    _dist(tmp_path, "ruche", "0.1.0")
    before = operator_state.state(tmp_path)
    _dist(tmp_path, "ruche_sample_plugin", "1.2.3")
    assert operator_state.changes(before, operator_state.state(tmp_path)) == [
        ".venv: ruche-sample-plugin==1.2.3 was installed"]
    assert operator_state.test_only(tmp_path) == ["ruche-sample-plugin==1.2.3"]


def test_state_sees_a_write_a_new_file_and_a_deletion_in_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ruche.sqlite3").write_bytes(b"SQLite format 3\0")
    (data / "old.log").write_text("x")
    before = operator_state.state(tmp_path)
    assert operator_state.changes(before, operator_state.state(tmp_path)) == []
    (data / "ruche.sqlite3").write_bytes(b"SQLite format 3\0+")
    (data / "ruche.sqlite3-wal").write_bytes(b"")
    (data / "old.log").unlink()
    assert operator_state.changes(before, operator_state.state(tmp_path)) == [
        "data/old.log was deleted", "data/ruche.sqlite3 was modified",
        "data/ruche.sqlite3-wal was created"]


def test_state_sees_a_database_created_where_there_was_no_data(tmp_path: Path) -> None:
    before = operator_state.state(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ruche.sqlite3").write_bytes(b"")
    assert operator_state.changes(before, operator_state.state(tmp_path)) == [
        "data/ruche.sqlite3 was created"]
