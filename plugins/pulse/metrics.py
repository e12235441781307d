"""Prometheus metrics, one registry per bot (tests run several bots in one process)."""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from bot.api import BadArgument, CheckFailure, CommandError, UnknownCommand, UserError

if TYPE_CHECKING:
    from bot.api import Bot, Context

#: The classic text format every Prometheus version scrapes.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)
MAX_REASONS = 50  # distinct ledger reasons kept as labels; the rest count as "other"


def outcome_of(error: BaseException) -> str:
    """A small fixed set of outcomes, so label cardinality stays bounded."""
    if isinstance(error, UnknownCommand):
        return "unknown"
    if isinstance(error, BadArgument):
        return "bad_input"
    if isinstance(error, CheckFailure):
        return "refused"
    if isinstance(error, UserError):
        return "user_error"
    if isinstance(error, CommandError):
        return "refused"
    return "error"


def adapter_connected(adapter: Any) -> bool:
    """Best effort: Matrix says `connected`; Discord's client says `is_ready()`; others run."""
    flag = getattr(adapter, "connected", None)
    if isinstance(flag, bool):
        return flag
    client = getattr(adapter, "_client", None)
    ready = getattr(client, "is_ready", None)
    if callable(ready):
        return bool(ready())
    return True


class Metrics:
    """Counters fed by hooks; gauges refreshed when /metrics is scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter("ruche_commands", "Commands handled, by command and outcome.",
                                ["command", "outcome"], registry=r)
        self.latency = Histogram("ruche_command_duration_seconds",
                                 "Time from the command's checks to its completion.",
                                 ["command"], buckets=LATENCY_BUCKETS, registry=r)
        self.ledger_tokens = Counter("ruche_ledger_tokens",
                                     "Tokens moved by committed ledger entries, by reason.",
                                     ["reason"], registry=r)
        self.ledger_entries = Counter("ruche_ledger_entries",
                                      "Committed ledger entries, by reason.", ["reason"],
                                      registry=r)
        self.open_polls = Gauge("ruche_open_polls", "Polls open now, all communities.",
                                registry=r)
        self.adapter_up = Gauge("ruche_adapter_connected",
                                "1 when the platform adapter is connected.", ["platform"],
                                registry=r)
        self.clients = Gauge("ruche_dashboard_clients", "Live dashboard connections.",
                             registry=r)
        self.events = Counter("ruche_dashboard_updates",
                              "Updates pushed to live dashboards (one per section change).",
                              registry=r)
        self._started: weakref.WeakKeyDictionary[Context, float] = weakref.WeakKeyDictionary()
        # Children by label, so the hot path skips prometheus_client's label lookup and lock.
        self._counted: dict[tuple[str, str], Any] = {}
        self._timed: dict[str, Any] = {}
        self._moved: dict[str, tuple[Any, Any]] = {}

    # -- fed by hooks -----------------------------------------------------------------------

    def command_started(self, ctx: Context) -> None:
        self._started[ctx] = time.perf_counter()

    def command_done(self, ctx: Context, name: str, outcome: str) -> None:
        counter = self._counted.get((name, outcome))
        if counter is None:
            counter = self._counted[(name, outcome)] = self.commands.labels(name, outcome)
        counter.inc()
        started = self._started.pop(ctx, None)
        if started is not None:
            timer = self._timed.get(name)
            if timer is None:
                timer = self._timed[name] = self.latency.labels(name)
            timer.observe(time.perf_counter() - started)

    def ledger(self, reason: str, amount: int) -> None:
        pair = self._moved.get(reason)
        if pair is None:
            label = reason if len(self._moved) < MAX_REASONS else "other"
            pair = self._moved[reason] = (self.ledger_tokens.labels(label),
                                          self.ledger_entries.labels(label))
        pair[0].inc(max(0, amount))
        pair[1].inc()

    # -- scrape -------------------------------------------------------------------------------

    def refresh(self, bot: Bot, open_polls: int | None) -> None:
        for platform, adapter in bot.adapters.items():
            self.adapter_up.labels(platform).set(1 if adapter_connected(adapter) else 0)
        if open_polls is not None:
            self.open_polls.set(open_polls)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
