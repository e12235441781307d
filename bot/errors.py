"""Failures the `ruche` command reports as one clear line and an exit code, never a traceback."""

from __future__ import annotations


class StartupError(Exception):
    """Ruche cannot start as configured (port taken, database unreachable): say why, then exit."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
