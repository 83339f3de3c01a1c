"""Redis for the scale-out tests: the machine's server, keys under a random prefix per test.

Other test runs share the same Redis, so nothing here flushes a database: each test's keys carry
its own prefix and are deleted after it. Like PostgreSQL, a missing Redis skips the tests outside
CI and fails them in CI (``TROLYSO_REQUIRE_SERVICES=1``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url() -> str:
    return os.environ.get("TROLYSO_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test (or test run) uses."""
    return f"trolyso-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    """A client of the test Redis; the test's keys (under ``redis_prefix``) go afterwards."""
    client = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        message = f"Redis not reachable at {redis_url}: {exc}"
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
