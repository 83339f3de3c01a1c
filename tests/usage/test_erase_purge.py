"""Erasure and retention: a person's events go on request, everyone's go when they are too old."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import build_engine
from bot.conversations import Conversations
from bot.core.messages import Inbound, UsageEvent
from bot.errors import StorageError
from bot.jobs import LocalLeader, Scheduler
from bot.storage.memory import MemoryStateStore
from bot.usage.pseudonym import person_id
from bot.usage.rows import months_before
from bot.usage.sql import SqlUsageStore
from bot.usage.store import MemoryUsageStore
from tests.usage.helpers import (
    SECRET,
    SwitchableStore,
    daily_from_events,
    make_sink,
    stored_daily,
    stored_events,
    wait_until,
)

EVENT = UsageEvent("question", "identity_card", 0.9, text="làm căn cước ở đâu", locale="vi")


def people(engine: sa.Engine) -> Counter[str]:
    return Counter(str(row.person) for row in stored_events(engine))


async def test_the_erase_button_deletes_the_persons_events_and_counts(
    usage_db: sa.Engine, spool_path: Path
) -> None:
    """After /xoadulieu and "yes", the person's events and their share of the daily counts are gone."""
    sink = make_sink(SqlUsageStore(usage_db), spool_path)
    conversations = Conversations(build_engine(), MemoryStateStore(timedelta(hours=1)), sink)
    for user in ("leaving", "staying"):
        for text in ("lam giay khai sinh cho con o dau", "làm căn cước mất bao lâu", "xyzzy"):
            await conversations.handle(Inbound("telegram", user, text))
    await sink.flush()
    leaving, staying = person_id(SECRET, "telegram", "leaving"), person_id(SECRET, "telegram", "staying")
    before = people(usage_db)
    assert before[leaving] > 0
    assert before[staying] > 0
    replies = await conversations.handle(Inbound("telegram", "leaving", "/xoadulieu"))
    assert replies
    await conversations.handle(Inbound("telegram", "leaving", payload="erase:yes"))
    await sink.stop()
    after = people(usage_db)
    assert leaving not in after
    assert after[staying] == before[staying]
    assert stored_daily(usage_db) == daily_from_events(usage_db)


async def test_erase_drops_events_still_in_the_queue(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """Events not yet written when the person asks to erase are never written."""
    sink = make_sink(SqlUsageStore(sqlite_db), spool_path, flush_seconds=3600)
    await sink.record("web:a", "web", [EVENT, EVENT])
    await sink.record("web:b", "web", [EVENT])
    await sink.erase("web:a", "web")
    await sink.stop()
    assert people(sqlite_db) == Counter({person_id(SECRET, "web", "b"): 1})


async def test_erase_during_an_outage_is_replayed_in_its_place(
    sqlite_db: sa.Engine, spool_path: Path
) -> None:
    """With the database down, erasure clears the spool and is itself spooled: events from before it
    go, events the person makes after it stay, and the daily counts match the events."""
    await _seed(sqlite_db, spool_path)  # a: 2 events and b: 1 already in the database
    store = SwitchableStore(SqlUsageStore(sqlite_db))
    sink = make_sink(store, spool_path)
    store.down = True
    await sink.record("web:a", "web", [EVENT])
    await sink.record("web:b", "web", [EVENT])
    await wait_until(lambda: spool_path.exists() and sink.pending == 2)
    await sink.erase("web:a", "web")
    assert '"erase"' in spool_path.read_text()
    await sink.record("web:a", "web", [EVENT])  # they come back after erasing
    store.down = False
    await wait_until(lambda: sink.pending == 0)
    await sink.stop()
    a, b = person_id(SECRET, "web", "a"), person_id(SECRET, "web", "b")
    assert people(sqlite_db) == Counter({a: 1, b: 2})
    assert stored_daily(sqlite_db) == daily_from_events(sqlite_db)


async def _seed(engine: sa.Engine, spool: Path) -> None:
    sink = make_sink(SqlUsageStore(engine), spool.with_name("seed-spool.jsonl"))
    await sink.record("web:a", "web", [EVENT, EVENT])
    await sink.record("web:b", "web", [EVENT])
    await sink.stop()


async def test_erase_that_can_be_neither_done_nor_kept_raises(tmp_path: Path) -> None:
    """With the database down and no usable spool, erasure raises StorageError instead of pretending."""
    (tmp_path / "not-a-folder").write_text("")
    store = SwitchableStore(MemoryUsageStore())
    store.down = True
    sink = make_sink(store, tmp_path / "not-a-folder" / "usage-spool.jsonl")
    with pytest.raises(StorageError, match="could not erase"):
        await sink.erase("web:a", "web")
    await sink.stop()


async def test_purge_deletes_events_older_than_the_retention(usage_db: sa.Engine, spool_path: Path) -> None:
    """purge(12) on 23 Nov 2026 deletes events and daily counts before 23 Nov 2025, keeps the rest."""
    stamps = [
        datetime(2025, 11, 21, tzinfo=UTC),
        datetime(2025, 11, 23, 3, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    ]
    for n, stamp in enumerate(stamps):
        sink = make_sink(SqlUsageStore(usage_db), spool_path, clock=lambda stamp=stamp: stamp)
        await sink.record(f"zalo:{n}", "zalo", [EVENT])
        await sink.stop()
    sink = make_sink(SqlUsageStore(usage_db), spool_path)
    assert await sink.purge(12, today=date(2026, 11, 23)) == 1
    await sink.stop()
    assert sorted(row.day for row in stored_events(usage_db)) == [date(2025, 11, 23), date(2026, 11, 1)]
    assert sorted(key[0] for key in stored_daily(usage_db)) == [date(2025, 11, 23), date(2026, 11, 1)]


async def test_the_daily_purge_runs_in_the_background(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """With a retention set, the sink schedules a purge that deletes old events without being asked."""
    old = make_sink(SqlUsageStore(sqlite_db), spool_path, clock=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    await old.record("web:1", "web", [EVENT])
    await old.stop()
    sink = make_sink(SqlUsageStore(sqlite_db), spool_path, retention_months=12, purge_delay_seconds=0.0)
    scheduler = Scheduler(LocalLeader(), tick_seconds=0.05)
    sink.schedule(scheduler)
    await sink.start()
    await scheduler.start()
    await wait_until(lambda: stored_events(sqlite_db) == [])
    await scheduler.stop()
    await sink.stop()
    assert stored_daily(sqlite_db) == Counter()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 23), 12, date(2025, 11, 23)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 5, 10), 30, date(2023, 11, 10)),
    ],
)
def test_months_before_counts_calendar_months(day: date, months: int, expected: date) -> None:
    """The cutoff is the same day N months back, or that month's last day when it is shorter."""
    assert months_before(day, months) == expected
