"""Conversations per day: distinct people, counted once per closed day and kept.

A distinct count cannot be summed from ``usage_daily`` and costs a scan of the day's events, so
each day is counted once, when it is closed, into ``admin_daily_people`` (a row per channel and
commune, plus one marker row with channel ``""`` holding the day's total). The last
:data:`OPEN_DAYS` days are counted live: the writer may still deliver their events late (after
an outage, from the spool). A year of history then reads a few thousand small rows.

A person's id is already per channel (a keyed hash of channel and user), so summing channels is
exact; summing communes counts a person twice only if they moved commune within one day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.admin.schema import admin_daily_people as cache
from bot.storage.tables import usage_events as events

OPEN_DAYS = 2
"""Today and yesterday are counted from the events each time; older days are counted once."""


@dataclass(frozen=True)
class PeopleRow:
    day: date
    channel: str
    commune: str
    people: int


def people(connection: sa.Connection, start: date, end: date, today: date,
           commune: str | None = None, channel: str | None = None) -> list[PeopleRow]:  # fmt: skip
    """People per day, channel and commune from ``start`` to ``end`` (inclusive)."""
    closed_end = min(end, today - timedelta(days=OPEN_DAYS))
    rows: list[PeopleRow] = []
    if start <= closed_end:
        fill(connection, start, closed_end)
        query = sa.select(cache.c.day, cache.c.channel, cache.c.commune, cache.c.people).where(
            cache.c.day.between(start, closed_end), cache.c.channel != ""
        )
        if commune is not None:
            query = query.where(cache.c.commune == commune)
        if channel is not None:
            query = query.where(cache.c.channel == channel)
        rows += [PeopleRow(*row) for row in connection.execute(query).all()]
    live_start = max(start, closed_end + timedelta(days=1))
    if live_start <= end:
        rows += _count(connection, live_start, end, commune, channel)
    return rows


def fill(connection: sa.Connection, start: date, end: date) -> int:
    """Count the closed days between ``start`` and ``end`` not counted yet; returns how many."""
    counted = set(connection.execute(
        sa.select(cache.c.day).where(cache.c.day.between(start, end), cache.c.channel == "")
    ).scalars())  # fmt: skip
    missing = [d for d in _days(start, end) if d not in counted]
    if not missing:
        return 0
    first, last = missing[0], missing[-1]
    wanted = set(missing)
    detail = [r for r in _count(connection, first, last) if r.day in wanted]
    totals = dict.fromkeys(missing, 0)
    query = (
        sa.select(events.c.day, sa.func.count(sa.distinct(events.c.person)))
        .where(events.c.day.between(first, last))
        .group_by(events.c.day)
    )
    for day, count in connection.execute(query).all():
        if day in wanted:
            totals[day] = int(count)
    values = [{"day": r.day, "channel": r.channel, "commune": r.commune, "people": r.people} for r in detail]
    values += [{"day": day, "channel": "", "commune": "", "people": n} for day, n in totals.items()]
    insert: Any = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(cache)
    for chunk in range(0, len(values), 500):
        # Two workers may count the same day at once: both get the same numbers, the first row stays.
        connection.execute(insert.on_conflict_do_nothing(), values[chunk : chunk + 500])
    connection.commit()
    return len(missing)


def _count(connection: sa.Connection, start: date, end: date,
           commune: str | None = None, channel: str | None = None) -> list[PeopleRow]:  # fmt: skip
    place = sa.func.coalesce(events.c.commune, "")
    query = (
        sa.select(events.c.day, events.c.channel, place, sa.func.count(sa.distinct(events.c.person)))
        .where(events.c.day.between(start, end))
        .group_by(events.c.day, events.c.channel, place)
    )
    if commune is not None:
        query = query.where(place == commune)
    if channel is not None:
        query = query.where(events.c.channel == channel)
    return [PeopleRow(day, ch, co, int(n)) for day, ch, co, n in connection.execute(query).all()]


def _days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(days=i) for i in range((end - start).days + 1))
