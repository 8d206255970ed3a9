"""This process's metrics, in a ``prometheus_client`` registry that ``/metrics`` serves.

Each ``Services`` container owns its own ``CollectorRegistry`` (never the library's global
default), so tests, benchmarks and several applications in one process each count for
themselves. What is counted is a short, fixed vocabulary with labels, not a metric name per
status:

=================================== ==========================================================
``ptcoach_errors_total{source}``    handler, network, dedupe, tick, send
``ptcoach_messages_total{outcome}`` scheduled messages: sent, retried, blocked, failed, and the
                                    skip statuses (skipped, missed, cancelled)
``ptcoach_updates_ignored_total``   ``{reason}``: duplicate (a redelivery), non_private
``ptcoach_red_flags_total``         red flags recognised in what users wrote
``ptcoach_outage_retries_total``    updates retried while the database was unreachable
``ptcoach_pruned_total``            settled outbox rows deleted by retention
``ptcoach_tick_lag_seconds``        gauge: how late the oldest message of the last tick was
``ptcoach_update_seconds``          histogram: one update, every handler and its replies
``ptcoach_send_seconds``            histogram: one scheduled message's Telegram call(s)
``process_*``, ``python_*``         the library's process, GC and platform collectors
=================================== ==========================================================

``python -m bot stats`` reads the database, not these (they describe one process only).
"""

from __future__ import annotations

from typing import Literal, get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

ErrorSource = Literal["handler", "network", "dedupe", "tick", "send"]
IgnoredReason = Literal["duplicate", "non_private"]
CounterName = Literal[
    "errors", "messages", "updates_ignored", "red_flags", "outage_retries", "pruned"
]

# Updates take ~10 ms on a quiet machine and seconds under a Telegram outage; a send is one
# round trip to Telegram (tens of ms) or a timeout.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SAMPLES: dict[CounterName, str] = {
    "errors": "ptcoach_errors_total",
    "messages": "ptcoach_messages_total",
    "updates_ignored": "ptcoach_updates_ignored_total",
    "red_flags": "ptcoach_red_flags_total",
    "outage_retries": "ptcoach_outage_retries_total",
    "pruned": "ptcoach_pruned_total",
}


class Metrics:
    """Counters, one gauge and two histograms of one application, with a typed read API."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self._errors = Counter(
            "ptcoach_errors", "Errors caught and logged, by where", ["source"], registry=reg
        )
        self._messages = Counter(
            "ptcoach_messages",
            "Scheduled messages by what became of a send or a skip",
            ["outcome"],
            registry=reg,
        )
        self._ignored = Counter(
            "ptcoach_updates_ignored", "Updates not handled, by why", ["reason"], registry=reg
        )
        self._red_flags = Counter(
            "ptcoach_red_flags", "Red flags recognised in users' messages", registry=reg
        )
        self._outage_retries = Counter(
            "ptcoach_outage_retries",
            "Update handlers retried while the database was unreachable",
            registry=reg,
        )
        self._pruned = Counter(
            "ptcoach_pruned", "Settled outbox rows deleted by retention", registry=reg
        )
        self._tick_lag = Gauge(
            "ptcoach_tick_lag_seconds",
            "How late the oldest message of the last tick was",
            registry=reg,
        )
        self.update_seconds = Histogram(
            "ptcoach_update_seconds",
            "Time to handle one update: every handler, its database work and its replies",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.send_lateness_seconds = Histogram(
            "ptcoach_send_lateness_seconds",
            "How long after its due time a scheduled message went out (the evening backlog)",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
            registry=reg,
        )
        self.send_seconds = Histogram(
            "ptcoach_send_seconds",
            "Time to send one scheduled message to Telegram (success or failure)",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        # Known label values start at 0, so a rate or an alert has a series before the first event.
        for source in get_args(ErrorSource):
            self._errors.labels(source=source)
        for reason in get_args(IgnoredReason):
            self._ignored.labels(reason=reason)
        for outcome in ("sent", "retried", "blocked", "failed"):
            self._messages.labels(outcome=outcome)
        process_collector.ProcessCollector(registry=reg)
        platform_collector.PlatformCollector(registry=reg)
        gc_collector.GCCollector(registry=reg)

    # --- writing -------------------------------------------------------------------------

    def error(self, source: ErrorSource) -> None:
        self._errors.labels(source=source).inc()

    def message(self, outcome: str, amount: int = 1) -> None:
        """``outcome``: a ``MessageStatus`` value (sent, failed, skipped, …) or ``retried``,
        ``blocked``: a small fixed set, so the label stays cheap."""
        self._messages.labels(outcome=str(outcome)).inc(amount)

    def ignored_update(self, reason: IgnoredReason) -> None:
        self._ignored.labels(reason=reason).inc()

    def red_flag(self) -> None:
        self._red_flags.inc()

    def outage_retry(self) -> None:
        self._outage_retries.inc()

    def pruned(self, rows: int) -> None:
        self._pruned.inc(rows)

    @property
    def tick_lag_seconds(self) -> float:
        return self._read("ptcoach_tick_lag_seconds", {})

    @tick_lag_seconds.setter
    def tick_lag_seconds(self, seconds: float) -> None:
        self._tick_lag.set(seconds)

    # --- reading -------------------------------------------------------------------------

    def count(self, name: CounterName, **labels: str) -> float:
        """The current value of one counter (one label combination; 0 if never counted),
        e.g. ``count("errors", source="handler")``, ``count("red_flags")``."""
        return self._read(_SAMPLES[name], labels)

    def observations(self, histogram: Literal["update", "send"]) -> int:
        """How many durations a histogram has recorded."""
        name = "ptcoach_update_seconds" if histogram == "update" else "ptcoach_send_seconds"
        return int(self._read(f"{name}_count", {}))

    def _read(self, sample: str, labels: dict[str, str]) -> float:
        value = self.registry.get_sample_value(sample, labels)
        return 0.0 if value is None else value

    def render_prometheus(self) -> bytes:
        """The registry in Prometheus' text format (served as ``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
