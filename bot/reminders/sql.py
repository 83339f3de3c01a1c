"""The reminder book on SQLAlchemy (SQLite or PostgreSQL): what the conversation needs
(:class:`bot.core.ports.BaseReminderBook`) and what the sender needs — claiming due rows with a
conditional UPDATE, so two workers (or two leaders during a hand-over) never send one twice."""

from __future__ import annotations

import asyncio
import logging
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.core.ports import BaseReminderBook, Reminder
from bot.core.reminders import notice_days
from bot.storage import speculative
from bot.storage.tables import reminders as table

T = TypeVar("T")
OPEN = ("active", "waiting")
log = logging.getLogger("bot.reminders")

# Every turn asks "is a reminder waiting to be shown to this person?", and the answer is nearly
# always no. One query every WAITING_REFRESH seconds lists who has one (a handful of rows), so
# the other turns cost no round trip — it was a thread hop and a transaction on every web-chat
# message. A reminder held by another worker shows at most this much later: still "at the next
# visit", the only promise made for channels that cannot push.
WAITING_REFRESH = 20.0


@dataclass(frozen=True)
class Counts:
    """What the dashboard shows for a period."""

    set: int = 0
    sent: int = 0
    cancelled: int = 0
    came_back: int = 0


def _reminder(row: Any) -> Reminder:
    return Reminder(row.id, row.channel, row.user_id, row.flow, row.due, row.lang, row.status)


class SqlReminderBook(BaseReminderBook):
    def __init__(self, db: sa.Engine, clock: Callable[[], datetime] | None = None,
                 waiting_refresh: float = WAITING_REFRESH) -> None:  # fmt: skip
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.waiting_refresh = waiting_refresh
        self._waiting: set[tuple[str, str]] = set()
        self._waiting_read = -float("inf")  # time.monotonic() of the last listing
        self._waiting_lock = asyncio.Lock()

    async def _run(self, work: Callable[[sa.Connection], T]) -> T:
        await speculative.confirm()  # in a turn on a cached state: not before the state is confirmed current

        def transaction() -> T:
            with self.db.begin() as conn:
                return work(conn)

        return await asyncio.to_thread(transaction)

    # --- the conversation's side ---------------------------------------------------------------
    async def add(self, channel: str, user_id: str, flow: str, due: date, lang: str, today: date) -> Reminder:
        def work(conn: sa.Connection) -> Reminder:
            same = conn.execute(sa.select(table).where(
                table.c.channel == channel, table.c.user_id == user_id, table.c.flow == flow,
                table.c.due == due, table.c.status.in_(OPEN))).first()  # fmt: skip
            if same is not None:
                return _reminder(same)
            key = conn.execute(table.insert().values(
                channel=channel, user_id=user_id, flow=flow, due=due, lang=lang, status="active", stage=0,
                next_on=notice_days(due, today)[0], attempts=0, created_at=self.clock(),
            )).inserted_primary_key  # fmt: skip
            assert key is not None
            return Reminder(int(key[0]), channel, user_id, flow, due, lang)

        return await self._run(work)

    async def of_person(self, channel: str, user_id: str) -> list[Reminder]:
        query = sa.select(table).where(table.c.channel == channel, table.c.user_id == user_id,
                                       table.c.status.in_(OPEN)).order_by(table.c.due, table.c.id)  # fmt: skip
        return await self._run(lambda conn: [_reminder(r) for r in conn.execute(query)])

    async def cancel(self, reminder_id: int, channel: str, user_id: str) -> bool:
        change = table.update().where(table.c.id == reminder_id, table.c.channel == channel,
                                      table.c.user_id == user_id, table.c.status.in_(OPEN))  # fmt: skip
        return await self._run(lambda conn: conn.execute(
            change.values(status="cancelled", cancelled_at=self.clock(), claimed_until=None)).rowcount == 1)

    async def take_waiting(self, channel: str, user_id: str) -> list[Reminder]:
        if not await self._may_be_waiting(channel, user_id):
            return []
        self._waiting.discard((channel, user_id))

        def work(conn: sa.Connection) -> list[Reminder]:
            rows = conn.execute(sa.select(table).where(
                table.c.channel == channel, table.c.user_id == user_id, table.c.status == "waiting",
            ).order_by(table.c.due)).all()  # fmt: skip
            return [_reminder(r) for r in rows if self._advance(conn, r, from_status="waiting")]

        return await self._run(work)

    async def _may_be_waiting(self, channel: str, user_id: str) -> bool:
        """Whether ``user_id`` may have a reminder waiting, from the listing (refreshed when old)."""
        if clock_time.monotonic() - self._waiting_read >= self.waiting_refresh:
            async with self._waiting_lock:  # one listing for all the turns that found it old
                if clock_time.monotonic() - self._waiting_read >= self.waiting_refresh:
                    query = sa.select(table.c.channel, table.c.user_id).where(table.c.status == "waiting").distinct()
                    try:
                        rows = await self._run(lambda conn: conn.execute(query).all())
                    except Exception:  # the store is down: keep the old listing, try again later
                        log.warning("waiting reminders not listed (store unavailable)", exc_info=True)
                    else:
                        self._waiting = {(row.channel, row.user_id) for row in rows}
                    self._waiting_read = clock_time.monotonic()
        return (channel, user_id) in self._waiting

    async def came_back(self, reminder_id: int, channel: str, user_id: str) -> None:
        change = table.update().where(table.c.id == reminder_id, table.c.channel == channel,
                                      table.c.user_id == user_id, table.c.returned_at.is_(None))  # fmt: skip
        await self._run(lambda conn: conn.execute(change.values(returned_at=self.clock())))

    async def forget(self, channel: str, user_id: str) -> int:
        gone = table.delete().where(table.c.channel == channel, table.c.user_id == user_id)
        return await self._run(lambda conn: int(conn.execute(gone).rowcount))

    # --- the sender's side ---------------------------------------------------------------------
    async def claim_due(self, today: date, now: datetime, lease: timedelta, limit: int = 50) -> list[Reminder]:
        """Active reminders whose notice day has come, each leased to this caller: the UPDATE only
        succeeds while nobody else holds a live lease, so one worker gets each row."""

        def work(conn: sa.Connection) -> list[Reminder]:
            return self._take(conn, self._due(conn, today, now, limit), today, now, lease)

        return await self._run(work)

    @staticmethod
    def _due(conn: sa.Connection, today: date, now: datetime, limit: int) -> list[Any]:
        ready = sa.or_(table.c.retry_at.is_(None), table.c.retry_at <= now)
        return list(conn.execute(sa.select(table).where(table.c.status == "active", table.c.next_on <= today, ready,
                                                        _free(now)).order_by(table.c.next_on, table.c.id).limit(limit)))  # fmt: skip

    @staticmethod
    def _take(conn: sa.Connection, rows: list[Any], today: date, now: datetime, lease: timedelta) -> list[Reminder]:
        """Lease the ``rows`` read a moment ago that are still as they were read: another worker may
        have sent one and moved it on (next notice on the due date, lease cleared) since."""
        mine = []
        for row in rows:
            unchanged = sa.and_(table.c.stage == row.stage, table.c.next_on <= today)
            taken = conn.execute(table.update().where(table.c.id == row.id, table.c.status == "active", _free(now),
                                                      unchanged).values(claimed_until=now + lease)).rowcount  # fmt: skip
            if taken == 1:
                mine.append(_reminder(row))
        return mine

    async def sent(self, reminder_id: int, today: date) -> None:
        """A notice went out: the next one is on the due date, or the reminder is done."""

        def work(conn: sa.Connection) -> None:
            row = conn.execute(sa.select(table).where(table.c.id == reminder_id)).first()
            if row is not None:
                self._advance(conn, row, from_status="active", today=today)

        await self._run(work)

    async def failed(self, reminder_id: int, now: datetime, retry_in: timedelta | None) -> None:
        """A send failed: try again after ``retry_in``, or drop the reminder (None)."""
        values: dict[str, Any] = {"claimed_until": None, "attempts": table.c.attempts + 1}
        values |= {"retry_at": now + retry_in} if retry_in is not None else {"status": "dropped"}
        change = table.update().where(table.c.id == reminder_id, table.c.status == "active").values(**values)
        await self._run(lambda conn: conn.execute(change))

    async def attempts(self, reminder_id: int) -> int:
        query = sa.select(table.c.attempts).where(table.c.id == reminder_id)
        return await self._run(lambda conn: int(conn.execute(query).scalar_one_or_none() or 0))

    async def hold(self, reminder_id: int) -> None:
        """The channel cannot push now: show the reminder at the person's next message."""
        # RETURNING (SQLite 3.35+, PostgreSQL): the changed row's person in the same statement.
        change = (table.update().where(table.c.id == reminder_id, table.c.status == "active")
                  .values(status="waiting", claimed_until=None).returning(table.c.channel, table.c.user_id))  # fmt: skip

        def work(conn: sa.Connection) -> None:
            row = conn.execute(change).first()
            if row is not None:
                self._waiting.add((row.channel, row.user_id))  # this worker shows it without waiting

        await self._run(work)

    def _advance(self, conn: sa.Connection, row: Any, from_status: str, today: date | None = None) -> bool:
        """Count one notice delivered; True when this caller made the change."""
        today = today or self.clock().date()
        final = row.next_on >= row.due or today >= row.due
        values: dict[str, Any] = {"stage": row.stage + 1, "sent_at": self.clock(), "attempts": 0,
                                  "retry_at": None, "claimed_until": None}  # fmt: skip
        values |= {"status": "done"} if final else {"status": "active", "next_on": row.due}
        return conn.execute(table.update().where(table.c.id == row.id, table.c.status == from_status,
                                                 table.c.stage == row.stage).values(**values)).rowcount == 1  # fmt: skip

    # --- operators and the dashboard -----------------------------------------------------------
    def due_by(self, day: date) -> list[Reminder]:
        """Reminders still to come whose due date is ``day`` or earlier, soonest first."""
        query = sa.select(table).where(table.c.status.in_(OPEN), table.c.due <= day).order_by(table.c.due, table.c.id)
        with self.db.connect() as conn:
            return [_reminder(r) for r in conn.execute(query)]

    def counts(self, start: datetime, end: datetime) -> Counts:
        """Reminders set, sent, cancelled and followed back to the checklist between two instants."""

        def between(column: sa.Column[Any]) -> sa.ColumnElement[int]:
            return sa.func.count().filter(column >= start, column < end)

        query = sa.select(between(table.c.created_at), between(table.c.sent_at),
                          between(table.c.cancelled_at), between(table.c.returned_at))  # fmt: skip
        with self.db.connect() as conn:
            row = conn.execute(query).one()
        return Counts(*(int(n) for n in row))


def reminder_counts(db: sa.Engine, start: date, end: date) -> Counts:
    """The dashboard's reminder figures for the days ``start``..``end`` (both included, Vietnam time)."""
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    begin = datetime.combine(start, time(), tzinfo=zone)
    finish = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    return SqlReminderBook(db).counts(begin, finish)


def _free(now: datetime) -> sa.ColumnElement[bool]:
    """Not leased to a worker, or its lease has run out."""
    return sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
