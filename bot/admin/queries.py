"""The numbers of the overview and commune pages, from the daily counts.

Every count comes from ``usage_daily`` (a few rows per day, whatever the traffic) and the
people per day from :mod:`bot.admin.people`; no page scans ``usage_events`` beyond two open
days. A page runs four small grouped queries and shapes the rows in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from bot.admin.people import people
from bot.storage.tables import usage_daily as daily

COUNTED_KINDS = (
    "question", "answered", "not_understood", "did_you_mean", "human_help", "feedback_helpful",
    "feedback_not_helpful", "flow_started", "flow_completed", "flow_abandoned", "scam_alert",
)  # fmt: skip
"""Kinds a page counts; a question counts as answered when it matched a procedure."""
NOT_A_PROCEDURE = ("", "human_help")
NOT_UNDERSTOOD_KINDS = ("not_understood", "did_you_mean")
"""Questions the assistant did not answer outright: not understood at all, or asked back ("did you
mean…"). The inbox holds both, so "not understood" means both wherever a page counts it."""


@dataclass(frozen=True)
class Filters:
    """What a page shows: a period (both ends included), and optionally one commune or channel."""

    start: date
    end: date
    commune: str | None = None
    channel: str | None = None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class ProcedureRow:
    procedure: str
    questions: int = 0
    answers: int = 0
    helpful: int = 0
    not_helpful: int = 0
    flows_started: int = 0
    flows_completed: int = 0
    flows_abandoned: int = 0


@dataclass
class ChannelRow:
    channel: str
    conversations: int = 0
    questions: int = 0
    answered: int = 0


@dataclass
class Totals:
    conversations: int = 0
    questions: int = 0
    answered: int = 0
    not_understood: int = 0  # and asked back: see NOT_UNDERSTOOD_KINDS
    did_you_mean: int = 0
    human_help: int = 0
    helpful: int = 0
    not_helpful: int = 0
    flows_started: int = 0
    flows_completed: int = 0
    flows_abandoned: int = 0
    scam_alerts: int = 0  # scam descriptions warned (bot.core.scams)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def completion_rate(self) -> float | None:
        return self.flows_completed / self.flows_started if self.flows_started else None

    @property
    def helpful_rate(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


@dataclass
class Dashboard:
    filters: Filters
    totals: Totals = field(default_factory=Totals)
    questions_per_day: dict[date, int] = field(default_factory=dict)
    answered_per_day: dict[date, int] = field(default_factory=dict)
    conversations_per_day: dict[date, int] = field(default_factory=dict)
    procedures: list[ProcedureRow] = field(default_factory=list)
    channels: list[ChannelRow] = field(default_factory=list)


def _where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = [daily.c.day.between(filters.start, filters.end), daily.c.kind.in_(COUNTED_KINDS)]
    if filters.commune is not None:
        clauses.append(daily.c.commune == filters.commune)
    if filters.channel is not None:
        clauses.append(daily.c.channel == filters.channel)
    return clauses


_matched = sa.and_(daily.c.kind == "question", daily.c.procedure.not_in(NOT_A_PROCEDURE)).label("matched")
_total = sa.func.sum(daily.c.count).label("n")


def dashboard(connection: sa.Connection, filters: Filters, today: date) -> Dashboard:
    """Everything the overview (or a commune's page) shows for ``filters``."""
    board = Dashboard(filters)
    board.questions_per_day = dict.fromkeys(filters.days, 0)
    board.answered_per_day = dict.fromkeys(filters.days, 0)
    board.conversations_per_day = dict.fromkeys(filters.days, 0)
    totals = board.totals
    by_day = sa.select(daily.c.day, daily.c.kind, _matched, _total).where(*_where(filters))
    for day, kind, matched, n in connection.execute(by_day.group_by(daily.c.day, daily.c.kind, _matched)):
        n = int(n)
        if kind == "question":
            board.questions_per_day[day] = board.questions_per_day.get(day, 0) + n
            totals.questions += n
            if matched:
                board.answered_per_day[day] = board.answered_per_day.get(day, 0) + n
                totals.answered += n
        else:
            _add_total(totals, kind, n)

    # One scan for everything not broken down by day: a year of daily rows is read twice, not thrice.
    per_procedure: dict[str, ProcedureRow] = {}
    per_channel: dict[str, ChannelRow] = {}
    by_rest = (
        sa.select(daily.c.kind, daily.c.procedure, daily.c.channel, _total)
        .where(*_where(filters))
        .group_by(daily.c.kind, daily.c.procedure, daily.c.channel)
    )
    for kind, procedure, channel, n in connection.execute(by_rest):
        n = int(n)
        if procedure not in NOT_A_PROCEDURE:
            _add_procedure(per_procedure.setdefault(procedure, ProcedureRow(procedure)), kind, n)
        if kind == "question":
            line = per_channel.setdefault(channel, ChannelRow(channel))
            line.questions += n
            line.answered += n if procedure not in NOT_A_PROCEDURE else 0
    board.procedures = sorted(per_procedure.values(), key=lambda r: (-r.answers - r.questions, r.procedure))
    for p in people(connection, filters.start, filters.end, today, filters.commune, filters.channel):
        board.conversations_per_day[p.day] = board.conversations_per_day.get(p.day, 0) + p.people
        per_channel.setdefault(p.channel, ChannelRow(p.channel)).conversations += p.people
        totals.conversations += p.people
    board.channels = sorted(per_channel.values(), key=lambda r: (-r.conversations, r.channel))
    totals.not_understood = not_understood(connection, filters)
    return board


def totals(connection: sa.Connection, filters: Filters, today: date) -> Totals:
    """Only the totals of a period (one small grouped scan), e.g. the previous quarter of a report."""
    out = Totals()
    query = sa.select(daily.c.kind, _matched, _total).where(*_where(filters)).group_by(daily.c.kind, _matched)
    for kind, matched, n in connection.execute(query):
        if kind == "question":
            out.questions += int(n)
            out.answered += int(n) if matched else 0
        else:
            _add_total(out, kind, int(n))
    out.not_understood = not_understood(connection, filters)
    out.conversations = sum(p.people for p in people(connection, filters.start, filters.end, today,
                                                      filters.commune, filters.channel))  # fmt: skip
    return out


def not_understood(connection: sa.Connection, filters: Filters) -> int:
    """Questions of the period not answered outright (:data:`NOT_UNDERSTOOD_KINDS`): the one count
    of them that the overview, the commune pages, the quarterly report and the inbox all show."""
    query = sa.select(sa.func.coalesce(_total, 0)).where(*_where(filters), daily.c.kind.in_(NOT_UNDERSTOOD_KINDS))
    return int(connection.execute(query).scalar_one())


def communes(connection: sa.Connection, filters: Filters) -> list[tuple[str, int]]:
    """Communes with questions in the period, busiest first ("" is the unknown commune)."""
    query = (
        sa.select(daily.c.commune, _total)
        .where(daily.c.day.between(filters.start, filters.end), daily.c.kind == "question")
        .group_by(daily.c.commune)
        .order_by(_total.desc(), daily.c.commune)
    )
    return [(commune, int(n)) for commune, n in connection.execute(query)]


_TOTAL_FIELDS = {
    "did_you_mean": "did_you_mean", "human_help": "human_help",
    "feedback_helpful": "helpful", "feedback_not_helpful": "not_helpful", "flow_started": "flows_started",
    "flow_completed": "flows_completed", "flow_abandoned": "flows_abandoned", "scam_alert": "scam_alerts",
}  # fmt: skip
_PROCEDURE_FIELDS = {
    "question": "questions", "answered": "answers", "feedback_helpful": "helpful",
    "feedback_not_helpful": "not_helpful", "flow_started": "flows_started",
    "flow_completed": "flows_completed", "flow_abandoned": "flows_abandoned",
}  # fmt: skip


def _add_total(totals: Totals, kind: str, n: int) -> None:
    name = _TOTAL_FIELDS.get(kind)
    if name is not None:
        setattr(totals, name, getattr(totals, name) + n)


def _add_procedure(row: ProcedureRow, kind: str, n: int) -> None:
    name = _PROCEDURE_FIELDS.get(kind)
    if name is not None:
        setattr(row, name, getattr(row, name) + n)


def per_month(per_day: dict[date, int]) -> dict[str, int]:
    """Daily numbers summed by calendar month ("07/2026"), for reports and long periods."""
    months: dict[str, int] = defaultdict(int)
    for day, n in sorted(per_day.items()):
        months[f"{day.month:02d}/{day.year}"] += n
    return dict(months)
