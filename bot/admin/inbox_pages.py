"""The not-understood inbox: questions the assistant did not answer outright, grouped, to be
taught to a procedure. Admins only: a volunteer never sees a question's words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admin.aliases import Alias
from bot.admin.exports import MEDIA_TYPES, Sheet, csv_chunks, to_xlsx
from bot.admin.inbox_queries import InboxGroup, inbox
from bot.admin.params import commune_param, page_number, parse_filters
from bot.admin.queries import Filters, not_understood
from bot.admin.texts import tr
from bot.admin.web import download, problem, redirect, render
from bot.core.matcher import ANSWER_AT, Decision
from bot.core.text import fold

if TYPE_CHECKING:
    from bot.admin.context import AdminContext, Visitor

GROUPS_PER_PAGE = 25
TAUGHT_PER_GROUP = 3
"""Phrasings of a group taught at once: the one asked most and the next two. Each costs the
matcher a rebuild (tens of milliseconds in the event loop), so not the whole group."""


class InboxPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin/inbox", guard(self.inbox)),
            Route("/admin/inbox/assign", guard(self.assign), methods=["POST"]),
            Route("/admin/export/inbox.{fmt}", guard(self.export_inbox)),
        ]

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
        page = page_number(request)
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

    # --- export ----------------------------------------------------------------------------
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


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=False)
