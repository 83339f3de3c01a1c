"""The quarterly report for a commune or the whole province: its numbers and its spreadsheet.

One action in the dashboard (or one function call) gives the department what it asks for each
quarter — usage, procedures, completion of the step-by-step guides, requests for a person —
as XLSX here and as PDF in :mod:`bot.admin.report_pdf`, both from the same :class:`QuarterReport`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bot.admin.community_queries import TeamsReport, teams_report, teams_sheets
from bot.admin.exports import Sheet, to_xlsx
from bot.admin.queries import Dashboard, Filters, Totals, dashboard, per_month, totals
from bot.admin.texts import channel_label, percent, tr
from bot.core.commune_names import commune_key, commune_name
from bot.data.communes import CommuneBook
from bot.storage.tables import usage_daily as daily
from bot.storage.tables import usage_events as events


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter (1-4)."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter {quarter}: choose 1, 2, 3 or 4")
    start = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, following - timedelta(days=1)


def current_quarter(today: date) -> tuple[int, int]:
    """The last complete quarter: the one a report is due for."""
    quarter = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)


def last_quarter_with_data(connection: sa.Connection, today: date, commune: str | None = None,
                           look_back: int = 8) -> tuple[int, int, bool]:  # fmt: skip
    """The last complete quarter that has usage (in ``commune``, when given), looking back at most
    ``look_back`` quarters; the last complete one when none has. The flag says whether data was found."""
    year, quarter = current_quarter(today)
    for _step in range(look_back):
        start, end = quarter_bounds(year, quarter)
        query = sa.select(daily.c.day).where(daily.c.day.between(start, end)).limit(1)
        if commune is not None:
            query = query.where(daily.c.commune == commune)
        if connection.execute(query).first() is not None:
            return year, quarter, True
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    fallback_year, fallback_quarter = current_quarter(today)
    return fallback_year, fallback_quarter, False


@dataclass
class QuarterReport:
    year: int
    quarter: int
    place: str  # the commune's name (its id, or the name stored, when unknown), or the province's name
    commune: str | None  # the commune as stored (an id of knowledge/communes.yaml); None for the province
    board: Dashboard
    previous: Totals
    assisted: int  # conversations (person-days) in which a volunteer helped
    generated_at: datetime
    teams: TeamsReport | None = field(default=None)  # the community teams' figures, by commune and team

    @property
    def title(self) -> str:
        return tr("Quarterly report Q{quarter}/{year}").format(quarter=self.quarter, year=self.year)

    @property
    def period(self) -> str:
        start, end = self.board.filters.start, self.board.filters.end
        return f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"


def build_report(connection: sa.Connection, year: int, quarter: int, commune: str | None,
                 today: date, province: str, now: datetime, communes: CommuneBook | None = None) -> QuarterReport:  # fmt: skip
    """The numbers of one quarter, and the previous quarter's totals to compare with; the
    community teams' figures of the commune or of every commune. Communes are named, and a
    dashboard user's commune read, through ``communes`` (knowledge/communes.yaml by default)."""
    if communes is None:
        from bot.app import communes as shipped

        communes = shipped()
    start, end = quarter_bounds(year, quarter)
    board = dashboard(connection, Filters(start, end, commune), today)
    before_year, before_quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    p_start, p_end = quarter_bounds(before_year, before_quarter)
    previous = totals(connection, Filters(p_start, p_end, commune), today)
    helped = (
        sa.select(events.c.day, events.c.person)
        .where(events.c.day.between(start, end), events.c.assisted_by.is_not(None))
        .distinct()
    )
    if commune is not None:
        helped = helped.where(events.c.commune == commune)
    assisted = int(connection.execute(sa.select(sa.func.count()).select_from(helped.subquery())).scalar_one())
    teams = teams_report(connection, start, end, commune_key(communes, commune), communes)
    place = commune_name(communes, commune) or province
    return QuarterReport(year, quarter, place, commune, board, previous, assisted, now, teams)


def summary_rows(report: QuarterReport, number: Callable[[int], str] = str) -> list[tuple[str, str, str]]:
    """(measure, this quarter, previous quarter) as displayed text, for both the PDF and the page."""
    t, p = report.board.totals, report.previous
    return [
        (tr("Conversations"), number(t.conversations), number(p.conversations)),
        (tr("Questions"), number(t.questions), number(p.questions)),
        (tr("Answer rate"), percent(t.answer_rate), percent(p.answer_rate)),
        (tr("Not understood"), number(t.not_understood), number(p.not_understood)),
        (tr("Guides started"), number(t.flows_started), number(p.flows_started)),
        (tr("Guides completed"), number(t.flows_completed), number(p.flows_completed)),
        (tr("Completion rate"), percent(t.completion_rate), percent(p.completion_rate)),
        (tr("Helpful"), number(t.helpful), number(p.helpful)),
        (tr("Not helpful"), number(t.not_helpful), number(p.not_helpful)),
        (tr("Asked for a person"), number(t.human_help), number(p.human_help)),
        (tr("Conversations helped by a volunteer"), number(report.assisted), "—"),
    ]


def report_sheets(report: QuarterReport, name: Callable[[str], str]) -> list[Sheet]:
    """The report as worksheets: summary, months, procedures, guides, channels, and the community
    teams (by commune and team, and the procedures they helped with)."""
    board = report.board
    head: list[list[str | int | float | datetime | None]] = [
        [tr("Place"), report.place], [tr("Period"), report.period], [tr("Generated"), report.generated_at],
        [], [tr("Measure"), tr("This quarter"), tr("Previous quarter")],
    ]  # fmt: skip
    if report.commune:
        head.insert(1, [tr("Commune id"), report.commune])  # the place as the usage log stores it
    t, p = board.totals, report.previous
    figures: list[list[str | int | float | datetime | None]] = [
        [tr("Conversations"), t.conversations, p.conversations],
        [tr("Questions"), t.questions, p.questions],
        [tr("Answered questions"), t.answered, p.answered],
        [tr("Answer rate"), _ratio(t.answer_rate), _ratio(p.answer_rate)],
        [tr("Not understood"), t.not_understood, p.not_understood],
        [tr("Guides started"), t.flows_started, p.flows_started],
        [tr("Guides completed"), t.flows_completed, p.flows_completed],
        [tr("Guides abandoned"), t.flows_abandoned, p.flows_abandoned],
        [tr("Completion rate"), _ratio(t.completion_rate), _ratio(p.completion_rate)],
        [tr("Helpful"), t.helpful, p.helpful],
        [tr("Not helpful"), t.not_helpful, p.not_helpful],
        [tr("Asked for a person"), t.human_help, p.human_help],
        [tr("Conversations helped by a volunteer"), report.assisted, None],
    ]
    months_q, months_a = per_month(board.questions_per_day), per_month(board.answered_per_day)
    months_c = per_month(board.conversations_per_day)
    return [
        Sheet(tr("Summary"), [tr("Report"), report.title], [*head, *figures]),
        Sheet(tr("Months"), [tr("Month"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
              [[m, months_c.get(m, 0), months_q[m], months_a.get(m, 0)] for m in months_q]),
        Sheet(tr("Procedures"), [tr("Procedure"), tr("Questions"), tr("Answers"), tr("Helpful"), tr("Not helpful")],
              [[name(r.procedure), r.questions, r.answers, r.helpful, r.not_helpful] for r in board.procedures]),
        Sheet(tr("Guides"), [tr("Procedure"), tr("Started"), tr("Completed"), tr("Abandoned"), tr("Completion rate")],
              [[name(r.procedure), r.flows_started, r.flows_completed, r.flows_abandoned,
                _ratio(r.flows_completed / r.flows_started if r.flows_started else None)]
               for r in board.procedures if r.flows_started]),
        Sheet(tr("Channels"), [tr("Channel"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
              [[channel_label(c.channel), c.conversations, c.questions, c.answered] for c in board.channels]),
        *teams_sheets(report.teams or TeamsReport(board.filters.start, board.filters.end, report.commune), name),
    ]  # fmt: skip


def report_xlsx(report: QuarterReport, name: Callable[[str], str]) -> bytes:
    return to_xlsx(report_sheets(report, name))


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
