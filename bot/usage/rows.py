"""Usage events as table rows: redacted, pseudonymous, sized to their columns, and back from JSON.

A row is built once, when the turn ends, and keeps its ``event_key`` from then on — through the
queue, the spool file and every retry — so writing it twice leaves one row.
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.messages import UsageEvent
from bot.core.redact import redact

try:
    VIETNAM: timezone | ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # no tz database (slim containers): Vietnam has kept UTC+7 since 1975
    VIETNAM = timezone(timedelta(hours=7), "ICT")

TEXT_KINDS = frozenset({"question", "did_you_mean", "not_understood"})
"""Events whose words are kept (redacted): what people ask, and what the bot failed to understand."""

TEXT_LIMIT = 1000
"""Characters of a question kept; the engine reads no further either."""


class Row(TypedDict):
    """One ``usage_events`` row, keyed by column name."""

    event_key: str
    ts: datetime
    day: date
    channel: str
    person: str
    locale: str | None
    commune: str | None
    kind: str
    procedure: str | None
    score: float | None
    latency_ms: float | None
    text: str | None
    assisted_by: str | None


DailyKey = tuple[date, str, str, str, str]
"""A ``usage_daily`` primary key: day, channel, commune ("" when unknown), kind, procedure ("" when none)."""


def new_event_key() -> str:
    """A unique key, 32 hex characters: the time in milliseconds, then 80 random bits.

    Time first (as in a UUIDv7) so new keys land at the end of the unique index instead of on
    a random page of it: with random keys (uuid4) every batch rewrote hundreds of index pages
    and a row cost SQLite two to three times as much. 80 random bits per millisecond keep keys
    from different workers apart."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def local_day(ts: datetime) -> date:
    """The Vietnamese calendar day of an instant: the day reports are read by."""
    global _today  # a one-entry cache: every turn of a day asks the same question
    start, end, day = _today
    if start <= ts < end:
        return day
    local = ts.astimezone(VIETNAM)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    # Bounds in UTC: comparing with the clock's UTC instants then needs no zone lookups.
    _today = (midnight, midnight + timedelta(days=1), local.date())
    return local.date()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_today: tuple[datetime, datetime, date] = (_EPOCH, _EPOCH, _EPOCH.date())


def to_rows(events: Sequence[UsageEvent], channel: str, person: str, now: datetime) -> list[Row]:
    """The rows for one turn's events; only question-like events keep their (redacted) words."""
    day = local_day(now)
    channel = channel[:16]
    # One random key per turn, its events numbered in the last two hex digits: this runs inside
    # every turn, and one draw from the OS instead of one per event is a measurable saving.
    turn_key = new_event_key()[:30] if len(events) <= len(_INDEX) else None
    rows: list[Row] = []
    for index, event in enumerate(events):
        text = None
        if event.text and event.kind in TEXT_KINDS:
            text = redact(_storable(event.text))[:TEXT_LIMIT]  # cut after: never half a number
        commune = assisted_by = None
        if event.detail:
            commune, assisted_by = (
                _short(event.detail.get("commune")),
                _short(event.detail.get("assisted_by")),
            )
        rows.append(
            {
                "event_key": turn_key + _INDEX[index] if turn_key else new_event_key(),
                "ts": now,
                "day": day,
                "channel": channel,
                "person": person,
                "locale": event.locale[:8] if event.locale else None,
                "commune": commune,
                "kind": event.kind[:32],
                "procedure": event.procedure[:64] if event.procedure else None,
                "score": event.score,
                "latency_ms": event.latency_ms,
                "text": text,
                "assisted_by": assisted_by,
            }
        )
    return rows


_INDEX = [f"{n:02x}" for n in range(256)]


def daily_key(row: Row) -> DailyKey:
    """The ``usage_daily`` row an event counts in."""
    return (row["day"], row["channel"], row["commune"] or "", row["kind"], row["procedure"] or "")


def to_json(row: Row) -> dict[str, Any]:
    """``row`` with its instant and day as ISO text, for the spool file."""
    return {**row, "ts": row["ts"].isoformat(), "day": row["day"].isoformat()}


def from_json(data: dict[str, Any]) -> Row:
    """The row :func:`to_json` wrote; raises ``KeyError``/``ValueError`` on a damaged line."""
    ts = datetime.fromisoformat(data["ts"])
    return {
        "event_key": str(data["event_key"]),
        "ts": ts if ts.tzinfo else ts.replace(tzinfo=UTC),
        "day": date.fromisoformat(data["day"]),
        "channel": str(data["channel"]),
        "person": str(data["person"]),
        "locale": data.get("locale"),
        "commune": data.get("commune"),
        "kind": str(data["kind"]),
        "procedure": data.get("procedure"),
        "score": data.get("score"),
        "latency_ms": data.get("latency_ms"),
        "text": data.get("text"),
        "assisted_by": data.get("assisted_by"),
    }


def without_person(rows: Iterable[Row], person: str) -> list[Row]:
    return [row for row in rows if row["person"] != person]


def _short(value: str | None) -> str | None:
    return value[:64] if value else None


def _storable(text: str) -> str:
    """Text any database accepts: PostgreSQL refuses NUL characters and lone surrogates, and one
    such row would block its whole batch forever."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
