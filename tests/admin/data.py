"""Scripted usage for the dashboard tests: a few people on two days, and the numbers they make.

Rows are shaped as ``bot.storage.tables`` defines them and written straight into
``usage_events`` with their ``usage_daily`` counts, the way the usage writer leaves them, so
these tests do not depend on the writer. 20/11 is a closed day (counted once into
``admin_daily_people``); 22/11 is still open (counted live).
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.storage.tables import usage_daily, usage_events

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # noon in Vietnam
D1, D2 = date(2026, 11, 20), date(2026, 11, 22)
SO_DO = ("làm sổ đỏ ở đâu", "lam so do o dau vay a", "cho em hỏi làm sổ đỏ ở đâu")
"""Three ways of asking one thing the assistant does not know: one inbox group."""
TAN_PHU = "nghean.xa-tan-phu"
"""Xã Tân Phú as the usage log stores it now: by its id in knowledge/communes.yaml."""
AN_HOA = "Phường An Hòa"
"""A commune stored by its name, as before there were ids: it names no unit, so it shows as is."""

# (day, channel, commune, person, kind, procedure, text, assisted_by)
EVENTS: tuple[tuple[date, str, str | None, str, str, str | None, str | None, str | None], ...] = (
    (D1, "web", TAN_PHU, "p1", "question", "identity_card", "lam cccd o dau", None),
    (D1, "web", TAN_PHU, "p1", "answered", "identity_card", None, None),
    (D1, "web", TAN_PHU, "p1", "feedback_helpful", "identity_card", None, None),
    (D1, "zalo", TAN_PHU, "p2", "question", None, SO_DO[0], None),
    (D1, "zalo", TAN_PHU, "p2", "not_understood", None, SO_DO[0], None),
    (D1, "telegram", AN_HOA, "p3", "question", "birth_registration", "khai sinh cho con", None),
    (D1, "telegram", AN_HOA, "p3", "flow_started", "birth_registration", None, None),
    (D1, "telegram", AN_HOA, "p3", "flow_completed", "birth_registration", None, None),
    (D2, "web", TAN_PHU, "p1", "question", "vneid", "kich hoat vneid", None),
    (D2, "web", TAN_PHU, "p1", "answered", "vneid", None, None),
    (D2, "web", TAN_PHU, "p1", "feedback_not_helpful", "vneid", None, None),
    (D2, "zalo", AN_HOA, "p4", "question", None, SO_DO[1], None),
    (D2, "zalo", AN_HOA, "p4", "not_understood", None, SO_DO[1], None),
    (D2, "zalo", AN_HOA, "p4", "human_help", "human_help", None, "vol-1"),
    (D2, "zalo", None, "p5", "question", None, SO_DO[2], None),
    (D2, "zalo", None, "p5", "not_understood", None, SO_DO[2], None),
    (D2, "zalo", None, "p5", "flow_started", "identity_card", None, None),
    (D2, "zalo", None, "p5", "flow_abandoned", "identity_card", None, None),
)

EXPECTED = {
    "conversations": 6, "questions": 6, "answered": 3, "not_understood": 3, "helpful": 1, "not_helpful": 1,
    "flows_started": 2, "flows_completed": 1, "flows_abandoned": 1, "human_help": 1,
}  # fmt: skip
"""The province's totals over the last 30 days."""
EXPECTED_TAN_PHU = {"conversations": 3, "questions": 3, "answered": 2, "not_understood": 1}

_keys = itertools.count(1)


class Clock:
    """A settable clock: ``now()`` for dates, ``epoch()`` for sessions and throttling."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def epoch(self) -> float:
        return self.current.timestamp()

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def row(day: date, channel: str, commune: str | None, person: str, kind: str, procedure: str | None = None,
        text: str | None = None, assisted_by: str | None = None, hour: int = 3) -> dict[str, Any]:  # fmt: skip
    """One ``usage_events`` row; ``hour`` is UTC (03:00 is 10:00 in Vietnam, the same day)."""
    return {
        "event_key": f"k{next(_keys):08d}", "ts": datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        "day": day, "channel": channel, "person": person, "locale": "vi", "commune": commune, "kind": kind,
        "procedure": procedure, "score": 0.9 if procedure else 0.1, "latency_ms": 12.5, "text": text,
        "assisted_by": assisted_by,
    }  # fmt: skip


def insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    """Write events and add them to the daily counts, as the usage writer does."""
    counts = Counter((r["day"], r["channel"], r["commune"] or "", r["kind"], r["procedure"] or "") for r in rows)
    with engine.begin() as connection:
        connection.execute(usage_events.insert(), rows)
        for (day, channel, commune, kind, procedure), n in counts.items():
            key = (usage_daily.c.day == day, usage_daily.c.channel == channel, usage_daily.c.commune == commune,
                   usage_daily.c.kind == kind, usage_daily.c.procedure == procedure)  # fmt: skip
            if connection.execute(usage_daily.update().where(*key).values(count=usage_daily.c.count + n)).rowcount:
                continue
            connection.execute(usage_daily.insert().values(day=day, channel=channel, commune=commune, kind=kind,
                                                           procedure=procedure, count=n))  # fmt: skip


def seed(engine: sa.Engine) -> None:
    insert(engine, [row(*event[:7], assisted_by=event[7]) for event in EVENTS])
