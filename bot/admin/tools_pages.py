"""The events browser (what citizens typed, event by event) and the taught phrasings. Admins
only: a volunteer never sees a question's words. The not-understood inbox is in
:mod:`bot.admin.inbox_pages`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.admin.aliases import export_yaml
from bot.admin.exports import MEDIA_TYPES, Sheet, csv_chunks, to_xlsx
from bot.admin.inbox_queries import EVENT_COLUMNS, EventFilters, browse, event_query
from bot.admin.params import CHANNELS, commune_param, page_number, parse_filters
from bot.admin.queries import Filters, communes
from bot.admin.texts import KINDS as EVENT_KINDS
from bot.admin.texts import channel_label, kind_label, language_label, tr
from bot.admin.web import download, problem, render, secure
from bot.core.text import fold

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.admin.context import AdminContext, Visitor

EVENTS_PER_PAGE = 50
KINDS = tuple(EVENT_KINDS)
EVENT_HEADERS = {
    "ts": "Time", "channel": "Channel", "commune": "Commune id", "kind": "Kind", "procedure": "Procedure",
    "score": "Score", "latency_ms": "Latency (ms)", "locale": "Language", "person": "Person (pseudonymous)",
    "assisted_by": "Helped by volunteer", "text": "Text",
}  # fmt: skip
"""The events export's headers (ids of :data:`bot.admin.texts.VI`), one per column of EVENT_COLUMNS."""


def _event_filters(request: Request, start: date, end: date) -> EventFilters:
    params = request.query_params

    def value(name: str) -> str | None:
        return params.get(name) or None

    return EventFilters(start, end, commune_param(params.get("commune")), value("channel"), value("kind"),
                        value("procedure"), value("person"), value("text"))  # fmt: skip


class ToolPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        from starlette.routing import Route

        guard = self.site.guard
        return [
            Route("/admin/events", guard(self.events)),
            Route("/admin/aliases", guard(self.aliases)),
            Route("/admin/aliases.yaml", guard(self.aliases_yaml)),
            Route("/admin/export/events.{fmt}", guard(self.export_events)),
        ]

    # --- the events browser ----------------------------------------------------------------
    async def events(self, request: Request, visitor: Visitor) -> Response:
        dates = parse_filters(request, self.site.today())
        filters = _event_filters(request, dates.start, dates.end)
        page = page_number(request)

        def load() -> tuple[list[Any], bool]:
            with self.site.db.connect() as connection:
                return browse(connection, filters, page, EVENTS_PER_PAGE)

        rows, more = await self.site.run(load)
        names = sorted(((self.site.procedure_name(p), p) for p in self.site.procedure_ids()), key=lambda x: x[0])
        context = {"title": tr("Events"), "visitor": visitor, "rows": rows, "more": more, "page": page,
                   "filters": filters, "kinds": KINDS, "channels": CHANNELS, "names": names,
                   "name": self.site.procedure_name, "communes": await self.site.run(self._communes, dates, filters),
                   "commune": request.query_params.get("commune", "")}  # fmt: skip
        return render(request, "events.html", context)

    def _communes(self, dates: Filters, filters: EventFilters) -> list[tuple[str, str]]:
        """(stored value, name) of the communes asked from in the period, by name, for the picker;
        the one filtered on too, even when nobody asked from it."""
        with self.site.db.connect() as connection:
            found = {p for p, _n in communes(connection, dates) if p}
        if filters.commune:
            found.add(filters.commune)
        return sorted(((p, self.site.commune_name(p)) for p in found), key=lambda c: (fold(c[1]), c[0]))

    # --- taught phrasings ------------------------------------------------------------------
    async def aliases(self, request: Request, visitor: Visitor) -> Response:
        aliases = await self.site.run(self.site.aliases.all)
        context = {"title": tr("Taught phrasings"), "visitor": visitor, "aliases": aliases,
                   "name": self.site.procedure_name}  # fmt: skip
        return render(request, "aliases.html", context)

    async def aliases_yaml(self, request: Request, visitor: Visitor) -> Response:
        aliases = await self.site.run(self.site.aliases.all)
        await self.site.audit(visitor, "aliases_exported", f"{len(aliases)} phrasings")
        return download(export_yaml(aliases).encode(), "learned-aliases.yaml", "yaml")

    # --- exports ---------------------------------------------------------------------------
    async def export_events(self, request: Request, visitor: Visitor) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in MEDIA_TYPES:
            return problem(request, 404, tr("Not found"), visitor)
        dates = parse_filters(request, self.site.today())
        filters = _event_filters(request, dates.start, dates.end)
        query = event_query(filters, with_text=True).limit(self.site.config.export_max_rows)
        engine = self.site.db

        place = EVENT_COLUMNS.index("commune")
        commune_name = self.site.commune_name
        # Kinds, channels and languages in words, like the page: the file goes to people, not programs.
        def procedure(value: str | None) -> str:
            return self.site.procedure_name(value) if value else ""

        words: dict[int, Callable[[str | None], str]] = {EVENT_COLUMNS.index("kind"): kind_label, EVENT_COLUMNS.index("channel"): channel_label,
                 EVENT_COLUMNS.index("locale"): language_label,
                 EVENT_COLUMNS.index("procedure"): procedure}  # fmt: skip

        def rows() -> Iterator[list[Any]]:
            with engine.connect() as connection:
                for row in connection.execution_options(stream_results=True, yield_per=1000).execute(query):
                    line = [_plain(v) for v in row]
                    for index, word in words.items():
                        line[index] = word(line[index])
                    line.insert(place + 1, commune_name(line[place]))
                    yield line

        # The commune twice: as stored (its id), then its name.
        titles = [tr(EVENT_HEADERS[c]) for c in EVENT_COLUMNS]
        columns = [*titles[: place + 1], tr("Commune name"), *titles[place + 1 :]]
        sheet = Sheet(tr("Events"), columns, rows())
        await self.site.audit(visitor, "export", f"events {filters.start}..{filters.end} {fmt}")
        name = f"trolyso-events-{filters.start}-{filters.end}.{fmt}"
        if fmt == "xlsx":
            return download(await self.site.run(to_xlsx, [sheet]), name, fmt)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return secure(StreamingResponse(csv_chunks([sheet]), media_type=MEDIA_TYPES["csv"], headers=headers))


def _plain(value: object) -> Any:
    return value if value is None or isinstance(value, (str, int, float, date, datetime)) else str(value)
