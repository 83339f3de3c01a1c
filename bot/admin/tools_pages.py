"""The pages that show what citizens typed — the not-understood inbox and the events browser —
and the taught phrasings. Admins only: a volunteer never sees a question's words."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.admin.aliases import Alias, export_yaml
from bot.admin.exports import MEDIA_TYPES, Sheet, csv_chunks, to_xlsx
from bot.admin.inbox import EVENT_COLUMNS, EventFilters, InboxGroup, browse, event_query, inbox
from bot.admin.pages import CHANNELS, commune_param, download, parse_filters
from bot.admin.queries import Filters, communes, not_understood
from bot.admin.texts import KINDS as EVENT_KINDS
from bot.admin.texts import channel_label, kind_label, language_label, tr
from bot.admin.web import problem, redirect, render, secure
from bot.core.matcher import ANSWER_AT, Decision
from bot.core.text import fold

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.admin.site import AdminSite, Visitor

GROUPS_PER_PAGE = 25
EVENTS_PER_PAGE = 50
TAUGHT_PER_GROUP = 3
"""Phrasings of a group taught at once: the one asked most and the next two. Each costs the
matcher a rebuild (tens of milliseconds in the event loop), so not the whole group."""
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
    def __init__(self, site: AdminSite) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        from starlette.routing import Route

        guard = self.site.guard
        return [
            Route("/admin/inbox", guard(self.inbox)),
            Route("/admin/inbox/assign", guard(self.assign), methods=["POST"]),
            Route("/admin/events", guard(self.events)),
            Route("/admin/aliases", guard(self.aliases)),
            Route("/admin/aliases.yaml", guard(self.aliases_yaml)),
            Route("/admin/export/inbox.{fmt}", guard(self.export_inbox)),
            Route("/admin/export/events.{fmt}", guard(self.export_events)),
        ]

    # --- the inbox -------------------------------------------------------------------------

    def _tokens(self, text: str) -> Sequence[str]:
        """The matcher's normalisation (accents, typos, synonyms), or plain folding without one."""
        return self.site.matcher.norm(text) if self.site.matcher is not None else fold(text).split()

    def _groups(self, request: Request) -> list[InboxGroup]:
        filters = parse_filters(request, self.site.today())
        commune = commune_param(request.query_params.get("commune"))
        with self.site.db.connect() as connection:
            return inbox(connection, filters.start, filters.end, self._tokens, self.site.aliases.texts(), commune)

    def _not_understood(self, request: Request) -> int:
        """The period's count of questions not understood, as the overview shows it."""
        dates = parse_filters(request, self.site.today())
        filters = Filters(dates.start, dates.end, commune_param(request.query_params.get("commune")))
        with self.site.db.connect() as connection:
            return not_understood(connection, filters)

    def _suggest(self, text: str) -> tuple[str | None, str | None]:
        """The procedure to offer first, and the one the assistant answers with now (if any)."""
        if self.site.matcher is None:
            return None, None
        match = self.site.matcher.match(text)
        known = self.site.procedures
        # Only a confident guess is pre-selected: a hurried click on "Assign" would teach it for good
        # (an adoption question once came with the identity card chosen, at a "did you mean" score).
        best = next((c.id for c in match.candidates if c.id in known and c.score >= ANSWER_AT), None)
        return best, match.procedure if match.decision is Decision.ANSWER else None

    async def inbox(self, request: Request, visitor: Visitor) -> Response:
        page = _page(request)
        groups = await self.site.run(self._groups, request)
        shown = groups[(page - 1) * GROUPS_PER_PAGE : page * GROUPS_PER_PAGE]
        taught = await self._taught(request.query_params.get("taught"))
        filters = parse_filters(request, self.site.today())
        names = sorted(((self.site.procedure_name(p), p) for p in self.site.procedure_ids()), key=lambda x: x[0])
        context: dict[str, Any] = {
            "title": tr("Inbox"), "visitor": visitor, "groups": [(g, *self._suggest(g.text)) for g in shown],
            "total": len(groups), "page": page, "asked": await self.site.run(self._not_understood, request),
            "waiting": sum(g.count for g in groups), "more": len(groups) > page * GROUPS_PER_PAGE, "names": names,
            "name": self.site.procedure_name, "taught": taught, "filters": filters, "back": request.url.query,
        }  # fmt: skip
        return render(request, "inbox.html", context)

    async def _taught(self, alias_id: str | None) -> tuple[Alias, str | None] | None:
        """The phrasing just taught, and what the assistant answers it with now."""
        if not alias_id or not alias_id.isdigit():
            return None
        found = [a for a in await self.site.run(self.site.aliases.all) if a.id == int(alias_id)]
        return (found[0], self._suggest(found[0].text)[1]) if found else None

    async def assign(self, request: Request, visitor: Visitor) -> Response:
        """Teach the matcher a group's phrasings for a procedure: stored, then applied at once."""
        form = await request.form()
        procedure = form.get("procedure")
        texts = [t for t in form.getlist("text") if isinstance(t, str) and t.strip()][:TAUGHT_PER_GROUP]
        back = form.get("back")
        back = back if isinstance(back, str) else ""
        if not isinstance(procedure, str) or procedure not in self.site.procedures or not texts:
            return problem(request, 400, tr("Choose a procedure."), visitor)
        stored = await self.site.teach(procedure, texts, visitor.user.username)
        for alias in stored:
            await self.site.audit(visitor, "alias_assigned", f"{procedure}: {alias.text}")
        params = [(k, v) for k, v in _pairs(back) if k not in ("taught", "page")] + [("taught", str(stored[0].id))]
        return redirect("/admin/inbox?" + urlencode(params))

    # --- the events browser ----------------------------------------------------------------
    async def events(self, request: Request, visitor: Visitor) -> Response:
        dates = parse_filters(request, self.site.today())
        filters = _event_filters(request, dates.start, dates.end)
        page = _page(request)

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
    async def export_inbox(self, request: Request, visitor: Visitor) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in MEDIA_TYPES:
            return problem(request, 404, tr("Not found"), visitor)
        groups = await self.site.run(self._groups, request)
        sheet = Sheet(tr("Inbox"), [tr("Asked"), tr("Question"), tr("Also asked as"), tr("Last asked")],
                      [[g.count, g.text, " | ".join(g.variants), g.last_seen] for g in groups])  # fmt: skip
        body = await self.site.run(to_xlsx, [sheet]) if fmt == "xlsx" else b"".join(csv_chunks([sheet]))
        await self.site.audit(visitor, "export", f"inbox {fmt}")
        return download(body, f"trolyso-inbox.{fmt}", fmt)

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


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=False)


def _page(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1
