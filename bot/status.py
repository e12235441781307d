"""What `!status` and `!lasterror` tell an admin: the bot's health in a few lines, no secrets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Bot

#: The longest error summary kept: one line an admin reads in chat, not a traceback.
SUMMARY_LENGTH = 200


class LastError(logging.Handler):
    """Remembers the latest ERROR logged while the bot runs: when, where, and its first line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(logging.ERROR)
        self.secrets = [s for s in secrets if s and len(s) >= 4]
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
        for secret in self.secrets:
            line = line.replace(secret, "***")
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


def ruche_version() -> str:
    """The installed version (the source tree's when not installed)."""
    try:
        return version("ruche")
    except PackageNotFoundError:
        from bot import __version__

        return __version__


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
        version=ruche_version(),
        platforms=tuple(sorted(bot.running_platforms())),
        database=bot.db.dialect,
        database_ok=ok,
        queue=queue,
        errors=bot.last_error.count,
        last_error_at=bot.last_error.at,
    )
