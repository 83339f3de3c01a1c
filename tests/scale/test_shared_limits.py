"""A web chat person's budget counts across workers: with Redis, two real workers share one count."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.scale.pair import two_workers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_a_budget_spent_on_both_workers_is_one_budget(
    postgres_database: str, redis: Redis, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    """3 messages a minute, sent alternately to A and B: the 4th overall is refused, wherever it lands."""
    settings = {"redis_url": redis_url, "redis_prefix": redis_prefix, "web_rate_per_user": "3/minute"}
    async with two_workers(postgres_database, tmp_path, **settings) as (a, b), httpx.AsyncClient(timeout=20) as http:
        user = "shared-budget-01"
        statuses = [(await worker.say(http, user, text="lam cccd o dau")).status_code for worker in (a, b, a, b, a)]
        assert statuses == [200, 200, 200, 429, 429]
        refused = await b.say(http, user, text="lam cccd o dau", lang="vi")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "gửi nhanh quá" in refused.json()["error"]
        # Someone else's budget is their own, on either worker.
        assert (await a.say(http, "shared-budget-02", text="lam cccd o dau")).status_code == 200
        assert (await b.say(http, "shared-budget-02", text="lam cccd o dau")).status_code == 200
        keys = [key async for key in redis.scan_iter(match=f"{redis_prefix}rl*")]
        assert keys, "the counts are in Redis, under this deployment's prefix"
