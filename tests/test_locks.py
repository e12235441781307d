"""The locks in requirements/ match pyproject.toml, and editing it without `scripts/lock` fails."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


lockcheck = _load("lockcheck")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what the locks are computed from and the locks themselves, consistent."""
    if lockcheck.problems(ROOT):
        pytest.skip("the locks are stale (test_the_locks_match_pyproject says why)")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_locks_match_pyproject() -> None:
    assert lockcheck.problems(ROOT) == [], "the locks are stale: run scripts/lock"


def test_a_new_dependency_without_refresh_is_named(checkout: Path) -> None:
    _edit(checkout / "pyproject.toml", "dependencies = [\n", 'dependencies = [\n    "requests>=2",\n')
    found = lockcheck.problems(checkout)
    assert "requirements/runtime.txt pins nothing for requests>=2" in found
    assert "requirements/test.txt pins nothing for requests>=2" in found
    assert any("runtime.txt was computed from another pyproject.toml" in p for p in found)


def test_a_tightened_specifier_is_checked_against_the_pin(checkout: Path) -> None:
    _edit(checkout / "pyproject.toml", '"pluggy>=1.5,<2"', '"pluggy>=99"')
    found = lockcheck.problems(checkout)
    assert any(p.startswith("requirements/test.txt pins pluggy==") and p.endswith("outside pluggy>=99")
               for p in found), found


def test_a_new_extra_belongs_to_the_test_lock_only(checkout: Path) -> None:
    _edit(checkout / "pyproject.toml", "[project.optional-dependencies]\n",
          '[project.optional-dependencies]\nnew = ["requests>=2"]\n')
    found = lockcheck.problems(checkout)
    assert "requirements/test.txt pins nothing for requests>=2" in found
    assert not any(p.startswith("requirements/runtime.txt") for p in found), found


def test_reformatting_pyproject_keeps_the_fingerprint(checkout: Path) -> None:
    _edit(checkout / "pyproject.toml", '"pluggy>=1.5,<2"', '"pluggy >= 1.5, < 2"')
    assert lockcheck.problems(checkout) == []


def test_a_changed_synapse_input_is_caught(checkout: Path) -> None:
    _edit(checkout / "requirements" / "synapse.in", "matrix-synapse==", "matrix-synapse>=")
    found = lockcheck.problems(checkout)
    assert found == ["requirements/synapse.txt was computed from another "
                     "requirements/synapse.in (input-sha256 differs)"]


def test_runtime_and_test_locks_pin_the_same_versions(checkout: Path) -> None:
    runtime = checkout / "requirements" / "runtime.txt"
    babel = next(p for p in lockcheck.pins(runtime.read_text()) if p.name == "babel")
    _edit(runtime, f"babel=={babel.version} ", "babel==2.14.0 ")
    found = lockcheck.problems(checkout)
    assert any(p.startswith("requirements/runtime.txt pins babel ['2.14.0'] but") for p in found)


def test_every_lock_has_hashes_and_markers_parse() -> None:
    for lock in lockcheck.LOCKS:
        text = lockcheck.lock_path(ROOT, lock).read_text(encoding="utf-8")
        pins = lockcheck.pins(text)
        hashed = sum(1 for line in text.splitlines() if line.strip().startswith("--hash="))
        assert pins and hashed >= len(pins), lock
        assert "refresh with scripts/lock" in "\n".join(text.splitlines()[:5]), lock
    assert lockcheck.pins("audioop-lts==0.2.2 ; python_full_version >= '3.13' \\") == [
        lockcheck.Pin("audioop-lts", "0.2.2", "python_full_version >= '3.13'")]
