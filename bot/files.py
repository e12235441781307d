"""Files Ruche creates hold the ledger and members' identities: owner-only, whatever the umask."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

#: Mode of every file Ruche writes (database, WAL/SHM, backups, exports, session files).
PRIVATE_FILE = 0o600
#: Mode of every directory Ruche creates (data folder, Matrix store, export folders).
PRIVATE_DIR = 0o700
#: The umask the `ruche` command runs under, so files created by libraries are private too.
PRIVATE_UMASK = 0o077


def restrict_umask() -> int:
    """Add owner-only bits to the process umask (SQLite's WAL, nio's store) and return the old one."""
    old = os.umask(PRIVATE_UMASK)
    os.umask(old | PRIVATE_UMASK)
    return old


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Create files owner-only inside the block, for libraries that open files themselves."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create a directory (and missing parents) 0700; `tighten` also fixes an existing one.

    Only folders Ruche owns are tightened (its data folder), never a parent such as /tmp.
    """
    folder = Path(path)
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    for made in [*missing, folder] if tighten else missing:
        with contextlib.suppress(OSError):
            made.chmod(PRIVATE_DIR)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create an empty file 0600 if missing and make an existing one 0600."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return target


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write a whole file 0600 (exports, backups' side files), never world-readable for a moment."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
    return target
