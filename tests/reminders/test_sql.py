"""The reminder book on SQLite and PostgreSQL: one reminder per tap, claims that one worker wins,
leases that free a dead worker's rows, retries and drops, waiting rows shown once, erasure, the
operators' listing and the dashboard's counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.reminders.sql import SqlReminderBook
from bot.storage.db import create_db_engine
from bot.storage.tables import reminders

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
DUE = date(2026, 12, 10)
LEASE = timedelta(minutes=5)


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    with engine.begin() as connection:  # the PostgreSQL database is shared by the run's tests
        connection.execute(reminders.delete())
    yield engine
    engine.dispose()


@pytest.fixture
def book(db: sa.Engine) -> SqlReminderBook:
    return SqlReminderBook(db, clock=lambda: NOW)


async def test_a_tap_stores_one_reminder(book: SqlReminderBook) -> None:
    """The same guide and due date tapped twice is one reminder; it is listed for its person only."""
    first = await book.add("telegram", "42", "birth_registration", DUE, "vi", TODAY)
    again = await book.add("telegram", "42", "birth_registration", DUE, "vi", TODAY)
    assert first == again
    assert [r.id for r in await book.of_person("telegram", "42")] == [first.id]
    assert await book.of_person("telegram", "43") == []


async def test_two_workers_never_claim_the_same_row(db: sa.Engine) -> None:
    """Two books over one database (two workers) split the due rows; neither gets one twice."""
    one, two = SqlReminderBook(db, clock=lambda: NOW), SqlReminderBook(db, clock=lambda: NOW)
    for user in ("1", "2", "3"):
        await one.add("telegram", user, "birth_registration", DUE, "vi", date(2026, 11, 1))
    day = date(2026, 12, 7)  # three days before: the first notice
    first = await one.claim_due(day, NOW, LEASE)
    second = await two.claim_due(day, NOW, LEASE)
    assert len(first) == 3
    assert second == [], "all leased to the first worker"
    after_lease = await two.claim_due(day, NOW + LEASE + timedelta(seconds=1), LEASE)
    assert len(after_lease) == 3, "a dead worker's rows come back after its lease"


async def test_a_notice_another_worker_sent_after_this_one_read_it_is_not_claimed_again(db: sa.Engine) -> None:
    """Worker two reads the due row; before it leases it, worker one leases, sends and moves it on
    to the due date (lease cleared). Worker two's stale row must not be leased: it would send the
    same notice a second time (seen in CI: one person of six reminded twice)."""
    one, two = SqlReminderBook(db, clock=lambda: NOW), SqlReminderBook(db, clock=lambda: NOW)
    await one.add("telegram", "7", "birth_registration", DUE, "vi", date(2026, 11, 1))
    day = date(2026, 12, 7)  # three days before: the first of two notices
    with db.connect() as conn:
        stale = SqlReminderBook._due(conn, day, NOW, 50)
    assert len(stale) == 1
    [taken] = await one.claim_due(day, NOW, LEASE)
    await one.sent(taken.id, day)
    with db.begin() as conn:
        assert SqlReminderBook._take(conn, stale, day, NOW, LEASE) == [], "already sent by worker one"
    assert await two.claim_due(DUE, NOW, LEASE) != [], "the second notice comes on the due date"


async def test_nothing_is_claimed_before_its_day(book: SqlReminderBook) -> None:
    """The first notice is three days before the due date, not earlier."""
    await book.add("telegram", "42", "birth_registration", DUE, "vi", TODAY)
    assert await book.claim_due(date(2026, 12, 6), NOW, LEASE) == []
    assert len(await book.claim_due(date(2026, 12, 7), NOW, LEASE)) == 1


async def test_a_sent_notice_moves_to_the_due_date_then_ends(book: SqlReminderBook) -> None:
    """Sent before the day: the next notice is on the day; sent on the day: the reminder is done."""
    row = await book.add("telegram", "42", "birth_registration", DUE, "vi", TODAY)
    [claimed] = await book.claim_due(date(2026, 12, 7), NOW, LEASE)
    await book.sent(claimed.id, date(2026, 12, 7))
    assert await book.claim_due(date(2026, 12, 9), NOW, LEASE) == []
    [on_day] = await book.claim_due(DUE, NOW, LEASE)
    await book.sent(on_day.id, DUE)
    assert await book.of_person("telegram", "42") == []
    assert book.due_by(date(2027, 1, 1)) == []
    assert row.id == on_day.id


async def test_failures_retry_later_then_drop(book: SqlReminderBook) -> None:
    """A failed send waits for its retry time; a drop ends the reminder."""
    await book.add("telegram", "42", "birth_registration", DUE, "vi", TODAY)
    [row] = await book.claim_due(DUE, NOW, LEASE)
    await book.failed(row.id, NOW, timedelta(minutes=10))
    assert await book.attempts(row.id) == 1
    assert await book.claim_due(DUE, NOW + timedelta(minutes=9), LEASE) == []
    [row] = await book.claim_due(DUE, NOW + timedelta(minutes=10), LEASE)
    await book.failed(row.id, NOW, None)
    assert await book.of_person("telegram", "42") == []


async def test_a_held_reminder_is_shown_once(book: SqlReminderBook) -> None:
    """Held for the next message: taken once (a second take is empty), then over on its day."""
    await book.add("web", "w1", "birth_registration", DUE, "vi", TODAY)
    [row] = await book.claim_due(DUE, NOW, LEASE)
    await book.hold(row.id)
    assert await book.claim_due(DUE, NOW + timedelta(hours=1), LEASE) == []
    assert [r.id for r in await book.take_waiting("web", "w1")] == [row.id]
    assert await book.take_waiting("web", "w1") == []


async def test_turns_of_people_with_nothing_waiting_cost_no_query(db: sa.Engine) -> None:
    """Every turn asks for waiting reminders; only a listing every few seconds reaches the
    database, and a reminder held by another worker shows once that listing is refreshed."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "reminders" in statement:
            statements.append(statement)

    here = SqlReminderBook(db, clock=lambda: NOW, waiting_refresh=3600)
    elsewhere = SqlReminderBook(db, clock=lambda: NOW)  # the worker whose sender held it
    sa.event.listen(db, "before_cursor_execute", count)
    try:
        assert await here.take_waiting("web", "nobody-1") == []
        listed = len(statements)
        for n in range(50):
            assert await here.take_waiting("web", f"nobody-{n}") == []
        assert len(statements) == listed, "50 more turns, no more queries"
        held = await elsewhere.add("web", "visitor", "birth_registration", DUE, "vi", TODAY)
        await elsewhere.hold(held.id)
        assert await here.take_waiting("web", "visitor") == [], "not listed yet: shown after the refresh"
        here.waiting_refresh = 0
        assert [r.id for r in await here.take_waiting("web", "visitor")] == [held.id]
        assert await here.take_waiting("web", "visitor") == [], "shown once"
    finally:
        sa.event.remove(db, "before_cursor_execute", count)


async def test_a_reminder_held_here_shows_at_once(book: SqlReminderBook) -> None:
    """The worker that held it needs no refresh: the very next message shows it."""
    book.waiting_refresh = 3600
    assert await book.take_waiting("web", "someone") == []  # listed now: nothing
    held = await book.add("web", "visitor", "birth_registration", DUE, "vi", TODAY)
    await book.hold(held.id)
    assert [r.id for r in await book.take_waiting("web", "visitor")] == [held.id]


async def test_holding_is_one_statement(db: sa.Engine) -> None:
    """Hold is one UPDATE … RETURNING (no read-back of the row it changed); a row no longer
    active (cancelled meanwhile) is left alone and nothing is marked waiting."""
    book = SqlReminderBook(db, clock=lambda: NOW, waiting_refresh=3600)
    assert await book.take_waiting("web", "visitor") == []  # listed now: only this worker's holds count
    held = await book.add("web", "visitor", "birth_registration", DUE, "vi", TODAY)
    gone = await book.add("web", "gone", "birth_registration", DUE, "vi", TODAY)
    assert await book.cancel(gone.id, "web", "gone")
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "reminders" in statement:
            statements.append(" ".join(statement.split()))

    sa.event.listen(db, "before_cursor_execute", count)
    try:
        await book.hold(held.id)
        await book.hold(gone.id)
    finally:
        sa.event.remove(db, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    assert all(s.startswith("UPDATE reminders") and "RETURNING" in s for s in statements), statements
    assert [r.id for r in await book.take_waiting("web", "visitor")] == [held.id]
    assert await book.take_waiting("web", "gone") == []
    assert [r.status for r in await book.of_person("web", "gone")] == []


async def test_cancel_and_forget_are_the_persons_own(book: SqlReminderBook) -> None:
    """Only the owner cancels; erasure deletes every row of the person and no one else's."""
    mine = await book.add("zalo", "z1", "vehicle_registration", DUE, "vi", TODAY)
    theirs = await book.add("zalo", "z2", "vehicle_registration", DUE, "vi", TODAY)
    assert not await book.cancel(mine.id, "zalo", "z2")
    assert await book.cancel(mine.id, "zalo", "z1")
    assert not await book.cancel(mine.id, "zalo", "z1"), "already cancelled"
    assert await book.forget("zalo", "z1") == 1
    assert [r.id for r in book.due_by(DUE)] == [theirs.id]


async def test_the_dashboard_counts(book: SqlReminderBook) -> None:
    """Set, sent, cancelled and came back, within the period."""
    one = await book.add("telegram", "1", "birth_registration", DUE, "vi", TODAY)
    two = await book.add("telegram", "2", "birth_registration", DUE, "vi", TODAY)
    await book.add("telegram", "3", "birth_registration", DUE, "vi", TODAY)
    await book.cancel(two.id, "telegram", "2")
    [first, *_rest] = await book.claim_due(DUE, NOW, LEASE)
    await book.sent(first.id, DUE)
    await book.came_back(one.id, "telegram", "1")
    counts = book.counts(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (counts.set, counts.sent, counts.cancelled, counts.came_back) == (3, 1, 1, 1)
    assert book.counts(NOW + timedelta(days=1), NOW + timedelta(days=2)).set == 0
