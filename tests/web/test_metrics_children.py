"""The metrics keep each labelled child (bot.web.metrics._kept_children): counts must still add up
per label values, and two apps' registries must never share a child."""

from __future__ import annotations

from bot.web.metrics import Metrics


def test_counts_add_up_per_label_values_and_apps_stay_apart() -> None:
    one, other = Metrics(), Metrics()
    for _ in range(3):
        one.webhooks.labels("web", "ok").inc()
    one.webhooks.labels("web", "error").inc()
    one.latency.labels("web").observe(0.003)
    other.webhooks.labels("web", "ok").inc()

    def sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert sample(one, "trolyso_webhook_requests_total", {"channel": "web", "result": "ok"}) == 3
    assert sample(one, "trolyso_webhook_requests_total", {"channel": "web", "result": "error"}) == 1
    assert sample(one, "trolyso_turn_seconds_count", {"channel": "web"}) == 1
    assert sample(other, "trolyso_webhook_requests_total", {"channel": "web", "result": "ok"}) == 1
    assert one.webhooks.labels("web", "ok") is one.webhooks.labels("web", "ok")
    assert one.webhooks.labels("web", "ok") is not other.webhooks.labels("web", "ok")
