"""The quarterly report as PDF, with a Unicode font so Vietnamese prints with all its accents.

fpdf2's built-in fonts are Latin-1 and would drop "ư", "ơ" and the tone marks, so the report
embeds Be Vietnam Pro (a typeface drawn for Vietnamese, SIL Open Font License 1.1; the file and
its licence ship in bot/admin/fonts/, so no OS font package is needed), or the file named by
TROLYSO_ADMIN_PDF_FONT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.admin.community_queries import SESSION_OUTCOMES, TeamRow, TeamsReport
from bot.admin.queries import per_month
from bot.admin.report import QuarterReport, summary_rows
from bot.admin.texts import channel_label, percent, tr
from bot.errors import ConfigError
from bot.usage.rows import VIETNAM

# Vendored from the fontpkg-be-vietnam-pro wheel (google/fonts ofl/bevietnampro), unmodified.
FONT = Path(__file__).with_name("fonts") / "BeVietnamPro-Regular.ttf"
# Headings stand out by colour and size, not weight: a second (bold) font would double the
# time fpdf2 spends reading a font file, on every report.


def find_font(configured: str | None = None) -> Path:
    """The font file: the configured one, else the packaged one; raises :class:`ConfigError`."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"TROLYSO_ADMIN_PDF_FONT: no font file at {path}")
        return path
    return FONT


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("body", size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")


def report_pdf(report: QuarterReport, name: Callable[[str], str], number: Callable[[int], str] = str,
               font: str | None = None) -> bytes:  # fmt: skip
    """The report on A4 pages: title, summary against the previous quarter, months, procedures, guides."""
    pdf = _Pdf(format="A4")
    pdf.add_font("body", "", str(find_font(font)))
    pdf.set_title(f"{report.title} — {report.place}")
    pdf.set_author("Trợ lý số")
    pdf.set_creation_date(report.generated_at)
    pdf.footer_text = f"Trợ lý số · {report.title} · {report.place}"
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()

    pdf.set_font("body", "", 17)
    pdf.set_text_color(20, 60, 120)
    pdf.multi_cell(0, 8, report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font("body", "", 12)
    pdf.multi_cell(0, 7, report.place, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("body", "", 9)
    generated = report.generated_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    pdf.multi_cell(0, 5, f"{tr('Period')}: {report.period} · {tr('Generated')}: {generated}",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.ln(3)

    _heading(pdf, tr("Summary"))
    _table(pdf, [tr("Measure"), tr("This quarter"), tr("Previous quarter")], summary_rows(report, number),
           (0.5, 0.25, 0.25))  # fmt: skip

    board = report.board
    months_q, months_a = per_month(board.questions_per_day), per_month(board.answered_per_day)
    months_c = per_month(board.conversations_per_day)
    _heading(pdf, tr("Months"))
    pdf.set_font("body", "", 8)
    pdf.set_text_color(110)
    pdf.cell(0, 4, tr("Questions"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    _bars(pdf, [(m, months_q[m]) for m in months_q], number)
    _table(pdf, [tr("Month"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
           [(m, number(months_c.get(m, 0)), number(months_q[m]), number(months_a.get(m, 0))) for m in months_q],
           (0.25, 0.25, 0.25, 0.25))  # fmt: skip

    _heading(pdf, tr("Procedures"))
    _table(pdf, [tr("Procedure"), tr("Questions"), tr("Answers"), tr("Helpful"), tr("Not helpful")],
           [(name(r.procedure), number(r.questions), number(r.answers), number(r.helpful), number(r.not_helpful))
            for r in board.procedures] or [("—", "", "", "", "")],
           (0.44, 0.14, 0.14, 0.14, 0.14))  # fmt: skip

    _heading(pdf, tr("Step-by-step guides"))
    guides = [r for r in board.procedures if r.flows_started]
    _table(pdf, [tr("Procedure"), tr("Started"), tr("Completed"), tr("Abandoned"), tr("Completion rate")],
           [(name(r.procedure), number(r.flows_started), number(r.flows_completed), number(r.flows_abandoned),
             percent(r.flows_completed / r.flows_started)) for r in guides] or [("—", "", "", "", "")],
           (0.44, 0.14, 0.14, 0.14, 0.14))  # fmt: skip

    _heading(pdf, tr("Channels"))
    _table(pdf, [tr("Channel"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
           [(channel_label(c.channel), number(c.conversations), number(c.questions), number(c.answered)) for c in board.channels]
           or [("—", "", "", "")], (0.31, 0.23, 0.23, 0.23))  # fmt: skip

    if report.teams is not None:
        _teams(pdf, report.teams, name, number)
    return bytes(pdf.output())


def _teams(pdf: FPDF, teams: TeamsReport, name: Callable[[str], str], number: Callable[[Any], str]) -> None:
    """The community teams: assisted sessions by commune and team, help requests by commune and
    the team that took them (each commune's total under its teams), the procedures helped with.
    Short column names: an A4 page has room for five columns of numbers."""

    def sessions(row: TeamRow) -> tuple[str, ...]:
        return (number(row.sessions), *(number(row.session_outcomes[o]) for o in SESSION_OUTCOMES))

    def requests(row: TeamRow) -> tuple[str, ...]:
        median = row.median_minutes_to_claim
        return (number(row.requests), number(row.statuses["closed"]), number(row.escalated),
                "—" if median is None else number(round(median, 1)))  # fmt: skip

    def table(figures: Callable[[TeamRow], tuple[str, ...]], keep: Callable[[TeamRow], bool]) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        groups = teams.by_commune()
        for commune, members, total in groups:
            shown = [r for r in members if keep(r)]
            out += [(f"{teams.place(commune)} · {teams.team(r)}", *figures(r)) for r in shown]
            if len(shown) > 1:
                out.append((f"{teams.place(commune)} · {tr('All teams')}", *figures(total)))
        if len(groups) > 1:
            out.append((tr("Total"), *figures(teams.total)))
        return out

    shares = (0.4, 0.15, 0.15, 0.15, 0.15)
    place = f"{tr('Commune')} · {tr('Team')}"
    _heading(pdf, tr("Community teams"))
    _caption(pdf, tr("Assisted sessions"))
    _table(pdf, [place, tr("Sessions"), tr("Online"), tr("To the office"), tr("Unfinished")],
           table(sessions, lambda r: r.sessions > 0) or [("—", "", "", "", "")], shares)  # fmt: skip
    _caption(pdf, tr("Help requests"))
    _table(pdf, [place, tr("Requests"), tr("Closed"), tr("Escalated"), tr("Median minutes")],
           table(requests, lambda r: r.requests > 0) or [("—", "", "", "", "")], shares)  # fmt: skip
    _heading(pdf, tr("Procedures helped with"))
    _table(pdf, [tr("Procedure"), tr("Assisted sessions"), tr("Help requests")],
           [(name(p.procedure), number(p.sessions), number(p.requests)) for p in teams.procedures()]
           or [("—", "", "")], (0.6, 0.2, 0.2))  # fmt: skip


def _caption(pdf: FPDF, text: str) -> None:
    """A small grey line naming the table below."""
    pdf.set_font("body", "", 8)
    pdf.set_text_color(110)
    pdf.cell(0, 4, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("body", "", 13)
    pdf.set_text_color(20, 60, 120)
    pdf.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def _table(pdf: FPDF, headers: list[str], rows: Sequence[Sequence[str]], shares: tuple[float, ...]) -> None:
    """Rows of single-line cells, the first column left-aligned. Plain cells rather than
    ``FPDF.table``, which measures and wraps every cell and took most of a report's time."""
    widths = [pdf.epw * share for share in shares]
    aligns = ["L", *["R"] * (len(headers) - 1)]

    def head() -> None:
        pdf.set_draw_color(200, 208, 218)
        pdf.set_fill_color(228, 235, 245)
        pdf.set_text_color(20, 60, 120)
        pdf.set_font("body", "", 8)
        for width, align, text in zip(widths, aligns, headers, strict=True):
            pdf.cell(width, 6.5, _fit(pdf, text, width), border="B", align=align, fill=True)
        pdf.ln()
        pdf.set_text_color(0)
        pdf.set_font("body", "", 9)

    head()
    for row in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
            head()  # a table running onto the next page keeps its column names
        for width, align, text in zip(widths, aligns, row, strict=True):
            pdf.cell(width, 6, _fit(pdf, text, width), border="B", align=align)
        pdf.ln()
    pdf.ln(2)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit a cell ``width`` wide."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _bars(pdf: FPDF, values: list[tuple[str, int]], number: Callable[[int], str]) -> None:
    """Questions per month as vertical bars: the trend at a glance before the table."""
    if not values:
        return
    top = max(v for _m, v in values) or 1
    height, width = 32.0, pdf.epw / max(len(values), 1)
    x0, y0 = pdf.l_margin, pdf.get_y() + 4
    pdf.set_font("body", "", 8)
    for i, (month, value) in enumerate(values):
        bar = height * value / top
        x = x0 + i * width + width * 0.2
        pdf.set_fill_color(47, 111, 204)
        if bar:
            pdf.rect(x, y0 + height - bar, width * 0.6, bar, style="F")
        pdf.set_xy(x - width * 0.2, y0 + height - bar - 5)
        pdf.cell(width, 4, number(value), align="C")
        pdf.set_xy(x - width * 0.2, y0 + height + 1)
        pdf.cell(width, 4, month, align="C")
    pdf.set_xy(pdf.l_margin, y0 + height + 8)
