"""`DATA_DIR/ruche.pid`: how `ruche reload` finds the running `ruche run` of a data directory."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

NAME = "ruche.pid"


def pid_path(data_dir: str | os.PathLike[str]) -> Path:
    """Next to the SQLite database, in the private data directory."""
    return Path(data_dir) / NAME


def write_pid(data_dir: str | os.PathLike[str], config_path: Path | None) -> Path:
    """Our pid and the config file we run with (so `ruche reload` signals the right bot), 0600."""
    from bot.files import private_dir, write_private

    target = pid_path(private_dir(data_dir))
    config = str(config_path.resolve()) if config_path is not None else ""
    write_private(target, f"{os.getpid()}\n{config}\n")
    return target


def remove_pid(target: Path) -> None:
    """Remove the pid file at a clean exit, if it is still ours (another run may have taken it)."""
    with contextlib.suppress(OSError):
        if read_pid(target)[0] == os.getpid():
            target.unlink()


def read_pid(target: Path) -> tuple[int | None, str]:
    """(pid, config path) from a pid file; (None, "") when missing or unreadable."""
    try:
        first, _, rest = target.read_text(encoding="utf-8").partition("\n")
        return int(first.strip()), rest.strip()
    except (OSError, ValueError):
        return None, ""


def is_running(pid: int) -> bool:
    """Whether `pid` is alive and (where /proc says so) still a Ruche process, not a reused pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: exists, and kill() will say we may not signal it
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        words = cmdline.read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the pid
    return any(b"ruche" in w or w == b"bot" for w in words)
