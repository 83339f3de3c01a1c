"""The web chat's long-poll: /chat/api/updates?wait=N holds an empty answer up to N seconds and
wakes when a notice (:mod:`bot.coord.notices`) says a message for this person reached the outbox
— pushed in this worker or, through Redis, in any other.

The outbox stays the only source of truth: a wait always ends with one more look into it, so a
lost notice (Redis down, a reconnect) costs at most the wait, never the message."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bot.coord.notices import Notices

TOPIC = "web"
MAX_WAIT = 10.0
"""Seconds a poll may be held: well under a proxy's read timeout (nginx: 60 s) and under the
server's graceful-shutdown grace (20 s), so a restart never waits long on an idle page."""
MAX_WAITING = 10_000
"""Polls held at once per worker; beyond that a poll is answered at once (the page asks again)."""


class Doorbell:
    """Who is waiting for news, by web id, and the notice that wakes them."""

    def __init__(self, notices: Notices, limit: int = MAX_WAITING) -> None:
        self.notices = notices
        self.limit = limit
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._count = 0
        notices.subscribe(TOPIC, self.ring)

    @property
    def waiting(self) -> int:
        return self._count

    def ring(self, user: str | None) -> None:
        """Wake ``user``'s polls (None: everyone's, e.g. after Redis was away)."""
        groups = self._waiting.values() if user is None else [self._waiting.get(user, set())]
        for group in groups:
            for event in group:
                event.set()

    async def announce(self, user: str) -> None:
        """A message for ``user`` is in the outbox: wake their polls here and in other workers."""
        await self.notices.publish(TOPIC, user)

    @contextlib.asynccontextmanager
    async def listening(self, user: str) -> AsyncIterator[asyncio.Event | None]:
        """An event set when news for ``user`` arrives (None when too many polls are held)."""
        if self._count >= self.limit:
            yield None
            return
        event = asyncio.Event()
        self._waiting.setdefault(user, set()).add(event)
        self._count += 1
        try:
            yield event
        finally:
            self._count -= 1
            group = self._waiting.get(user)
            if group is not None:
                group.discard(event)
                if not group:
                    del self._waiting[user]

    async def take(self, user: str, wait: float, take: Callable[[str], Awaitable[list[dict[str, Any]]]]
                   ) -> list[dict[str, Any]]:  # fmt: skip
        """``take(user)`` now, or — when it finds nothing — once news arrives or ``wait`` passes."""
        if wait <= 0:
            return await take(user)
        # Listening before the first look: news landing between the look and the wait still wakes us.
        async with self.listening(user) as rung:
            messages = await take(user)
            if messages or rung is None:
                return messages
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rung.wait(), min(wait, MAX_WAIT))
            return await take(user)


def parse_wait(value: str | None) -> float:
    """The ``wait`` query parameter in seconds, clamped to [0, MAX_WAIT]; anything odd means 0."""
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    if seconds != seconds:  # NaN
        return 0.0
    return max(0.0, min(seconds, MAX_WAIT))
