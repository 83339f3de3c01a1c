"""The community digital technology teams in the dashboard: volunteers and their link codes,
the help request queue, and the teams' figures.

Admins see and change everything. A dashboard volunteer (role ``volunteer``) sees their own
commune only: its volunteers (with their phone numbers: they are the people the commune's
requests are shared out among), its requests (with the citizen's phone and need, which the
citizen agreed to give the commune's team) and its teams' figures; they may close their
commune's requests, but not create, deactivate or re-code volunteers. A request of another
commune answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admin.community_queries import (
    STATUS_FILTERS,
    RequestCounts,
    RequestRow,
    TeamsReport,
    get_request,
    list_requests,
    request_counts,
    teams_report,
    teams_sheets,
)
from bot.admin.exports import MEDIA_TYPES, to_csv, to_xlsx
from bot.admin.params import PRESETS, parse_filters
from bot.admin.texts import label, number, tr
from bot.admin.web import download, problem, redirect, render
from bot.core.commune_names import commune_key
from bot.core.desk import REQUEST_OUTCOMES
from bot.core.phone import parse_phone, spaced
from bot.core.text import fold
from bot.data.communes import CommuneBook
from bot.helpdesk.sql import SqlHelpDesk, VolunteerRow

if TYPE_CHECKING:
    from bot.admin.context import AdminContext, Visitor

REQUESTS_PER_PAGE = 50
MAX_NAME = 120
"""Longest volunteer or team name (the columns' size)."""
PROVINCE = "-"
"""The commune filter's value for the province level (no commune)."""


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _page(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1


def _hours(value: float) -> str:
    return number(int(value)) if float(value).is_integer() else number(round(value, 1))


class CommunityPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site
        self.desk = SqlHelpDesk(site.db, clock=site.clock)

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin/volunteers", guard(self.volunteers, admin_only=False)),
            Route("/admin/volunteers/new", guard(self.create_volunteer), methods=["POST"]),
            Route("/admin/volunteers/{volunteer_id:int}/code", guard(self.new_code), methods=["POST"]),
            Route("/admin/volunteers/{volunteer_id:int}/active", guard(self.set_active), methods=["POST"]),
            Route("/admin/requests", guard(self.requests, admin_only=False)),
            Route("/admin/requests/{request_id:int}", guard(self.request_page, admin_only=False)),
            Route(
                "/admin/requests/{request_id:int}/close",
                guard(self.close_request, admin_only=False),
                methods=["POST"],
            ),
            Route("/admin/teams", guard(self.teams, admin_only=False)),
            Route("/admin/export/teams.{fmt}", guard(self.export_teams, admin_only=False)),
        ]

    # --- communes --------------------------------------------------------------------------
    @property
    def book(self) -> CommuneBook:
        from bot.app import communes

        return communes()

    def place(self, commune: str | None) -> str:
        """A commune id as its name; the province level for None."""
        return self.site.commune_name(commune) if commune else tr("Province level")

    def choices(self) -> list[tuple[str, str]]:
        """(id, name) of every commune, alphabetically, for a <select>."""
        return sorted(((c.id, c.full_name) for c in self.book.all()), key=lambda c: (fold(c[1]), c[0]))

    def own_commune(self, visitor: Visitor) -> str | None:
        """The help desk commune a dashboard volunteer may see; None for an admin (every one)."""
        return self.site.own_commune(visitor.user)

    def _commune_filter(self, request: Request, visitor: Visitor) -> tuple[bool, str | None]:
        """(allowed, commune) from ?commune=: None every commune, "" the province level. A volunteer
        asking for another commune is not allowed."""
        wanted = request.query_params.get("commune", "")
        own = self.own_commune(visitor)
        if own is not None:
            return (not wanted or commune_key(self.book, wanted) == own), own
        return True, ("" if wanted == PROVINCE else wanted or None)

    # --- volunteers ------------------------------------------------------------------------
    async def volunteers(self, request: Request, visitor: Visitor) -> Response:
        return await self._volunteers_page(request, visitor)

    async def _volunteers_page(self, request: Request, visitor: Visitor, *, status: int = 200,
                               **context: Any) -> Response:  # fmt: skip
        own = self.own_commune(visitor)
        rows: list[VolunteerRow] = await self.site.run(self.desk.list_volunteers, own)
        page = {
            "title": tr("Volunteers"), "visitor": visitor, "rows": rows, "place": self.place,
            "communes": self.choices() if visitor.user.is_admin else [], "spaced": spaced,
            "hours": _hours(self.code_hours), "form": {}, "errors": [], "code": None, "done": None, **context,
        }  # fmt: skip
        return render(request, "volunteers.html", page, status)

    @property
    def code_hours(self) -> float:
        return float(getattr(self.site.settings, "link_code_hours", 72.0))

    async def create_volunteer(self, request: Request, visitor: Visitor) -> Response:
        form = await request.form()
        values = {key: _field(form, key) for key in ("name", "team", "commune", "phone")}
        errors = []
        for key, missing in (
            ("name", tr("Enter the volunteer's name.")),
            ("team", tr("Enter the team's name.")),
        ):
            if not values[key]:
                errors.append(missing)
            elif len(values[key]) > MAX_NAME:
                errors.append(tr("Use at most {n} characters for a name.").format(n=MAX_NAME))
        commune = values["commune"] or None
        if commune is not None and self.book.get(commune) is None:
            errors.append(tr("Choose the commune from the list."))
        phone = parse_phone(values["phone"]) if values["phone"] else None
        if values["phone"] and phone is None:
            errors.append(tr("“{phone}” is not a Vietnamese phone number. A mobile number has 10 digits and starts "
                             "with 03, 05, 07, 08 or 09 (for example 0912 345 678); a landline has 11 digits "
                             "and starts with 02.").format(phone=values["phone"][:40]))  # fmt: skip
        if errors:
            return await self._volunteers_page(request, visitor, status=400, form=values, errors=errors)
        volunteer, code = await self.site.run(self.desk.create_volunteer, values["name"], values["team"], commune,
                                              phone, visitor.user.username, self.code_hours)  # fmt: skip
        await self.site.audit(visitor, "volunteer_created",
                              f"#{volunteer.id} {volunteer.name} ({volunteer.team}, {commune or '-'})")  # fmt: skip
        # Shown in this response only: never in a URL, a log or the database (which keeps its hash).
        return await self._volunteers_page(request, visitor, code=(volunteer.name, code),
                                           done=tr("Volunteer added: {name}.").format(name=volunteer.name))  # fmt: skip

    async def new_code(self, request: Request, visitor: Visitor) -> Response:
        volunteer_id = int(request.path_params["volunteer_id"])
        volunteer = await self.site.run(self.desk.get_volunteer, volunteer_id)
        if volunteer is None:
            return problem(request, 404, tr("Not found"), visitor)
        code = await self.site.run(self.desk.issue_code, volunteer_id, self.code_hours)
        await self.site.audit(visitor, "volunteer_code_issued", f"#{volunteer.id} {volunteer.name}")
        return await self._volunteers_page(request, visitor, code=(volunteer.name, code))

    async def set_active(self, request: Request, visitor: Visitor) -> Response:
        volunteer_id = int(request.path_params["volunteer_id"])
        active = _field(await request.form(), "active") == "1"
        volunteer = await self.site.run(self.desk.get_volunteer, volunteer_id)
        if volunteer is None or not await self.site.run(self.desk.set_active, volunteer_id, active):
            return problem(request, 404, tr("Not found"), visitor)
        await self.site.audit(visitor, "volunteer_activated" if active else "volunteer_deactivated",
                              f"#{volunteer.id} {volunteer.name}")  # fmt: skip
        return redirect("/admin/volunteers")

    # --- help requests ---------------------------------------------------------------------
    def _visible(self, visitor: Visitor, row: RequestRow | None) -> RequestRow | None:
        """The request if this visitor may see it: an admin any, a volunteer their commune's."""
        own = self.own_commune(visitor)
        return row if row is not None and (own is None or row.commune == own) else None

    async def requests(self, request: Request, visitor: Visitor) -> Response:
        allowed, commune = self._commune_filter(request, visitor)
        if not allowed:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        status = request.query_params.get("status", "active")
        status = status if status in STATUS_FILTERS else "active"
        page = _page(request)

        today = self.site.today()

        def load() -> tuple[list[RequestRow], RequestCounts]:
            with self.site.db.connect() as connection:
                return (list_requests(connection, STATUS_FILTERS[status], commune, REQUESTS_PER_PAGE + 1,
                                      (page - 1) * REQUESTS_PER_PAGE),
                        request_counts(connection, today, today, commune))  # fmt: skip

        rows, counts = await self.site.run(load)
        context = {
            "title": tr("Help requests"), "visitor": visitor, "rows": rows[:REQUESTS_PER_PAGE], "page": page,
            "more": len(rows) > REQUESTS_PER_PAGE, "status": status, "statuses": list(STATUS_FILTERS),
            "commune": request.query_params.get("commune", ""), "communes": self.choices() if visitor.user.is_admin
            else [], "place": self.place, "name": self.site.procedure_name, "label": label, "spaced": spaced,
            "province": PROVINCE, "waiting": counts.waiting,
        }  # fmt: skip
        return render(request, "requests.html", context)

    async def _request(self, request: Request, visitor: Visitor) -> RequestRow | None:
        request_id = int(request.path_params["request_id"])

        def load() -> RequestRow | None:
            with self.site.db.connect() as connection:
                return get_request(connection, request_id)

        return self._visible(visitor, await self.site.run(load))

    async def request_page(self, request: Request, visitor: Visitor) -> Response:
        row = await self._request(request, visitor)
        if row is None:
            return problem(request, 404, tr("Not found"), visitor)
        done = request.query_params.get("done")
        context = {
            "title": tr("Help request #{id}").format(id=row.id), "visitor": visitor, "r": row,
            "place": self.place, "name": self.site.procedure_name, "label": label, "spaced": spaced,
            "outcomes": REQUEST_OUTCOMES, "done": done if done in ("closed", "ended") else None,
        }  # fmt: skip
        return render(request, "request.html", context)

    async def close_request(self, request: Request, visitor: Visitor) -> Response:
        row = await self._request(request, visitor)
        if row is None:
            return problem(request, 404, tr("Not found"), visitor)
        outcome = _field(await request.form(), "outcome")
        if outcome not in REQUEST_OUTCOMES:
            return problem(request, 400, tr("Choose how the request ended."), visitor)
        own = self.own_commune(visitor)
        closed = await self.site.run(self.desk.close_as_admin, row.id, outcome, own)
        if closed:
            await self.site.audit(visitor, "request_closed", f"#{row.id} {outcome}")
        return redirect(f"/admin/requests/{row.id}?done={'closed' if closed else 'ended'}")

    # --- the teams' figures ----------------------------------------------------------------
    def _teams(self, request: Request, commune: str | None) -> TeamsReport:
        filters = parse_filters(request, self.site.today())
        with self.site.db.connect() as connection:
            return teams_report(connection, filters.start, filters.end, commune, self.book)

    async def teams(self, request: Request, visitor: Visitor) -> Response:
        allowed, commune = self._commune_filter(request, visitor)
        if not allowed:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        report = await self.site.run(self._teams, request, commune)
        context = {
            "title": tr("Community teams"), "visitor": visitor, "report": report, "presets": PRESETS,
            "filters": parse_filters(request, self.site.today()), "commune": request.query_params.get("commune", ""),
            "communes": self.choices() if visitor.user.is_admin else [], "place": report.place,
            "name": self.site.procedure_name, "label": label, "province": PROVINCE,
            "extra": {"commune": request.query_params["commune"]} if request.query_params.get("commune") else {},
        }  # fmt: skip
        return render(request, "teams.html", context)

    async def export_teams(self, request: Request, visitor: Visitor) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in MEDIA_TYPES:
            return problem(request, 404, tr("Not found"), visitor)
        allowed, commune = self._commune_filter(request, visitor)
        if not allowed:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        report = await self.site.run(self._teams, request, commune)
        sheets = teams_sheets(report, self.site.procedure_name)
        body = await self.site.run(to_csv if fmt == "csv" else to_xlsx, sheets)
        suffix = f"-{commune or 'tinh'}" if commune is not None else ""
        await self.site.audit(visitor, "export", f"teams{suffix} {report.start}..{report.end} {fmt}")
        return download(body, f"trolyso-teams{suffix}-{report.start}-{report.end}.{fmt}", fmt)
