"""Opening the database at startup: wait for a PostgreSQL that is not up yet, then give up clearly.

Servers often start together (systemd, compose): Ruche retries connection-level failures
(refused, DNS, "the database system is starting up") with exponential backoff for at most
`[storage] connect_timeout` seconds. Anything else (wrong password, unknown database, an
unreadable SQLite file) cannot get better by waiting and stops startup at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from bot.errors import StartupError
from bot.storage.db import (
    Database,
    DatabaseUnavailable,
    StorageError,
    is_postgresql,
    mask_url,
    open_database,
)

log = logging.getLogger("ruche.storage")

MAX_DELAY = 15.0
"""Longest pause between two attempts, so a server that comes up is noticed soon enough."""

ATTEMPT_TIMEOUT = 10.0
"""Longest wait for one connection attempt (a host that drops packets never refuses)."""


def server_address(url: str) -> str:
    """`host:port` of a PostgreSQL url, for messages (never the user or password)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    try:
        port = parts.port or int((query.get("port") or ["5432"])[0])
    except ValueError:
        port = 5432
    return f"{host}:{port}"


def _seconds(value: float) -> str:
    """`4`, `0.5`: delays as an operator reads them."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


async def connect(
    url: str,
    wait: float,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Database:
    """Open the database, waiting up to `wait` seconds for PostgreSQL; StartupError if not."""
    if not is_postgresql(url):
        try:
            return await open_database(url)
        except StorageError as exc:
            raise StartupError(f"cannot open the database {mask_url(url)}: {exc}") from None
    where = server_address(url)
    deadline = clock() + max(wait, 0.0)
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - clock()
        try:
            return await open_database(
                url, connect_timeout=max(min(ATTEMPT_TIMEOUT, remaining), 1.0)
            )
        except DatabaseUnavailable as exc:
            reason = exc.reason
        except StorageError as exc:  # refused by the server itself: waiting will not help
            raise StartupError(
                f"PostgreSQL at {where} refused the connection: {_cause(exc)} — "
                "fix [storage] url (user, password, database name)"
            ) from None
        remaining = deadline - clock()
        if remaining <= 0:
            raise StartupError(
                f"PostgreSQL at {where} is unreachable ({reason}) after {attempt} "
                f"attempt(s) in {_seconds(max(wait, 0.0))} s — start it, fix [storage] url, "
                "or raise [storage] connect_timeout"
            ) from None
        delay = min(2.0 ** (attempt - 1), MAX_DELAY, remaining)
        log.warning(
            "waiting for PostgreSQL at %s (attempt %d, next in %s s): %s",
            where, attempt, _seconds(delay), reason,
        )
        await sleep(delay)


def _cause(exc: StorageError) -> str:
    """The driver's own words (`password authentication failed for user "x"`), password-free."""
    cause = exc.__cause__
    text = str(cause) if cause is not None else str(exc)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = ["ATTEMPT_TIMEOUT", "MAX_DELAY", "connect", "server_address"]
