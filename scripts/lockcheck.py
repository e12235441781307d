"""The lock files in requirements/ versus their inputs, offline: what scripts/lock writes and
scripts/test checks, so that editing pyproject.toml without refreshing the locks fails loudly.

    python scripts/lockcheck.py fingerprint runtime|test|synapse   # the input-sha256 of a lock
    python scripts/lockcheck.py check                              # every problem; exit 1 if any
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("runtime", "test", "synapse")
#: Extras the operator's lock includes: PostgreSQL deployments install from the lock too.
RUNTIME_EXTRAS = ("postgres",)
REFRESH = "scripts/lock"
FINGERPRINT = re.compile(r"^# input-sha256: ([0-9a-f]{64})$", re.MULTILINE)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    """One `name==version ; marker` line of a lock."""

    name: str
    version: str
    marker: str


def canonical(name: str) -> str:
    """PEP 503 name, so `discord.py`, `Discord_Py` and `discord-py` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _squeeze(requirement: str) -> str:
    """Whitespace never matters in a requirement; keep reformatting from changing fingerprints."""
    return re.sub(r"\s+", "", requirement)


def inputs(root: Path, lock: str) -> dict[str, object]:
    """What a lock is computed from: pyproject's requirements (+ extras) or synapse.in."""
    if lock == "synapse":
        lines = (root / "requirements" / "synapse.in").read_text(encoding="utf-8").splitlines()
        return {"requirements": sorted(_squeeze(x) for x in lines if x.strip()
                                       and not x.lstrip().startswith("#"))}
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    data: dict[str, object] = {
        "requires-python": _squeeze(project.get("requires-python", "")),
        "dependencies": sorted(_squeeze(x) for x in project.get("dependencies", [])),
    }
    extras = project.get("optional-dependencies", {})
    wanted = sorted(extras) if lock == "test" else [e for e in RUNTIME_EXTRAS if e in extras]
    data["extras"] = {name: sorted(_squeeze(x) for x in extras[name]) for name in wanted}
    return data


def fingerprint(root: Path, lock: str) -> str:
    """sha256 of a lock's normalized inputs; scripts/lock writes it in the lock's header."""
    text = json.dumps(inputs(root, lock), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def lock_path(root: Path, lock: str) -> Path:
    """requirements/<lock>.txt."""
    return root / "requirements" / f"{lock}.txt"


def pins(text: str) -> list[Pin]:
    """Every pinned requirement of a lock (hash and comment lines skipped)."""
    found = []
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.append(Pin(canonical(name), version, (marker or "").strip()))
    return found


def _requirements(root: Path, lock: str) -> list[str]:
    data = inputs(root, lock)
    if lock == "synapse":
        return list(data["requirements"])  # type: ignore[call-overload]
    reqs = list(data["dependencies"])  # type: ignore[call-overload]
    for extra in dict(data.get("extras", {})).values():  # type: ignore[call-overload]
        reqs.extend(extra)
    return reqs


def problems(root: Path = ROOT) -> list[str]:
    """Why the locks no longer match their inputs (empty when they do)."""
    from packaging.requirements import Requirement

    found: list[str] = []
    locked: dict[str, dict[str, set[str]]] = {}
    for lock in LOCKS:
        path = lock_path(root, lock)
        rel = path.relative_to(root)
        if not path.exists():
            found.append(f"{rel} is missing")
            continue
        text = path.read_text(encoding="utf-8")
        match = FINGERPRINT.search(text)
        if not match:
            found.append(f"{rel} has no '# input-sha256:' header line")
        elif match.group(1) != fingerprint(root, lock):
            source = "requirements/synapse.in" if lock == "synapse" else "pyproject.toml"
            found.append(f"{rel} was computed from another {source} (input-sha256 differs)")
        versions: dict[str, set[str]] = {}
        for pin in pins(text):
            versions.setdefault(pin.name, set()).add(pin.version)
        locked[lock] = versions
        if "--hash=sha256:" not in text:
            found.append(f"{rel} has no hashes")
        for raw in _requirements(root, lock):
            req = Requirement(raw)
            have = versions.get(canonical(req.name), set())
            if not have:
                found.append(f"{rel} pins nothing for {raw}")
            for version in sorted(have):
                if not req.specifier.contains(version, prereleases=True):
                    found.append(f"{rel} pins {req.name}=={version}, outside {raw}")
    runtime, test = locked.get("runtime", {}), locked.get("test", {})
    for name, versions in sorted(runtime.items()):
        if name in test and versions != test[name]:
            found.append(f"requirements/runtime.txt pins {name} {sorted(versions)} but "
                         f"requirements/test.txt pins {sorted(test[name])}: tests must run "
                         "what operators install")
    return found


def main(argv: list[str]) -> int:
    """CLI for scripts/lock and scripts/test."""
    if argv[:1] == ["fingerprint"] and len(argv) == 2 and argv[1] in LOCKS:
        print(fingerprint(ROOT, argv[1]))
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(f"lock: {problem}", file=sys.stderr)
        if found:
            print(f"the locks are stale: run {REFRESH} and commit requirements/", file=sys.stderr)
            return 1
        print("locks match pyproject.toml and requirements/synapse.in")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
