"""Test doubles and readers for the usage-log tests: stores that fail or stall on demand, table readers."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bot.core.messages import UsageEvent
from bot.core.ports import BaseUsageSink
from bot.storage.tables import usage_daily, usage_events
from bot.usage.rows import DailyKey, Row
from bot.usage.store import UsageStore
from bot.usage.writer import BatchedUsageSink

SECRET = b"test secret for usage ids, 32+ bytes"

FAST = {"flush_seconds": 0.02, "retry_max_seconds": 0.05, "write_timeout": 0.5}
"""Writer timings for tests: flushes and retries in milliseconds rather than seconds."""


def wipe(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(usage_events.delete())
        connection.execute(usage_daily.delete())


class SwitchableStore:
    """Wraps a real store; a test can make it fail (``down``) or stall (``stall``) like a sick database.

    Stalls block in the store's thread until ``release()``, as a query waiting on a lock would;
    the wrapped store still runs afterwards, so a stalled write may commit late, as on a server.
    """

    def __init__(self, inner: UsageStore, inline: bool | None = None) -> None:
        self.inner = inner
        self._inline = inner.inline if inline is None else inline
        self.down = False
        self._running = threading.Event()
        self._running.set()
        self.writes = 0  # write transactions that went through
        self.attempts = 0

    @property
    def inline(self) -> bool:
        return self._inline

    def stall(self) -> None:
        self._running.clear()

    def release(self) -> None:
        self._running.set()

    def write(self, rows: Sequence[Row]) -> int:
        self._gate()
        count = self.inner.write(rows)
        self.writes += 1
        return count

    def erase(self, person: str) -> int:
        self._gate()
        return self.inner.erase(person)

    def purge(self, before: date, limit: int) -> int:
        self._gate()
        return self.inner.purge(before, limit)

    def close(self) -> None:
        self.inner.close()

    def _gate(self) -> None:
        self.attempts += 1
        self._running.wait(timeout=30)
        if self.down:
            raise ConnectionError("database unreachable (test)")


class CollectingSink(BaseUsageSink):
    """Keeps every recorded event, to compare with what reached the database."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, str, UsageEvent]] = []

    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        self.recorded += [(key, channel, event) for event in events]


def stored_events(engine: sa.Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(usage_events).order_by(usage_events.c.id)).all())


def stored_daily(engine: sa.Engine) -> Counter[DailyKey]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(usage_daily)).all()
    return Counter({(r.day, r.channel, r.commune, r.kind, r.procedure): r.count for r in rows})


def daily_from_events(engine: sa.Engine) -> Counter[DailyKey]:
    """What usage_daily should hold: the events grouped by its key."""
    return Counter(
        (r.day, r.channel, r.commune or "", r.kind, r.procedure or "") for r in stored_events(engine)
    )


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``condition`` (letting the writer run) until it holds; fail after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.01)


def make_sink(store: UsageStore, spool: Path, **options: object) -> BatchedUsageSink:
    settings: dict[str, object] = {**FAST, **options}
    return BatchedUsageSink(store, SECRET, spool, **settings)  # type: ignore[arg-type]
