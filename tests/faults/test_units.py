"""The parts of failure handling that need no server: log folding, error kinds, backoff."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from bot.config.sections import StorageSection
from bot.errors import StartupError
from bot.logs import QuietErrors
from bot.storage import DatabaseUnavailable, StorageError
from bot.storage.connect import connect, server_address
from bot.storage.sqlite_jobs import _error
from tests.faults.pgcluster import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(message: str, exc: BaseException | None) -> logging.LogRecord:
    return logging.LogRecord("ruche.test", logging.ERROR, __file__, 1, message, None,
                             (type(exc), exc, exc.__traceback__) if exc else None)


def _raise_at_one_place(message: str) -> BaseException:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def _raise_elsewhere() -> BaseException:
    try:
        raise ValueError("other")
    except ValueError as exc:
        return exc


def test_repeats_are_counted_then_summarized_once_per_window() -> None:
    clock, emitted = Clock(), []
    quiet = QuietErrors(emitted.append, window=10, clock=clock)
    passed = [quiet.filter(_record("job failed", _raise_at_one_place(str(i)))) for i in range(66)]
    assert passed == [True] + [False] * 65  # the first one only
    assert quiet.filter(_record("job failed", _raise_elsewhere()))  # another site: another kind
    assert quiet.filter(_record("plain warning", None)) and quiet.filter(_record("plain warning",
                                                                                  None))
    clock.now += 10
    assert quiet.filter(_record("unrelated", None))  # any record closes the windows due
    assert [r.getMessage() for r in emitted] == [
        "job failed … repeated 65 times in the last 10 s"]
    assert emitted[0].levelno == logging.ERROR and emitted[0].exc_info is None
    clock.now += 10  # a whole window without a repeat: the next one is logged in full again
    quiet.flush()
    assert quiet.filter(_record("job failed", _raise_at_one_place("again")))


def test_an_unreachable_database_is_one_line_with_its_reason() -> None:
    emitted: list[logging.LogRecord] = []
    quiet = QuietErrors(emitted.append)
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except OSError as exc:
            raise DatabaseUnavailable("down", reason="connection refused") from exc
    except StorageError as exc:
        record = _record("command tip failed", exc)
    assert quiet.filter(record)
    assert record.exc_info is None and record.getMessage() == (
        "command tip failed: connection refused")
    quiet.flush()
    assert emitted == []  # nothing was held back


def test_sqlite_that_cannot_reach_its_file_is_unavailable() -> None:
    try:
        sqlite3.connect("/nonexistent-ruche-dir/x.sqlite3")
    except sqlite3.Error as exc:
        err = _error(exc)
    assert isinstance(err, DatabaseUnavailable) and "unable to open" in err.reason
    assert not isinstance(_error(sqlite3.OperationalError("no such table: x")),
                          DatabaseUnavailable)


def test_server_address_never_shows_credentials() -> None:
    assert server_address("postgresql://u:pw@db.example:6543/r") == "db.example:6543"
    assert server_address("postgresql://u@/r?host=/run/pg") == "/run/pg:5432"
    assert server_address("postgres://db/r") == "db:5432"


def test_connect_timeout_must_not_be_negative() -> None:
    assert StorageSection(connect_timeout=-1).validate() == [
        "connect_timeout: must be 0 (no waiting) or more seconds"]
    assert StorageSection(connect_timeout=0).validate() == []


async def test_backoff_doubles_up_to_the_deadline(caplog: pytest.LogCaptureFixture) -> None:
    clock, pauses = Clock(), []

    async def sleep(delay: float) -> None:
        pauses.append(delay)
        clock.now += delay

    url = f"postgresql://ruche:hunter22@127.0.0.1:{free_port()}/ruche"
    with caplog.at_level(logging.WARNING, "ruche.storage"), \
            pytest.raises(StartupError) as caught:
        await connect(url, 20, sleep=sleep, clock=clock)
    assert pauses == [1, 2, 4, 8, 5]  # the last pause is what was left of the 20 s
    assert caught.value.exit_code == 2
    assert "is unreachable (connection refused) after 6 attempt(s) in 20 s" in str(caught.value)
    assert "(attempt 3, next in 4 s): connection refused" in caplog.text
    assert "hunter22" not in caplog.text + str(caught.value)


async def test_no_waiting_when_the_timeout_is_zero() -> None:
    with pytest.raises(StartupError, match=r"after 1 attempt\(s\) in 0 s"):
        await connect(f"postgresql://127.0.0.1:{free_port()}/ruche", 0)


def test_a_cut_connection_is_described_without_asyncpg_internals() -> None:
    """Seen under load: the protocol's state error, after the server cut the connection."""
    import asyncpg

    from bot.storage.postgres import describe, unreachable

    exc = asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is "
                                      "in progress")
    assert unreachable(exc)
    assert describe(exc) == "connection was closed in the middle of an operation"
