"""Prometheus metrics, one registry per bot (tests run several bots in one process).

prometheus_client is imported on the first scrape (or dashboard update), not at start: it is
a tenth of the cold start, and what commands and ledger entries bump are plain counts anyway.
"""

from __future__ import annotations

import functools
import time
from bisect import bisect_left
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from bot.api import BadArgument, CheckFailure, CommandError, UnknownCommand, UserError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge
    from prometheus_client.core import Metric

    from bot.api import Bot, Context

#: The classic text format every Prometheus version scrapes (prometheus_client's
#: CONTENT_TYPE_PLAIN_0_0_4, spelled out so that the web server need not import it at start).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)
MAX_REASONS = 50  # distinct ledger reasons kept as labels; the rest count as "other"
#: The buckets' `le` labels as prometheus_client writes them (`repr` of these plain floats).
_BOUNDS = [repr(float(b)) for b in LATENCY_BUCKETS]
MAX_IN_FLIGHT = 10_000  # commands timed at once; past that, ones that never ended are dropped


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


class _Tallies:
    """The command and ledger families, read from the plain counts `Metrics` keeps."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        return self.metrics.families(samples=False)

    def collect(self) -> list[Metric]:
        return self.metrics.families(samples=True)


class _Registry:
    """The prometheus_client side: registry, gauges and the dashboard counter, made on first use."""

    def __init__(self, metrics: Metrics) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry: CollectorRegistry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.open_polls: Gauge = Gauge("ruche_open_polls", "Polls open now, all communities.",
                                       registry=r)
        self.adapter_up: Gauge = Gauge("ruche_adapter_connected",
                                       "1 when the platform adapter is connected.",
                                       ["platform"], registry=r)
        self.clients: Gauge = Gauge("ruche_dashboard_clients", "Live dashboard connections.",
                                    registry=r)
        self.events: Counter = Counter(
            "ruche_dashboard_updates",
            "Updates pushed to live dashboards (one per section change).", registry=r)
        self.ignored: Counter = Counter(
            "ruche_ignored_events", "Events from ignored members dropped unanswered, by kind.",
            ["kind"], registry=r)
        r.register(_Tallies(metrics))


class Metrics:
    """Counters fed by hooks; gauges refreshed when /metrics is scraped.

    What every command and ledger entry bumps is kept in plain dicts and turned into
    Prometheus families only when /metrics is scraped: a command pays a few dict operations,
    not prometheus_client's locks and per-sample objects.
    """

    def __init__(self) -> None:
        # When each command in flight passed its checks (dropped if it never completes).
        self._started: dict[Context, float] = {}
        # (command, outcome) → [count, created]
        self._counted: dict[tuple[str, str], list[float]] = {}
        # command → [count per bucket (the last one +Inf)…, sum, created]
        self._timed: dict[str, list[float]] = {}
        # reason → [tokens, entries, created], several reasons may share the "other" list
        self._moved: dict[str, list[float]] = {}
        self._moved_labels: dict[str, list[float]] = {}

    @functools.cached_property
    def _prometheus(self) -> _Registry:
        return _Registry(self)

    @property
    def registry(self) -> CollectorRegistry:
        return self._prometheus.registry

    @property
    def open_polls(self) -> Gauge:
        return self._prometheus.open_polls

    @property
    def adapter_up(self) -> Gauge:
        return self._prometheus.adapter_up

    @property
    def clients(self) -> Gauge:
        return self._prometheus.clients

    @property
    def events(self) -> Counter:
        return self._prometheus.events

    @property
    def ignored(self) -> Counter:
        return self._prometheus.ignored

    # -- fed by hooks -----------------------------------------------------------------------

    def command_started(self, ctx: Context) -> None:
        started = self._started
        if len(started) >= MAX_IN_FLIGHT:
            started.clear()  # commands that never completed (cancelled): forget them
        started[ctx] = time.perf_counter()

    def command_done(self, ctx: Context, name: str, outcome: str) -> None:
        counted = self._counted.get((name, outcome))
        if counted is None:
            counted = self._counted[(name, outcome)] = [0, time.time()]
        counted[0] += 1
        started = self._started.pop(ctx, None)
        if started is not None:
            elapsed = time.perf_counter() - started
            timed = self._timed.get(name)
            if timed is None:
                timed = self._timed[name] = [0] * (len(LATENCY_BUCKETS) + 1) + [0.0, time.time()]
            timed[bisect_left(LATENCY_BUCKETS, elapsed)] += 1
            timed[-2] += elapsed

    def ledger(self, reason: str, amount: int) -> None:
        moved = self._moved.get(reason)
        if moved is None:
            label = reason if len(self._moved_labels) < MAX_REASONS else "other"
            moved = self._moved_labels.get(label)
            if moved is None:
                moved = self._moved_labels[label] = [0, 0, time.time()]
            self._moved[reason] = moved
        moved[0] += max(0, amount)
        moved[1] += 1

    # -- scrape -------------------------------------------------------------------------------

    def families(self, *, samples: bool) -> list[Metric]:
        """The command and ledger metrics as prometheus_client would expose its own."""
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
        from prometheus_client.samples import Sample

        commands = CounterMetricFamily("ruche_commands",
                                       "Commands handled, by command and outcome.",
                                       labels=["command", "outcome"])
        latency = HistogramMetricFamily("ruche_command_duration_seconds",
                                        "Time from the command's checks to its completion.",
                                        labels=["command"])
        tokens = CounterMetricFamily("ruche_ledger_tokens",
                                     "Tokens moved by committed ledger entries, by reason.",
                                     labels=["reason"])
        entries = CounterMetricFamily("ruche_ledger_entries",
                                      "Committed ledger entries, by reason.", labels=["reason"])
        if samples:
            for (name, outcome), (count, created) in self._counted.items():
                commands.add_metric([name, outcome], count, created=created)
            bounds = [*_BOUNDS, "+Inf"]
            for name, timed in self._timed.items():
                cumulative = list(accumulate(timed[:len(bounds)]))
                latency.add_metric([name], list(zip(bounds, cumulative, strict=True)),
                                   timed[-2])
                latency.samples.append(Sample("ruche_command_duration_seconds_created",
                                              {"command": name}, timed[-1]))
            for label, (moved, count, created) in self._moved_labels.items():
                tokens.add_metric([label], moved, created=created)
                entries.add_metric([label], count, created=created)
        return [commands, latency, tokens, entries]

    def refresh(self, bot: Bot, open_polls: int | None) -> None:
        for platform, adapter in bot.adapters.items():
            self.adapter_up.labels(platform).set(1 if adapter_connected(adapter) else 0)
        if open_polls is not None:
            self.open_polls.set(open_polls)

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
