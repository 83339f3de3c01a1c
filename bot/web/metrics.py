"""Prometheus metrics of one server process: turns, latency, answers vs. not understood, errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.core.messages import UsageEvent
from bot.core.ports import BaseUsageSink
from bot.version import trolyso_version

M = TypeVar("M", Counter, Histogram)


def _kept_children(metric: M) -> M:
    """``metric`` whose ``labels(...)`` children are kept in a dict. prometheus_client checks the
    values and takes a lock on every call (2 µs), four or five times a message; a child, once
    made, is the same object for those values for the life of the process (nothing here removes one)."""
    children: dict[tuple[str, ...], Any] = {}
    make = metric.labels

    def labels(*values: str) -> Any:
        child = children.get(values)
        if child is None:
            child = children[values] = make(*values)
        return child

    setattr(metric, "labels", labels)  # noqa: B010 - an instance attribute in front of the method
    return metric


class Metrics:
    """A registry per app (not the global one), so tests and several apps never collide."""

    content_type = CONTENT_TYPE_LATEST  # the exposition format generate_latest() writes

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # trolyso_build_info{version="0.1.0"} 1: which release a scraped process runs.
        Info("trolyso_build", "The running release", registry=self.registry).info({"version": trolyso_version()})
        self.turns = _kept_children(Counter("trolyso_turns", "Messages handled", ["channel"], registry=self.registry))
        self.latency = _kept_children(Histogram(
            "trolyso_turn_seconds", "Time to answer one message", ["channel"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        ))  # fmt: skip
        self.outcomes = _kept_children(Counter("trolyso_questions", "Questions by outcome (answered, did_you_mean, "
                                               "not_understood)", ["channel", "outcome"], registry=self.registry))  # fmt: skip
        self.errors = _kept_children(Counter("trolyso_errors", "Turns that failed", ["channel"], registry=self.registry))
        self.reminders = Counter("trolyso_reminders", "Deadline reminder sends by outcome (sent, retry, dropped, waiting)",
                                 ["channel", "outcome"], registry=self.registry)  # fmt: skip
        self.webhooks = _kept_children(Counter("trolyso_webhook_requests", "Webhook requests by result",
                                               ["channel", "result"], registry=self.registry))  # fmt: skip

    def watch_store(self, store: Any) -> None:
        """Expose the state store's own counters (bot.storage.resilient), read at each scrape."""
        if hasattr(store, "reused"):
            self.registry.register(_StoreCollector(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    """How turns met the state store. A high ``stale`` share of ``reused`` means people's messages
    reach several workers (a proxy that is not sticky): ``cached_current`` then falls below 0.9 and
    the worker reads every row again (bot.storage.resilient)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        store = self.store
        yield CounterMetricFamily("trolyso_state_reused", "Turns run on this worker's cached state (one round trip saved)",
                                  value=store.reused)  # fmt: skip
        yield CounterMetricFamily("trolyso_state_stale", "Turns run again because their state was stale",
                                  value=store.stale)  # fmt: skip
        yield CounterMetricFamily("trolyso_state_from_memory", "Loads and saves answered from memory while the "
                                  "database was unavailable", value=store.served_from_cache)  # fmt: skip
        yield GaugeMetricFamily("trolyso_state_unsaved", "Conversation states waiting to be written back",
                                value=store.unsaved)  # fmt: skip
        current = GaugeMetricFamily("trolyso_state_cached_current", "Share of this worker's cached states that "
                                    "proved current, per channel; below 0.9 every turn reads its row", labels=["channel"])  # fmt: skip
        for channel, share in sorted(store.current_share().items()):
            current.add_metric([channel], share)
        yield current


class MetricsSink(BaseUsageSink):
    """Counts each turn's usage events into the metrics (the usage log of a later issue sits beside it)."""

    OUTCOMES: ClassVar[frozenset[str]] = frozenset({"answered", "did_you_mean", "not_understood", "human_help"})

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        for event in events:
            if event.kind == "error":
                self.metrics.errors.labels(channel).inc()
            elif event.kind in self.OUTCOMES:
                self.metrics.outcomes.labels(channel, event.kind).inc()
