"""Prometheus metrics of one server process: turns, latency, answers vs. not understood, errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)

from bot.core.messages import UsageEvent
from bot.core.ports import BaseUsageSink
from bot.version import trolyso_version


class Metrics:
    """A registry per app (not the global one), so tests and several apps never collide."""

    content_type = CONTENT_TYPE_LATEST  # the exposition format generate_latest() writes

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # trolyso_build_info{version="0.1.0"} 1: which release a scraped process runs.
        Info("trolyso_build", "The running release", registry=self.registry).info({"version": trolyso_version()})
        self.turns = Counter("trolyso_turns", "Messages handled", ["channel"], registry=self.registry)
        self.latency = Histogram(
            "trolyso_turn_seconds", "Time to answer one message", ["channel"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )  # fmt: skip
        self.outcomes = Counter("trolyso_questions", "Questions by outcome (answered, did_you_mean, not_understood)",
                                ["channel", "outcome"], registry=self.registry)  # fmt: skip
        self.errors = Counter("trolyso_errors", "Turns that failed", ["channel"], registry=self.registry)
        self.reminders = Counter("trolyso_reminders", "Deadline reminder sends by outcome (sent, retry, dropped, waiting)",
                                 ["channel", "outcome"], registry=self.registry)  # fmt: skip
        self.webhooks = Counter("trolyso_webhook_requests", "Webhook requests by result",
                                ["channel", "result"], registry=self.registry)  # fmt: skip

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
