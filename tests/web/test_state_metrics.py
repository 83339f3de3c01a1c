"""/metrics tells an operator how turns met the state store: run on the cached state, run again
because it was stale, answered from memory during an outage, waiting to be written back, and the
share of cached states that proved current."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from bot.web.app import create_app
from tests.fakes.webchat import message_id
from tests.live import served


def samples(text: str) -> dict[str, float]:
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith("trolyso_state_")}  # fmt: skip


async def test_metrics_count_turns_on_the_cached_state(sqlite_url: str) -> None:
    """Three typed messages from one person on one worker: the second and third run on the cached state."""
    web = create_app(Settings(database_url=sqlite_url, channels="web", admin_dashboard=False))
    user = f"w{uuid.uuid4().hex[:12]}"
    async with served(web) as url, httpx.AsyncClient(base_url=url) as client:
        before = samples((await client.get("/metrics")).text)
        for text in ("lam cccd o dau", "le phi bao nhieu", "cam on"):
            response = await client.post("/chat/api/message", json={"user": user, "id": message_id(), "text": text})
            assert response.status_code == 200
        after = samples((await client.get("/metrics")).text)
    assert before == {"trolyso_state_reused_total": 0.0, "trolyso_state_stale_total": 0.0,
                      "trolyso_state_from_memory_total": 0.0, "trolyso_state_unsaved": 0.0}  # fmt: skip
    assert after["trolyso_state_reused_total"] == 2.0
    assert after["trolyso_state_stale_total"] == 0.0
    assert after["trolyso_state_unsaved"] == 0.0
    assert after["trolyso_state_cached_current"] == 1.0  # the web chat's copies all proved current: it goes on betting
