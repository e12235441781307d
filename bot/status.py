"""What `!status` and `!lasterror` tell an admin: the bot's health in a few lines, no secrets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import __version__
from bot.logs import RedactSecrets

if TYPE_CHECKING:
    from bot.app import Bot

#: The longest error summary kept: one line an admin reads in chat, not a traceback.
SUMMARY_LENGTH = 200


class LastError(logging.Handler):
    """Remembers the latest ERROR logged while the bot runs: when, where, and its first line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(logging.ERROR)
        self.redactor = RedactSecrets(secrets)  # the logs' own rule, so both hide the same
        self.at: float | None = None
        self.where = ""
        self.summary = ""
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            lines = record.getMessage().splitlines() or [""]
        except Exception:  # a broken log call must not break logging
            lines = [str(record.msg)]
        line = lines[0]
        if record.exc_info and record.exc_info[0] is not None:
            line = f"{line} ({record.exc_info[0].__name__})"
        line = self.redactor.redact(line)
        self.at, self.where, self.count = record.created, record.name, self.count + 1
        self.summary = line[:SUMMARY_LENGTH]


@dataclass(frozen=True)
class Status:
    """One reading of the bot's health."""

    uptime: float
    version: str
    platforms: tuple[str, ...]
    database: str
    database_ok: bool
    queue: int
    errors: int
    last_error_at: float | None


#: How long `!status` waits for the database before calling it unreachable.
DATABASE_WAIT = 2.0


async def read_status(bot: Bot) -> Status:
    """Ask the database (for at most DATABASE_WAIT seconds) and read the rest from memory."""
    queue, ok = 0, True
    try:
        async with asyncio.timeout(DATABASE_WAIT):
            queue = int(await bot.db.fetchval(
                "SELECT COUNT(*) FROM core_announcements WHERE sent_at IS NULL"))
    except Exception:
        ok = False
    started = bot.started_at
    return Status(
        uptime=0.0 if started is None else max(0.0, time.time() - started),
        version=__version__,  # equal to the installed metadata (tests/packaging)
        platforms=tuple(sorted(bot.running_platforms())),
        database=bot.db.dialect,
        database_ok=ok,
        queue=queue,
        errors=bot.last_error.count,
        last_error_at=bot.last_error.at,
    )
