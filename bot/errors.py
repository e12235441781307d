"""Failures the `ruche` command reports as one clear line and an exit code, never a traceback;
and the one condition every layer must let pass, a duplicate platform event."""

from __future__ import annotations


class StartupError(Exception):
    """Ruche cannot start as configured (port taken, database unreachable): say why, then exit."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class DuplicateEvent(Exception):
    """This platform event was already handled (replayed or delivered twice): drop it quietly.

    Raised by the write that carries the event's de-dup mark when the mark is already there
    (bot.storage.db.EventMark); that write's transaction is rolled back, and so is every later
    write for the same event. Not a StorageError, so code answering database failures in chat
    lets it pass; the router and hook calls re-raise it to the dispatcher, which drops it."""
