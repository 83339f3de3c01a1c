"""Notices between workers: "something changed for X, look again", never the change itself.

A notice carries a topic and a key (``web``, a browser's id: a message waits in its outbox;
``aliases``: a phrasing was taught). Subscribers in this worker hear it at once; with Redis the
notice is also published on ``{prefix}notice:{topic}`` and every other worker's subscribers hear
it within a millisecond or so.

Redis pub/sub is fire-and-forget: a worker that is reconnecting misses what was said meanwhile.
So a notice is only ever a hint to look sooner. What it points at is in the database (the outbox,
``learned_aliases``) and each subscriber still looks on its own schedule; after a lost
connection the listener tells every subscriber "anything may have changed" (key ``None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("bot.coord")

Listener = Callable[[str | None], None]
"""Called in the event loop with the notice's key (None: anything may have changed). It must
be quick and must not raise: start a task for real work."""

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
"""Waits between attempts to reach Redis again; the last repeats."""


class Notices:
    """In-process notices; :class:`RedisNotices` adds the other workers."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, topic: str, listener: Listener) -> None:
        self._listeners[topic].append(listener)

    def unsubscribe(self, topic: str, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners[topic].remove(listener)

    async def publish(self, topic: str, key: str) -> None:
        """Tell this worker's subscribers (and, with Redis, every other worker's)."""
        self._deliver(topic, key)

    def _deliver(self, topic: str, key: str | None) -> None:
        for listener in list(self._listeners.get(topic, ())):
            try:
                listener(key)
            except Exception:  # one bad listener must not silence the others
                log.exception("notice listener failed topic=%s", topic)

    async def start(self) -> None:
        """Start listening to the other workers (nothing to do in process)."""

    async def stop(self) -> None:
        """Stop listening."""


class RedisNotices(Notices):
    """Notices shared through Redis pub/sub; a worker ignores its own (it heard them directly)."""

    def __init__(self, redis: Redis, prefix: str = "trolyso:") -> None:
        super().__init__()
        self.redis = redis
        self.prefix = f"{prefix}notice:"
        self.origin = uuid.uuid4().hex
        self.connected = asyncio.Event()  # for tests and /metrics: the listener is subscribed
        self._task: asyncio.Task[None] | None = None
        self._complained = False

    async def publish(self, topic: str, key: str) -> None:
        self._deliver(topic, key)
        body = json.dumps({"k": key, "o": self.origin})
        try:
            await self.redis.publish(self.prefix + topic, body)
        except Exception as exc:  # Redis down: the other workers find it on their next look
            if not self._complained:
                log.warning("notices: Redis unreachable (%s); other workers learn on their next look", exc)
                self._complained = True

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="redis-notices")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                if failures:  # notices may have been missed while away: everyone looks again
                    log.info("notices: Redis reachable again")
                    for topic in list(self._listeners):
                        self._deliver(topic, None)
                failures = 0
                self._complained = False
                self.connected.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._receive(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                if failures == 0:
                    log.warning("notices: Redis unreachable (%s); workers rely on their periodic looks", exc)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _receive(self, message: dict[str, object]) -> None:
        channel = message.get("channel")
        data = message.get("data")
        if not isinstance(channel, bytes) or not isinstance(data, bytes):
            return
        try:
            body = json.loads(data)
            key = body["k"]
            origin = body["o"]
        except (ValueError, KeyError, TypeError):
            log.warning("notices: an unreadable notice on %r ignored", channel[:80])
            return
        if origin == self.origin or not isinstance(key, str):
            return
        self._deliver(channel.decode(errors="replace").removeprefix(self.prefix), key)


def build_notices(redis: Redis | None, prefix: str = "trolyso:") -> Notices:
    """Through Redis when the deployment has it, else in this process only."""
    return RedisNotices(redis, prefix) if redis is not None else Notices()
