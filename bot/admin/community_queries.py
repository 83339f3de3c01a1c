"""The community digital technology teams' figures: help requests, assisted sessions, and the
use a volunteer helped with, for the dashboard pages and the quarterly report.

Communes here are the ids of knowledge/communes.yaml ("nghean.xa-anh-son"), as the help desk
stores them; a dashboard user's commune may be typed as an id or as a name ("Xã Anh Sơn") and is
read through :func:`bot.core.commune_names.commune_key`. Periods are Vietnamese calendar days,
both ends included.
Help desk volumes are small (a few requests and sessions a day per commune), so the rows of a
period are read and counted in Python.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from bot.admin.exports import Cell, Sheet
from bot.admin.texts import label, tr
from bot.core.desk import ASSIST_REASONS, REQUEST_OUTCOMES
from bot.core.text import fold
from bot.data.communes import CommuneBook
from bot.storage.tables import assist_missing_papers, assist_sessions, help_requests, volunteers
from bot.storage.tables import usage_events as events
from bot.usage.rows import VIETNAM

STATUSES = ("open", "claimed", "closed", "cancelled")
ACTIVE = ("open", "claimed")
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "active": ACTIVE, "open": ("open",), "claimed": ("claimed",), "closed": ("closed",),
    "cancelled": ("cancelled",), "all": STATUSES,
}  # fmt: skip
"""The request queue's status filter: open and claimed ones by default."""
SESSION_OUTCOMES = ("online", "office", "unfinished")
"""Assisted-session outcomes shown as columns; others ("unknown", none yet) only in the count."""
NOWHERE = "(no commune)"
"""The commune of a volunteer account without one (never made so): no commune id looks like it,
so it matches no request, no volunteer and no usage."""


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants where the local day ``start`` begins and the day after ``end`` begins."""
    low = datetime.combine(start, time(), VIETNAM).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), VIETNAM).astimezone(UTC)
    return low, high


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 60


# --- the request queue ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestRow:
    """A help request as the dashboard shows it. ``phone`` and ``need`` are None once purged."""

    id: int
    created_at: datetime
    channel: str
    commune: str | None
    phone: str | None
    need: str | None
    good_time: str | None
    procedure: str | None
    status: str
    claimed_by: str | None  # the volunteer's name
    team: str | None  # the claiming volunteer's team
    claimed_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    escalated: bool
    purged: bool

    @property
    def minutes_to_claim(self) -> float | None:
        return _minutes(self.created_at, self.claimed_at)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


_REQUEST_COLUMNS = (
    help_requests.c.id, help_requests.c.created_at, help_requests.c.channel, help_requests.c.commune,
    help_requests.c.phone, help_requests.c.need, help_requests.c.good_time, help_requests.c.procedure,
    help_requests.c.status, volunteers.c.name, volunteers.c.team, help_requests.c.claimed_at,
    help_requests.c.closed_at, help_requests.c.outcome, help_requests.c.escalated_at, help_requests.c.purged_at,
)  # fmt: skip


def _request_query() -> sa.Select[Any]:
    joined = help_requests.outerjoin(volunteers, volunteers.c.id == help_requests.c.claimed_by)
    return sa.select(*_REQUEST_COLUMNS).select_from(joined)


def _request(row: Any) -> RequestRow:
    return RequestRow(row.id, row.created_at, row.channel, row.commune, row.phone, row.need, row.good_time,
                      row.procedure, row.status, row.name, row.team, row.claimed_at, row.closed_at, row.outcome,
                      row.escalated_at is not None, row.purged_at is not None)  # fmt: skip


def _in_commune(column: sa.ColumnElement[Any], commune: str) -> sa.ColumnElement[bool]:
    """``commune`` "" is the requests (or sessions) of no commune: the province's."""
    return column.is_(None) if commune == "" else column == commune


def list_requests(connection: sa.Connection, statuses: Iterable[str], commune: str | None = None,
                  limit: int = 50, offset: int = 0) -> list[RequestRow]:  # fmt: skip
    """Requests of ``statuses`` (in ``commune``; None: every commune, "": none given). Waiting ones
    (open, claimed) come escalated first, then oldest first: the order to call people back in;
    ended ones come newest first."""
    wanted = tuple(statuses)
    query = _request_query().where(help_requests.c.status.in_(wanted))
    if commune is not None:
        query = query.where(_in_commune(help_requests.c.commune, commune))
    if set(wanted) <= set(ACTIVE):
        escalated_last = sa.case((help_requests.c.escalated_at.is_(None), 1), else_=0)
        query = query.order_by(escalated_last, help_requests.c.created_at, help_requests.c.id)
    else:
        query = query.order_by(help_requests.c.created_at.desc(), help_requests.c.id.desc())
    return [_request(row) for row in connection.execute(query.limit(limit).offset(offset))]


def _made_in(start: date, end: date, commune: str | None, channel: str | None = None) -> list[sa.ColumnElement[bool]]:
    """Requests made from ``start`` to ``end`` (local days) in ``commune`` (None every one, ""
    none given): the one definition the teams' figures and the overview's count share."""
    low, high = period_bounds(start, end)
    clauses = [help_requests.c.created_at >= low, help_requests.c.created_at < high]
    if commune is not None:
        clauses.append(_in_commune(help_requests.c.commune, commune))
    if channel is not None:
        clauses.append(help_requests.c.channel == channel)
    return clauses


@dataclass(frozen=True)
class RequestCounts:
    """Help requests as every page counts them."""

    made: int
    """Made in the period (the teams page's "Help requests")."""
    waiting: int
    """Open or taken now, whenever made (the rows the queue lists by default)."""


def request_counts(connection: sa.Connection, start: date, end: date, commune: str | None = None,
                   channel: str | None = None) -> RequestCounts:  # fmt: skip
    """The help requests of a period, and those waiting now, in ``commune`` (a help desk id; None
    every commune, "" none given): the overview, a commune's page, the queue and the teams page
    show these two numbers."""
    made = sa.select(sa.func.count()).select_from(help_requests).where(*_made_in(start, end, commune, channel))
    waiting = sa.select(sa.func.count()).select_from(help_requests).where(help_requests.c.status.in_(ACTIVE))
    if commune is not None:
        waiting = waiting.where(_in_commune(help_requests.c.commune, commune))
    if channel is not None:
        waiting = waiting.where(help_requests.c.channel == channel)
    return RequestCounts(int(connection.execute(made).scalar_one()), int(connection.execute(waiting).scalar_one()))


def get_request(connection: sa.Connection, request_id: int) -> RequestRow | None:
    row = connection.execute(_request_query().where(help_requests.c.id == request_id)).first()
    return _request(row) if row is not None else None


# --- the teams report ----------------------------------------------------------------------------
@dataclass
class TeamRow:
    """One team of one commune over a period; ``team`` None holds the requests nobody took."""

    commune: str | None
    team: str | None
    sessions: int = 0
    session_outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    session_procedures: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    escalated: int = 0
    claim_minutes: list[float] = field(default_factory=list)
    request_outcomes: Counter[str] = field(default_factory=Counter)
    request_procedures: Counter[str] = field(default_factory=Counter)

    @property
    def median_minutes_to_claim(self) -> float | None:
        return statistics.median(self.claim_minutes) if self.claim_minutes else None

    def add(self, other: TeamRow) -> None:
        """Count ``other``'s figures in too (for a commune's or the province's total)."""
        self.sessions += other.sessions
        self.requests += other.requests
        self.escalated += other.escalated
        self.claim_minutes.extend(other.claim_minutes)
        for mine, theirs in ((self.session_outcomes, other.session_outcomes), (self.reasons, other.reasons),
                             (self.session_procedures, other.session_procedures), (self.statuses, other.statuses),
                             (self.request_outcomes, other.request_outcomes),
                             (self.request_procedures, other.request_procedures)):  # fmt: skip
            mine.update(theirs)


@dataclass(frozen=True)
class ProcedureHelped:
    procedure: str
    sessions: int
    requests: int


@dataclass(frozen=True)
class MissingPaperCount:
    """A paper of a guide's checklist and in how many assisted sessions it was missing."""

    procedure: str
    paper: str  # the guide's Vietnamese line
    sessions: int


MOST_MISSING = 10
"""How many papers "Giấy tờ hay thiếu nhất" lists."""


def missing_papers(connection: sa.Connection, start: date, end: date, commune: str | None = None,
                   limit: int = MOST_MISSING) -> list[MissingPaperCount]:  # fmt: skip
    """The papers most often missing in assisted sessions begun from ``start`` to ``end`` (local
    days) that could not finish, counted in one query: sessions per paper (a paper is its guide's
    line, known by its key; the newest wording is shown), most first. ``commune`` as in
    :func:`teams_report`. Every page and export that shows the figure uses this."""
    low, high = period_bounds(start, end)
    m, s = assist_missing_papers.c, assist_sessions.c
    sessions = sa.func.count(sa.distinct(m.session_id)).label("sessions")
    query = (
        sa.select(m.procedure, m.paper_key, sa.func.max(m.paper).label("paper"), sessions)
        .select_from(assist_missing_papers.join(assist_sessions, s.id == m.session_id))
        .where(s.started_at >= low, s.started_at < high)
        .group_by(m.procedure, m.paper_key)
        .order_by(sessions.desc(), m.procedure, m.paper_key)
        .limit(limit)
    )
    if commune is not None:
        query = query.where(_in_commune(s.commune, commune))
    return [MissingPaperCount(r.procedure, r.paper, int(r.sessions)) for r in connection.execute(query)]


@dataclass
class TeamsReport:
    """Every team's figures for a period, in one commune or all of them."""

    start: date
    end: date
    commune: str | None
    rows: list[TeamRow] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # commune id -> full name
    missing: list[MissingPaperCount] = field(default_factory=list)  # papers most often missing

    def place(self, commune: str | None) -> str:
        """A commune's name as pages and reports print it; the province level for None."""
        return self.names.get(commune, commune) if commune else tr("Province level")

    @staticmethod
    def team(row: TeamRow) -> str:
        return tr("Not taken yet") if row.team is None else row.team or "—"

    @property
    def total(self) -> TeamRow:
        out = TeamRow(self.commune, None)
        for row in self.rows:
            out.add(row)
        return out

    def by_commune(self) -> list[tuple[str | None, list[TeamRow], TeamRow]]:
        """(commune, its team rows, their total), communes in the order of the rows."""
        groups: dict[str | None, list[TeamRow]] = {}
        for row in self.rows:
            groups.setdefault(row.commune, []).append(row)
        out = []
        for commune, rows in groups.items():
            total = TeamRow(commune, None)
            for row in rows:
                total.add(row)
            out.append((commune, rows, total))
        return out

    def procedures(self) -> list[ProcedureHelped]:
        """Procedures helped with, most often first."""
        total = self.total
        names = set(total.session_procedures) | set(total.request_procedures)
        found = [ProcedureHelped(p, total.session_procedures[p], total.request_procedures[p]) for p in names]
        return sorted(found, key=lambda p: (-p.sessions - p.requests, p.procedure))


def teams_report(connection: sa.Connection, start: date, end: date, commune: str | None = None,
                 book: CommuneBook | None = None) -> TeamsReport:  # fmt: skip
    """Assisted sessions begun and help requests made from ``start`` to ``end`` (local days), by
    commune and team. A request counts for the team of the volunteer who took it, with its
    current status and outcome; ``commune`` None is every commune, "" the province level.
    Rows come by commune name (from ``book``), the province level last, then by team."""
    low, high = period_bounds(start, end)
    rows: dict[tuple[str | None, str | None], TeamRow] = {}

    def row_for(place: str | None, team: str | None) -> TeamRow:
        return rows.setdefault((place, team), TeamRow(place, team))

    sessions = sa.select(assist_sessions).where(
        assist_sessions.c.started_at >= low, assist_sessions.c.started_at < high
    )
    requests = (
        sa.select(help_requests, volunteers.c.team)
        .select_from(help_requests.outerjoin(volunteers, volunteers.c.id == help_requests.c.claimed_by))
        .where(*_made_in(start, end, commune))
    )
    if commune is not None:
        sessions = sessions.where(_in_commune(assist_sessions.c.commune, commune))
    for s in connection.execute(sessions):
        line = row_for(s.commune, s.team or "")
        line.sessions += 1
        if s.outcome:
            line.session_outcomes[s.outcome] += 1
        if s.reason:
            line.reasons[s.reason] += 1
        line.session_procedures.update(p for p in dict.fromkeys((s.procedures or "").split(",")) if p)
    for r in connection.execute(requests):
        line = row_for(r.commune, r.team if r.claimed_by is not None else None)
        line.requests += 1
        line.statuses[r.status] += 1
        line.escalated += r.escalated_at is not None
        minutes = _minutes(r.created_at, r.claimed_at)
        if minutes is not None:
            line.claim_minutes.append(minutes)
        if r.outcome:
            line.request_outcomes[r.outcome] += 1
        if r.procedure:
            line.request_procedures[r.procedure] += 1
    names = {}
    for place in {r.commune for r in rows.values() if r.commune}:
        unit = book.get(place) if book is not None else None
        names[place] = unit.full_name if unit is not None else place
    ordered = sorted(rows.values(), key=lambda r: (r.commune is None, fold(names.get(r.commune or "", "")),
                                                   r.commune or "", r.team is None, fold(r.team or "")))  # fmt: skip
    return TeamsReport(start, end, commune, ordered, names, missing_papers(connection, start, end, commune))


REQUEST_OUTCOME_COLUMNS = (*REQUEST_OUTCOMES, "expired")
"""Outcomes a request can end with: the volunteer's, or "expired" when the retention time came first."""


def _team_line(report: TeamsReport, row: TeamRow, team: str | None) -> list[Cell]:
    median = row.median_minutes_to_claim
    return [
        row.commune, report.place(row.commune), team, row.sessions, *(row.session_outcomes[o] for o in SESSION_OUTCOMES),
        *(row.reasons[r] for r in ASSIST_REASONS), row.requests, *(row.statuses[s] for s in STATUSES),
        row.escalated, None if median is None else round(median, 1),
        *(row.request_outcomes[o] for o in REQUEST_OUTCOME_COLUMNS),
    ]  # fmt: skip


def teams_sheets(report: TeamsReport, name: Callable[[str], str]) -> list[Sheet]:
    """The teams' figures as two worksheets: by commune and team (with each commune's total when it
    has several rows, and the total of all), and the procedures helped with. A commune is given
    twice: its id (empty for the province level and the total), then its name."""
    headers = [
        tr("Commune id"), tr("Commune"), tr("Team"), tr("Assisted sessions"), *(label(o) for o in SESSION_OUTCOMES),
        *(label(r) for r in ASSIST_REASONS), tr("Help requests"), *(label(s) for s in STATUSES), tr("Escalated"),
        tr("Median minutes to take"), *(label(o) for o in REQUEST_OUTCOME_COLUMNS),
    ]  # fmt: skip
    lines: list[list[Cell]] = []
    groups = report.by_commune()
    for _commune, rows, total in groups:
        lines += [_team_line(report, row, report.team(row)) for row in rows]
        if len(rows) > 1:
            lines.append(_team_line(report, total, tr("All teams")))
    if len(groups) > 1:
        lines.append([None, tr("Total"), *_team_line(report, report.total, None)[2:]])
    procedures: list[list[Cell]] = [[name(p.procedure), p.sessions, p.requests] for p in report.procedures()]
    missing: list[list[Cell]] = [[name(p.procedure), p.paper, p.sessions] for p in report.missing]
    return [
        Sheet(tr("Community teams"), headers, lines),
        Sheet(tr("Procedures helped with"), [tr("Procedure"), tr("Assisted sessions"), tr("Help requests")],
              procedures),
        Sheet(tr("Papers most often missing"), [tr("Procedure"), tr("Paper"), tr("Assisted sessions")], missing),
    ]  # fmt: skip


# --- the overview: use a volunteer helped with ----------------------------------------------------
@dataclass(frozen=True)
class AssistedUse:
    """Events of a period logged while a volunteer was assisting, apart from citizens' own use."""

    events: int
    questions: int


def assisted_use(connection: sa.Connection, start: date, end: date, commune: str | None = None,
                 channel: str | None = None) -> AssistedUse:  # fmt: skip
    """Usage events with ``assisted_by`` in the period (``commune`` as the usage log writes it,
    "" for the unknown commune)."""
    query = sa.select(sa.func.count(), sa.func.count(sa.case((events.c.kind == "question", 1)))).where(
        events.c.day.between(start, end), events.c.assisted_by.is_not(None)
    )
    if commune is not None:
        query = query.where(sa.or_(events.c.commune.is_(None), events.c.commune == "") if commune == ""
                            else events.c.commune == commune)  # fmt: skip
    if channel is not None:
        query = query.where(events.c.channel == channel)
    total, questions = connection.execute(query).one()
    return AssistedUse(int(total), int(questions))
