"""Structured logs (one event per line, with community/plugin/command) that never hold secrets."""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

EXTRA_KEYS = ("community", "plugin", "command", "hook", "job", "platform", "adapters")


class RedactSecrets(logging.Filter):
    """Replace any configured secret value by *** before a record is written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def add(self, secrets: Iterable[str]) -> None:
        """Also hide these (a reloaded config may reference new secrets; old ones stay hidden)."""
        self.secrets.extend(s for s in secrets if s and len(s) >= 4 and s not in self.secrets)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by ***."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = self.redact(record.getMessage()), None
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text, record.exc_info = self.redact(text), None
        return True


_Kind = tuple[str, int, str, str, str]

REPEAT_WINDOW = 10.0
"""Seconds during which repeats of one kind of error are counted instead of logged."""


@dataclass
class _Seen:
    """One kind of error: when its window opened, how many repeats it hid, its first line."""

    since: float
    record: logging.LogRecord
    hidden: int = 0


class QuietErrors(logging.Filter):
    """During an outage, one line per kind of error (type + site), then a count per window.

    The first record of a kind passes; identical ones (same logger, message template,
    exception type and raising line) are counted for `window` seconds, then one
    "… repeated N times in the last S s" line is written. Unreachable-database errors are
    outages, not bugs: they lose their traceback and carry the reason on their one line.
    """

    def __init__(self, emit: Callable[[logging.LogRecord], object],
                 window: float = REPEAT_WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self._emit = emit
        self._clock = clock
        self._seen: dict[_Kind, _Seen] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "ruche_repeats", False):
            return True  # our own summary line
        now = self._clock()
        due = self._expire(now)
        kind = _kind(record)
        hide = False
        if kind is not None:
            _one_line_outage(record)
            with self._lock:
                seen = self._seen.get(kind)
                if seen is None:
                    self._seen[kind] = _Seen(now, record)
                else:
                    seen.hidden += 1
                    hide = True
        for summary in due:
            self._emit(summary)
        return not hide

    def flush(self) -> None:
        """Write the pending counts now (at exit, so an outage's total is never lost)."""
        for summary in self._expire(None):
            self._emit(summary)

    def _expire(self, now: float | None) -> list[logging.LogRecord]:
        """Close the windows that ended (all, when `now` is None); their summary lines."""
        out: list[logging.LogRecord] = []
        with self._lock:
            for kind, seen in list(self._seen.items()):
                if now is not None and now - seen.since < self.window:
                    continue
                if seen.hidden:
                    end = self._clock() if now is None else now
                    out.append(_summary(seen, end))
                    self._seen[kind] = _Seen(end, seen.record)  # still failing: keep counting
                else:
                    del self._seen[kind]  # quiet for a whole window: log the next one in full
        return out


def _kind(record: logging.LogRecord) -> _Kind | None:
    """Records carrying an exception, keyed by where and what; others are never held back."""
    if not record.exc_info or record.exc_info[1] is None:
        return None
    exc = record.exc_info[1]
    tb = exc.__traceback__
    site = ""
    while tb is not None:
        site = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    template = record.msg if isinstance(record.msg, str) else repr(record.msg)
    return (record.name, record.levelno, template, type(exc).__qualname__, site)


def _one_line_outage(record: logging.LogRecord) -> None:
    """An unreachable database: the reason on the line, no traceback (it shows nothing new)."""
    from bot.storage.db import unavailable_cause

    assert record.exc_info is not None and record.exc_info[1] is not None
    exc = record.exc_info[1]
    cause = unavailable_cause(exc)
    if cause is not None:
        reason = cause.reason
    elif record.name.startswith("asyncpg.") and isinstance(exc, OSError):
        # the pool reconnecting in the background
        refused = isinstance(exc, ConnectionRefusedError)
        reason = "connection refused" if refused else (exc.strerror or str(exc)).lower()
    else:
        return
    record.msg, record.args = f"{record.getMessage()}: {reason}", None
    record.exc_info, record.exc_text = None, None


def _summary(seen: _Seen, now: float) -> logging.LogRecord:
    """`<first line> … repeated N times in the last S s`, at the first record's level."""
    first = seen.record
    line = first.getMessage().splitlines()[0] if first.getMessage() else first.name
    times = "once" if seen.hidden == 1 else f"{seen.hidden} times"
    record = logging.makeLogRecord({
        **{k: getattr(first, k) for k in ("name", "levelno", "levelname", "pathname",
                                           "lineno", "funcName") if hasattr(first, k)},
        **{k: getattr(first, k) for k in EXTRA_KEYS if hasattr(first, k)},
        "msg": f"{line} … repeated {times} in the last {max(1, round(now - seen.since))} s",
        "args": None,
        "ruche_repeats": True,
    })
    return record


def install_quiet_errors(handler: logging.Handler,
                         window: float = REPEAT_WINDOW) -> QuietErrors:
    """Put QuietErrors first on `handler` (before redaction, which drops exception objects)."""
    quiet = QuietErrors(handler.handle, window)
    handler.filters.insert(0, quiet)
    return quiet


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in EXTRA_KEYS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger event key=value…` for humans."""

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(record.created))
        extras = " ".join(f"{k}={getattr(record, k)}" for k in EXTRA_KEYS if hasattr(record, k))
        line = f"{when} {record.levelname.lower():7} {record.name}: {record.getMessage()}"
        if extras:
            line += f" [{extras}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Logs go to stderr so that stdout stays the console chat."""
    global _quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactSecrets(secrets))
    if _quiet is None:
        atexit.register(_flush_quiet)  # before logging's own shutdown (atexit is LIFO)
    _quiet = install_quiet_errors(handler)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    set_level(level)


def set_level(level: str) -> None:
    """The root level; the chattiest libraries never below WARNING (also on config reload)."""
    logging.getLogger().setLevel(level)
    for noisy in ("discord", "nio", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def add_secrets(secrets: Iterable[str]) -> None:
    """Hide more values in every handler that redacts (a reloaded config's new secrets)."""
    values = list(secrets)
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, RedactSecrets):
                flt.add(values)


_quiet: QuietErrors | None = None


def _flush_quiet() -> None:
    """At exit: the counts still pending reach the log."""
    if _quiet is not None:
        _quiet.flush()
