"""The operator's install and data as scripts/test must leave them: `.venv`'s distributions and
every file under `data/`, recorded before the tests and compared after (stdlib only).

    python scripts/operator_state.py record FILE    # write the state of this checkout to FILE
    python scripts/operator_state.py compare FILE   # what changed since; exit 1 if anything did
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Distributions only the test environment may have: in `.venv` they load into `ruche run`.
TEST_ONLY = ("ruche-sample-plugin",)


def _canonical(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


def distributions(venv: Path) -> list[str]:
    """`name==version` of every distribution installed in a venv (empty when there is none)."""
    found = []
    for info in venv.glob("lib/python*/site-packages/*.dist-info"):
        name, _sep, version = info.name.removesuffix(".dist-info").partition("-")
        found.append(f"{_canonical(name)}=={version}")
    return sorted(found)


def data_files(data: Path) -> dict[str, str]:
    """sha256 of every file under the data folder, by relative path."""
    files = {}
    for path in sorted(data.rglob("*")):
        if path.is_file():
            files[path.relative_to(data).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def state(root: Path) -> dict[str, object]:
    """What the tests must not change in a checkout: `.venv` and `data/`."""
    return {"venv": distributions(root / ".venv"), "data": data_files(root / "data")}


def test_only(root: Path) -> list[str]:
    """Test-only distributions found in the operator's `.venv`."""
    return [d for d in distributions(root / ".venv") if d.partition("==")[0] in TEST_ONLY]


def changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Human-readable differences between two states."""
    found = []
    venv_before, venv_after = set(before["venv"]), set(after["venv"])  # type: ignore[call-overload]
    found += [f".venv: {d} was installed" for d in sorted(venv_after - venv_before)]
    found += [f".venv: {d} was removed" for d in sorted(venv_before - venv_after)]
    data_before: dict[str, str] = before["data"]  # type: ignore[assignment]
    data_after: dict[str, str] = after["data"]  # type: ignore[assignment]
    for name in sorted(data_before.keys() | data_after.keys()):
        if name not in data_before:
            found.append(f"data/{name} was created")
        elif name not in data_after:
            found.append(f"data/{name} was deleted")
        elif data_before[name] != data_after[name]:
            found.append(f"data/{name} was modified")
    return found


def main(argv: list[str]) -> int:
    """CLI for scripts/test."""
    if len(argv) == 2 and argv[0] == "record":
        Path(argv[1]).write_text(json.dumps(state(ROOT)), encoding="utf-8")
        return 0
    if len(argv) == 2 and argv[0] == "compare":
        before = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        problems = changes(before, state(ROOT))
        problems += [f".venv has the test-only {d}: `ruche run` would load it; remove it with "
                     f".venv/bin/pip uninstall {d.partition('==')[0]}" for d in test_only(ROOT)]
        if problems:
            print("The tests must never touch .venv or data/ (if a bot ran from this checkout "
                  "meanwhile, its own writes show here too):", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"untouched (.venv: {len(before['venv'])} distributions, "
              f"data/: {len(before['data'])} files)")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
