"""The Redis client (redis-py's asyncio client, pooled), built from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.extras import require

if TYPE_CHECKING:
    from redis.asyncio import Redis


def connect_redis(url: str | None) -> Redis | None:
    """A client for ``url``, or None when no Redis is configured. It connects on first use, so a
    Redis that is down at start-up delays nothing: calls fail until it answers."""
    if not url:
        return None
    # redis-py is the [redis] extra: a server without TROLYSO_REDIS_URL never imports it.
    require("redis", "TROLYSO_REDIS_URL")
    from redis.asyncio import Redis

    # Short timeouts: Redis answers in well under a millisecond; one that does not answer in a
    # second is down, and what waits on it (a push, a lock) has a fallback.
    return Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30)
