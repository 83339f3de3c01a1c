"""The batched writer: record() only queues, a background task writes few large transactions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.messages import UsageEvent
from bot.core.redact import PHONE
from bot.usage.pseudonym import person_id
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

QUESTION = UsageEvent("question", "identity_card", 0.88, text="làm căn cước, sđt 0912 345 678", locale="vi")
ANSWER = UsageEvent("answered", "identity_card", 0.88, {"section": "fees"}, text="làm căn cước", locale="vi")


async def test_many_events_are_written_in_few_transactions(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """2,000 events recorded in a burst reach the database in about ten transactions, not 2,000."""
    store = SwitchableStore(SqlUsageStore(sqlite_db))
    sink = make_sink(store, spool_path, batch_size=200)
    for n in range(1000):
        await sink.record(f"telegram:{n}", "telegram", [QUESTION, ANSWER])
    await sink.stop()
    assert len(stored_events(sqlite_db)) == 2000
    assert store.writes <= 12
    assert stored_daily(sqlite_db) == daily_from_events(sqlite_db)


async def test_record_returns_at_once_while_the_database_is_stuck(spool_path: Path) -> None:
    """With a write hanging in the database, record() never waits: each call completes without
    once suspending (proved on the coroutine itself, not with a stopwatch a busy machine can fool)."""
    store = SwitchableStore(MemoryUsageStore(), inline=False)
    sink = make_sink(store, spool_path, write_timeout=30.0)
    store.stall()
    await sink.record("web:first", "web", [QUESTION])
    await wait_until(lambda: store.attempts >= 1)  # the writer is now blocked inside the store
    for n in range(2000):
        call = sink.record(f"web:{n}", "web", [QUESTION, ANSWER])
        with pytest.raises(StopIteration):
            call.send(None)  # ran to its end at the first step: nothing awaited
    assert sink.pending >= 4000
    store.release()
    await sink.stop()
    assert len(store.inner.rows) == 4001  # type: ignore[attr-defined]


async def test_record_never_raises(spool_path: Path) -> None:
    """A sink given nonsense (an unreadable clock) logs and returns; the turn is not broken."""

    def broken_clock() -> datetime:
        raise RuntimeError("clock unplugged")

    sink = make_sink(MemoryUsageStore(), spool_path, clock=broken_clock)
    await sink.record("web:1", "web", [QUESTION])
    assert sink.pending == 0
    await sink.stop()


async def test_stop_writes_what_is_still_queued(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """Events queued just before shutdown are in the database once stop() returns."""
    sink = make_sink(SqlUsageStore(sqlite_db), spool_path, flush_seconds=3600)
    await sink.start()
    await sink.record("zalo:42", "zalo", [QUESTION, ANSWER])
    assert stored_events(sqlite_db) == []
    await sink.stop()
    assert len(stored_events(sqlite_db)) == 2


async def test_rows_are_redacted_pseudonymous_and_keep_words_only_for_questions(
    usage_db: sa.Engine, spool_path: Path
) -> None:
    """A question keeps its redacted words; an answer keeps none; the person is the keyed hash."""
    sink = make_sink(SqlUsageStore(usage_db), spool_path)
    lost = UsageEvent("not_understood", None, 0.1, text="xin số 0912345678", locale="vi")
    await sink.record("telegram:7734512345", "telegram", [QUESTION, ANSWER, lost])
    await sink.stop()
    question, answer, not_understood = stored_events(usage_db)
    assert question.text == f"làm căn cước, sđt {PHONE}"
    assert (question.kind, question.procedure, question.locale, question.score) == (
        "question",
        "identity_card",
        "vi",
        0.88,
    )
    assert answer.text is None
    assert not_understood.text == f"xin số {PHONE}"
    assert question.person == person_id(SECRET, "telegram", "7734512345")
    assert len({question.event_key, answer.event_key, not_understood.event_key}) == 3


async def test_values_a_database_would_refuse_are_made_storable(
    usage_db: sa.Engine, spool_path: Path
) -> None:
    """NUL characters, lone surrogates and over-long names are cleaned, so one row cannot block a batch."""
    sink = make_sink(SqlUsageStore(usage_db), spool_path)
    odd = UsageEvent("question", "p" * 80, text="hỏi\x00 về \ud800 khai sinh", locale="vi-VN-x-long")
    await sink.record("web:" + "u" * 300, "web-channel-with-a-long-name", [odd, UsageEvent("k" * 40)])
    await sink.stop()
    question, other = stored_events(usage_db)
    assert question.text == "hỏi về ? khai sinh"
    assert (len(question.procedure), len(question.channel), len(question.locale)) == (64, 16, 8)
    assert other.kind == "k" * 32


async def test_the_day_is_the_vietnamese_calendar_day(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """An event at 18:30 UTC on 23 November counts on 24 November, Vietnam's date."""
    sink = make_sink(
        SqlUsageStore(sqlite_db), spool_path, clock=lambda: datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    )
    await sink.record("web:1", "web", [ANSWER])
    await sink.stop()
    (event,) = stored_events(sqlite_db)
    assert event.day == date(2026, 11, 24)
    assert event.ts == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert set(stored_daily(sqlite_db)) == {(date(2026, 11, 24), "web", "", "answered", "identity_card")}
