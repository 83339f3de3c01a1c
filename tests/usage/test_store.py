"""The usage-store contract, run against every implementation: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.core.messages import UsageEvent
from bot.usage.rows import DailyKey, Row, to_rows
from bot.usage.sql import SqlUsageStore
from bot.usage.store import MemoryUsageStore, UsageStore
from tests.usage.helpers import stored_daily, stored_events

NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam


@dataclass
class Backend:
    store: UsageStore
    engine: sa.Engine | None = None

    def keys(self) -> set[str]:
        if self.engine is None:
            assert isinstance(self.store, MemoryUsageStore)
            return set(self.store.rows)
        return {str(row.event_key) for row in stored_events(self.engine)}

    def daily(self) -> Counter[DailyKey]:
        if self.engine is None:
            assert isinstance(self.store, MemoryUsageStore)
            return +self.store.daily
        return stored_daily(self.engine)


class AwaitedWrites:
    """A SqlUsageStore whose writes go the batched writer's way: ``awrite`` in an event loop
    (asyncpg on PostgreSQL), so the contract below holds for that path too."""

    def __init__(self, store: SqlUsageStore) -> None:
        self.inner = store
        self.loop = asyncio.new_event_loop()
        self.inline = store.inline

    def write(self, rows: Sequence[Row]) -> int:
        return self.loop.run_until_complete(self.inner.awrite(rows))

    def erase(self, person: str) -> int:
        return self.inner.erase(person)

    def purge(self, before: date, limit: int) -> int:
        return self.inner.purge(before, limit)

    def close(self) -> None:
        self.loop.run_until_complete(self.inner.aclose())
        self.loop.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-awrite", marks=pytest.mark.postgres)])  # fmt: skip
def backend(request: pytest.FixtureRequest, usage_database: Callable[[str], sa.Engine]) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend(MemoryUsageStore())
        return
    engine = usage_database(request.param.removesuffix("-awrite"))
    store: SqlUsageStore | AwaitedWrites = SqlUsageStore(engine)
    if request.param.endswith("-awrite"):
        store = AwaitedWrites(store)
    yield Backend(store, engine)
    store.close()


def turn(person: str, when: datetime = NOON, channel: str = "telegram") -> list[Row]:
    events = [
        UsageEvent("question", "birth_registration", 0.91, text="lam khai sinh o dau", locale="vi"),
        UsageEvent("answered", "birth_registration", 0.91, {"section": "overview"}, locale="vi"),
        UsageEvent("not_understood", None, 0.2, text="xyzzy", locale="vi"),
    ]
    return to_rows(events, channel, person, when)


def test_write_stores_rows_and_counts_them_by_day(backend: Backend) -> None:
    """Every new row is stored and counted under its day, channel, commune, kind and procedure."""
    rows = turn("a") + turn("b") + turn("a", channel="zalo")
    assert backend.store.write(rows) == 9
    assert backend.keys() == {row["event_key"] for row in rows}
    day = date(2026, 11, 23)
    assert backend.daily() == Counter({
        (day, "telegram", "", "question", "birth_registration"): 2,
        (day, "telegram", "", "answered", "birth_registration"): 2,
        (day, "telegram", "", "not_understood", ""): 2,
        (day, "zalo", "", "question", "birth_registration"): 1,
        (day, "zalo", "", "answered", "birth_registration"): 1,
        (day, "zalo", "", "not_understood", ""): 1,
    })  # fmt: skip


def test_writing_the_same_rows_again_changes_nothing(backend: Backend) -> None:
    """A replayed batch (same event keys) adds no row and no count; only its new rows count."""
    first = turn("a") + turn("b")
    backend.store.write(first)
    daily = backend.daily()
    assert backend.store.write(first) == 0
    assert backend.daily() == daily
    later = turn("c")
    assert backend.store.write(first[:2] + later) == 3
    assert sum(backend.daily().values()) == 9
    assert len(backend.keys()) == 9


def test_erase_removes_a_person_and_lowers_the_counts(backend: Backend) -> None:
    """Erasing a person deletes their rows and takes them off the daily counts; others stay."""
    backend.store.write(turn("a") + turn("a", NOON + timedelta(days=1)) + turn("b"))
    assert backend.store.erase("a") == 6
    assert len(backend.keys()) == 3
    day = date(2026, 11, 23)
    assert backend.daily() == Counter({
        (day, "telegram", "", "question", "birth_registration"): 1,
        (day, "telegram", "", "answered", "birth_registration"): 1,
        (day, "telegram", "", "not_understood", ""): 1,
    })  # fmt: skip
    assert backend.store.erase("a") == 0


def test_purge_deletes_old_days_in_chunks(backend: Backend) -> None:
    """Purging removes rows (and daily counts) of days before the cutoff, a chunk at a time."""
    old = [row for n in range(4) for row in turn(f"p{n}", NOON - timedelta(days=400))]
    recent = turn("q", NOON)
    backend.store.write(old + recent)
    cutoff = date(2026, 1, 1)
    assert backend.store.purge(cutoff, 5) == 5
    assert any(key[0] < cutoff for key in backend.daily())  # counts stay until their rows are gone
    total = 5
    while (count := backend.store.purge(cutoff, 5)) == 5:
        total += count
    total += count
    assert total == 12
    assert backend.keys() == {row["event_key"] for row in recent}
    assert all(key[0] >= cutoff for key in backend.daily())
    assert sum(backend.daily().values()) == 3
