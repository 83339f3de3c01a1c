"""The overview, the commune pages and the quarterly report, with their exports."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admin import charts
from bot.admin.community_queries import (
    NOWHERE,
    AssistedUse,
    RequestCounts,
    assisted_use,
    request_counts,
)
from bot.admin.exports import Cell, Sheet, to_csv, to_xlsx
from bot.admin.params import CHANNELS, PRESETS, parse_filters
from bot.admin.queries import Dashboard, Filters, communes, dashboard
from bot.admin.report import QuarterReport, build_report, current_quarter, last_quarter_with_data, report_xlsx
from bot.admin.report_pdf import report_pdf
from bot.admin.texts import channel_label, number, percent, tr
from bot.admin.web import download, problem, redirect, render
from bot.core.commune_names import commune_key
from bot.reminders.sql import Counts, reminder_counts

if TYPE_CHECKING:
    from bot.admin.context import AdminContext, Visitor

class DashboardPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin", guard(self.overview, admin_only=False)),
            Route("/admin/commune", guard(self.commune, admin_only=False)),
            Route("/admin/export/overview.{fmt}", guard(self.export_overview)),
            Route("/admin/export/commune.{fmt}", guard(self.export_commune, admin_only=False)),
            Route("/admin/report", guard(self.report, admin_only=False)),
            Route("/admin/report/download", guard(self.report_download, admin_only=False)),
        ]

    # --- data ------------------------------------------------------------------------------
    def _load(self, filters: Filters, with_communes: bool) -> tuple[Dashboard, list[tuple[str, int]]]:
        with self.site.db.connect() as connection:
            board = dashboard(connection, filters, self.site.today())
            places = communes(connection, Filters(filters.start, filters.end)) if with_communes else []
        return board, places

    def _assisted(self, filters: Filters) -> AssistedUse:
        with self.site.db.connect() as connection:
            return assisted_use(connection, filters.start, filters.end, filters.commune, filters.channel)

    def desk_commune(self, commune: str | None) -> str | None:
        """A commune as the usage log stores it, as the help desk does (its id; "" stays none)."""
        return commune if not commune else commune_key(self.site.communes, commune)

    def _requests(self, filters: Filters) -> RequestCounts:
        with self.site.db.connect() as connection:
            return request_counts(connection, filters.start, filters.end, self.desk_commune(filters.commune),
                                  filters.channel)  # fmt: skip

    def _places(self, filters: Filters) -> list[tuple[str, int]]:
        with self.site.db.connect() as connection:
            return communes(connection, filters)

    def _commune_of(self, request: Request, visitor: Visitor) -> str | None:
        """The commune asked for ("" the unknown one), or None when this visitor may not see it. A
        volunteer sees their own, as the usage log stores it (see :meth:`AdminContext.own_commune`),
        whether ?name= gives it as stored, as its id or as its name."""
        own = self.site.own_commune(visitor.user)
        if own is None:
            return request.query_params.get("name", "")
        wanted = request.query_params.get("name")
        mine = own != NOWHERE and (wanted is None or commune_key(self.site.communes, wanted) == own)
        return own if mine else None

    # --- pages -----------------------------------------------------------------------------
    async def overview(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.user.is_admin:
            return redirect("/admin/commune")
        filters = parse_filters(request, self.site.today())
        board, places = await self.site.run(self._load, filters, True)
        assisted = await self.site.run(self._assisted, filters)
        requests = await self.site.run(self._requests, filters)
        reminders = await self.site.run(reminder_counts, self.site.db, filters.start, filters.end)
        return self._page(request, visitor, board, places, tr("Overview"), "overview", assisted, requests,
                          reminders)

    async def commune(self, request: Request, visitor: Visitor) -> Response:
        place = self._commune_of(request, visitor)
        if place is None:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        if visitor.user.is_admin and "name" not in request.query_params:  # the busiest commune first
            place = next((p for p, _n in await self.site.run(self._places, parse_filters(request, self.site.today()))
                          if p), "")  # fmt: skip
        filters = parse_filters(request, self.site.today(), place)
        board, places = await self.site.run(self._load, filters, visitor.user.is_admin)
        assisted = await self.site.run(self._assisted, filters)
        requests = await self.site.run(self._requests, filters)
        title = self.site.commune_name(place) or tr("Unknown commune")
        return self._page(request, visitor, board, places, title, "commune", assisted, requests)

    def _page(self, request: Request, visitor: Visitor, board: Dashboard, places: list[tuple[str, int]],
              title: str, view: str, assisted: AssistedUse | None = None,
              requests: RequestCounts | None = None, reminders: Counts | None = None) -> Response:  # fmt: skip
        name = self.site.procedure_name
        t = board.totals
        days = board.filters.days
        context: dict[str, Any] = {
            "title": title, "visitor": visitor, "view": view, "board": board, "totals": t, "places": places,
            "presets": PRESETS, "channels": CHANNELS, "name": name, "done": request.query_params.get("done"),
            "assisted": assisted, "requests": requests, "queue": self._queue_link(board.filters.commune),
            "reminders": reminders,
            "per_day": charts.line_chart(tr("Conversations and questions per day"), days, [
                charts.Series(tr("Conversations"), [board.conversations_per_day[d] for d in days], "s1"),
                charts.Series(tr("Questions"), [board.questions_per_day[d] for d in days], "s2"),
                charts.Series(tr("Answered questions"), [board.answered_per_day[d] for d in days], "s3"),
            ], number),
            "top": charts.bar_chart(tr("Top procedures"), [(name(r.procedure), r.questions) for r in sorted(
                board.procedures, key=lambda r: -r.questions) if r.questions][:10], number),
            "funnel": charts.funnel(tr("Guide completion funnel"), [
                (tr("Questions"), t.questions), (tr("Answered questions"), t.answered),
                (tr("Guides started"), t.flows_started), (tr("Guides completed"), t.flows_completed),
            ], number),
            "helpful": charts.split_bar(tr("Was the answer helpful?"), [
                (tr("Helpful"), t.helpful, "s3"), (tr("Not helpful"), t.not_helpful, "s4")], number),
            "by_channel": charts.bar_chart(tr("By channel"),
                                           [(channel_label(c.channel), c.conversations) for c in board.channels], number, "s2"),
        }  # fmt: skip
        return render(request, "overview.html", context)

    def _queue_link(self, commune: str | None) -> str:
        """The request queue of the commune a page shows (the province level for the unknown one)."""
        if commune is None:
            return "/admin/requests"
        return "/admin/requests?" + urlencode({"commune": self.desk_commune(commune) or "-"})

    # --- exports ---------------------------------------------------------------------------
    def sheets(self, board: Dashboard, places: list[tuple[str, int]], requests: RequestCounts) -> list[Sheet]:
        name, t, days = self.site.procedure_name, board.totals, board.filters.days
        out = [
            Sheet(tr("Summary"), [tr("Measure"), tr("Value")], [
                [tr("From"), board.filters.start], [tr("To"), board.filters.end],
                *self._commune_rows(board.filters.commune),
                [tr("Channel"), channel_label(board.filters.channel) or tr("All channels")],
                [tr("Conversations"), t.conversations], [tr("Questions"), t.questions],
                [tr("Answered questions"), t.answered], [tr("Answer rate"), percent(t.answer_rate)],
                [tr("Not understood"), t.not_understood], [tr("Did you mean"), t.did_you_mean],
                [tr("Help requests"), requests.made], [tr("Waiting or taken"), requests.waiting],
                [tr("Asked for a person"), t.human_help], [tr("Helpful"), t.helpful],
                [tr("Not helpful"), t.not_helpful], [tr("Guides started"), t.flows_started],
                [tr("Guides completed"), t.flows_completed], [tr("Guides abandoned"), t.flows_abandoned],
                [tr("Scam warnings"), t.scam_alerts],
            ]),
            Sheet(tr("Conversations and questions per day"),
                  [tr("Day"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
                  [[d, board.conversations_per_day[d], board.questions_per_day[d], board.answered_per_day[d]]
                   for d in days]),
            Sheet(tr("Procedures"), [tr("Procedure id"), tr("Procedure"), tr("Questions"), tr("Answers"), tr("Helpful"),
                                     tr("Not helpful"), tr("Guides started"), tr("Guides completed"),
                                     tr("Guides abandoned")],
                  [[r.procedure, name(r.procedure), r.questions, r.answers, r.helpful, r.not_helpful,
                    r.flows_started, r.flows_completed, r.flows_abandoned] for r in board.procedures]),
            Sheet(tr("By channel"), [tr("Channel"), tr("Conversations"), tr("Questions"), tr("Answered questions")],
                  [[channel_label(c.channel), c.conversations, c.questions, c.answered] for c in board.channels]),
        ]  # fmt: skip
        if places:
            out.append(Sheet(tr("By commune"), [tr("Commune id"), tr("Commune"), tr("Questions")],
                             [[p, self.site.commune_name(p, tr("Unknown commune")), n] for p, n in places]))
        return out

    def _commune_rows(self, commune: str | None) -> list[list[Cell]]:
        """The summary's commune: its name, then its id as the usage log stores it."""
        if commune is None:
            return [[tr("Commune"), tr("All communes")]]
        return [[tr("Commune"), self.site.commune_name(commune, tr("Unknown commune"))], [tr("Commune id"), commune]]

    async def export_overview(self, request: Request, visitor: Visitor) -> Response:
        return await self._export(request, visitor, parse_filters(request, self.site.today()), "overview")

    async def export_commune(self, request: Request, visitor: Visitor) -> Response:
        place = self._commune_of(request, visitor)
        if place is None:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        return await self._export(request, visitor, parse_filters(request, self.site.today(), place), "commune")

    async def _export(self, request: Request, visitor: Visitor, filters: Filters, view: str) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in ("csv", "xlsx"):
            return problem(request, 404, tr("Not found"), visitor)
        board, places = await self.site.run(self._load, filters, view == "overview")
        sheets = self.sheets(board, places, await self.site.run(self._requests, filters))
        body = await self.site.run(to_csv if fmt == "csv" else to_xlsx, sheets)
        place = f"-{filters.commune}" if filters.commune else ""
        await self.site.audit(visitor, "export", f"{view}{place} {filters.start}..{filters.end} {fmt}")
        return download(body, f"trolyso-{view}{place}-{filters.start}-{filters.end}.{fmt}", fmt)

    # --- the quarterly report --------------------------------------------------------------
    def _default_quarter(self, own: str | None) -> tuple[int, int, bool]:
        with self.site.db.connect() as connection:
            return last_quarter_with_data(connection, self.site.today(), own)

    async def report(self, request: Request, visitor: Visitor) -> Response:
        today = self.site.today()
        own_usage = None if visitor.user.is_admin else self.site.own_commune(visitor.user)
        year, quarter, found = await self.site.run(self._default_quarter, own_usage)
        with_places = visitor.user.is_admin
        places = await self.site.run(self._places, Filters(today - timedelta(days=365), today)) if with_places else []
        own = self.site.own_commune(visitor.user)
        context = {"title": tr("Quarterly report"), "visitor": visitor, "years": range(today.year, today.year - 4, -1),
                   "year": year, "quarter": quarter, "found": found, "places": [p for p, _n in places if p],
                   "province": self.site.config.province, "own": self.site.commune_name(own) if own else None}  # fmt: skip
        return render(request, "report.html", context)

    async def report_download(self, request: Request, visitor: Visitor) -> Response:
        params = request.query_params
        today = self.site.today()
        default_year, default_quarter = current_quarter(today)
        year = int(params["year"]) if params.get("year", "").isdigit() else default_year
        quarter = int(params["quarter"]) if params.get("quarter", "") in ("1", "2", "3", "4") else default_quarter
        fmt = params.get("format", "pdf")
        commune = params.get("commune") or None
        own = self.site.own_commune(visitor.user)
        if own is not None:
            if own == NOWHERE or (commune is not None and commune_key(self.site.communes, commune) != own):
                return problem(request, 403, tr("You are not allowed to open this page."), visitor)
            commune = own
        if fmt not in ("xlsx", "pdf", "zip") or not 2000 <= year <= today.year + 1:
            return problem(request, 404, tr("Not found"), visitor)
        report = await self.site.run(self._report, year, quarter, commune)
        files = await self.site.run(self._report_files, report, fmt)
        stem = f"trolyso-bao-cao-{year}-Q{quarter}-{report.place}"
        await self.site.audit(visitor, "report", f"Q{quarter}/{year} {report.commune or report.place} {fmt}")
        if fmt != "zip":
            return download(files[fmt], f"{stem}.{fmt}", fmt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for ext, body in files.items():
                archive.writestr(f"{stem}.{ext}", body)
        return download(buffer.getvalue(), f"{stem}.zip", "zip")

    def _report(self, year: int, quarter: int, commune: str | None) -> QuarterReport:
        with self.site.db.connect() as connection:
            return build_report(connection, year, quarter, commune, self.site.today(), self.site.config.province,
                                self.site.clock(), self.site.communes)  # fmt: skip

    def _report_files(self, report: QuarterReport, fmt: str) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        if fmt in ("xlsx", "zip"):
            files["xlsx"] = report_xlsx(report, self.site.procedure_name)
        if fmt in ("pdf", "zip"):
            files["pdf"] = report_pdf(report, self.site.procedure_name, number, self.site.config.pdf_font or None)
        return files

