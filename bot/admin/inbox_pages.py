"""The not-understood inbox: questions the assistant did not answer outright, grouped, to be
taught to a procedure or set aside as junk (several at once, with an undo, and a "Dismissed" view
to restore from). Admins only: a volunteer never sees a question's words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admin.aliases import Alias
from bot.admin.exports import MEDIA_TYPES, Sheet, csv_chunks, to_xlsx
from bot.admin.inbox_queries import InboxGroup, inbox_groups
from bot.admin.params import commune_param, page_number, parse_filters
from bot.admin.queries import Filters, not_understood
from bot.admin.teaching import Answer, PreviewRow, preview
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
PICKED_MAX = 100
"""Most groups one dismissal or restore acts on (a page shows 25)."""
TRANSIENT = ("taught", "page", "dismissed", "restored")
"""Query parameters that report on one action: dropped from the address an action returns to."""


@dataclass(frozen=True)
class InboxView:
    """The period's not-understood questions, as the inbox page and its export see them."""

    groups: list[InboxGroup]

    @property
    def waiting(self) -> list[InboxGroup]:
        return [g for g in self.groups if g.waiting]

    @property
    def dismissed(self) -> list[InboxGroup]:
        return [g for g in self.groups if g.dismissals and not g.taught]

    def asked(self, groups: Sequence[InboxGroup]) -> int:
        return sum(g.count for g in groups)


class InboxPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin/inbox", guard(self.inbox)),
            Route("/admin/inbox/preview", guard(self.preview), methods=["POST"]),
            Route("/admin/inbox/assign", guard(self.assign), methods=["POST"]),
            Route("/admin/inbox/dismiss", guard(self.dismiss), methods=["POST"]),
            Route("/admin/inbox/restore", guard(self.restore), methods=["POST"]),
            Route("/admin/export/inbox.{fmt}", guard(self.export_inbox)),
        ]

    # --- data ------------------------------------------------------------------------------
    def _tokens(self, text: str) -> Sequence[str]:
        """The matcher's normalisation (accents, typos, synonyms), or plain folding without one."""
        return self.site.matcher.norm(text) if self.site.matcher is not None else fold(text).split()

    def _view(self, params: Mapping[str, str]) -> InboxView:
        """Every group of the period and commune in ``params`` (a page's query string)."""
        filters = parse_filters(params, self.site.today())
        commune = commune_param(params.get("commune"))
        taught, dismissed = self.site.aliases.texts(), self.site.dismissals.keys()
        with self.site.db.connect() as connection:
            return InboxView(inbox_groups(connection, filters.start, filters.end, self._tokens, taught, commune,
                                          dismissed))  # fmt: skip

    def _not_understood(self, params: Mapping[str, str]) -> int:
        """The period's count of questions not understood, as the overview shows it."""
        dates = parse_filters(params, self.site.today())
        filters = Filters(dates.start, dates.end, commune_param(params.get("commune")))
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

    # --- the page --------------------------------------------------------------------------
    async def inbox(self, request: Request, visitor: Visitor) -> Response:
        params = request.query_params
        page = page_number(request)
        view = await self.site.run(self._view, params)
        showing_dismissed = params.get("view") == "dismissed"
        listed = view.dismissed if showing_dismissed else view.waiting
        shown = listed[(page - 1) * GROUPS_PER_PAGE : page * GROUPS_PER_PAGE]
        names = sorted(((self.site.procedure_name(p), p) for p in self.site.procedure_ids()), key=lambda x: x[0])
        asked, waiting, dismissed = (await self.site.run(self._not_understood, params), view.asked(view.waiting),
                                     view.asked(view.dismissed))  # fmt: skip
        context: dict[str, Any] = {
            "title": tr("Inbox"), "visitor": visitor, "groups": [(g, *self._suggest(g.text)) for g in shown],
            "total": len(listed), "page": page, "asked": asked, "waiting": waiting, "dismissed": dismissed,
            "taught_count": max(0, asked - waiting - dismissed), "more": len(listed) > page * GROUPS_PER_PAGE,
            "names": names, "name": self.site.procedure_name, "taught": await self._taught(params.get("taught")),
            "filters": parse_filters(params, self.site.today()), "back": _back(request.url.query),
            "view": "dismissed" if showing_dismissed else "waiting", "undo": _ids(params.get("dismissed", "")),
            "restored": params.get("restored", "").isdigit(),
        }  # fmt: skip
        return render(request, "inbox.html", context)

    async def _taught(self, alias_id: str | None) -> tuple[Alias, str | None] | None:
        """The phrasing just taught, and what the assistant answers it with now."""
        if not alias_id or not alias_id.isdigit():
            return None
        found = [a for a in await self.site.run(self.site.aliases.all) if a.id == int(alias_id)]
        return (found[0], self._suggest(found[0].text)[1]) if found else None

    # --- actions ---------------------------------------------------------------------------
    def _teaching(self, form: FormData) -> tuple[str, list[str]] | None:
        """The procedure and the group's phrasings a teaching form names, if it names a known one."""
        procedure = form.get("procedure")
        texts = [t for t in form.getlist("text") if isinstance(t, str) and t.strip()][:TAUGHT_PER_GROUP]
        if not isinstance(procedure, str) or procedure not in self.site.procedures or not texts:
            return None
        return procedure, texts

    async def preview(self, request: Request, visitor: Visitor) -> Response:
        """Before teaching: what the assistant answers the phrasings (and the ways people type them)
        now and once taught, from matchers of the preview's own; "Save" posts to :meth:`assign`."""
        form = await request.form()
        teaching = self._teaching(form)
        if teaching is None:
            return problem(request, 400, tr("Choose a procedure."), visitor)
        procedure, texts = teaching
        rows: list[PreviewRow] = []
        if self.site.kb is not None and self.site.matcher is not None:
            stored = [(a.procedure, a.text) for a in await self.site.run(self.site.aliases.all)]
            rows = await self.site.run(preview, self.site.kb, stored, procedure, texts)
        context = {
            "title": tr("Check before teaching"), "visitor": visitor, "procedure": procedure, "texts": texts,
            "rows": rows, "back": _field(form, "back"), "name": self.site.procedure_name, "describe": self._describe,
            "misses": [r.text for r in rows if r.taught and not r.after.answers(procedure)],
        }  # fmt: skip
        return render(request, "inbox_preview.html", context)

    def _describe(self, answer: Answer) -> str:
        """What the assistant does with a question, in words."""
        if answer.decision is Decision.ANSWER:
            return self.site.procedure_name(answer.procedures[0])
        if answer.decision is Decision.CLARIFY:
            return tr("Asks back: {choices}").format(choices=" / ".join(map(self.site.procedure_name, answer.procedures)))
        if answer.decision is Decision.NOT_COVERED:
            return tr("Says it does not guide this procedure")
        return tr("Does not understand")

    async def assign(self, request: Request, visitor: Visitor) -> Response:
        """Teach the matcher a group's phrasings for a procedure: stored, then applied at once."""
        form = await request.form()
        teaching = self._teaching(form)
        if teaching is None:
            return problem(request, 400, tr("Choose a procedure."), visitor)
        procedure, texts = teaching
        stored = await self.site.teach(procedure, texts, visitor.user.username)
        for alias in stored:
            await self.site.audit(visitor, "alias_assigned", f"{procedure}: {alias.text}")
        return redirect(_return_to(form, taught=str(stored[0].id)))

    async def dismiss(self, request: Request, visitor: Visitor) -> Response:
        """Set the ticked groups aside: every text of each (as the page grouped them) is dismissed,
        so the group stays out of the inbox; the usage events are untouched."""
        form = await request.form()
        picked = [t for t in form.getlist("item") if isinstance(t, str) and t.strip()][:PICKED_MAX]
        if not picked:
            return problem(request, 400, tr("Tick at least one question to dismiss."), visitor)
        view = await self.site.run(self._view, dict(parse_qsl(_field(form, "back"))))
        texts: set[str] = set(picked)
        for group in view.groups:
            if group.waiting and not group.texts.keys().isdisjoint(picked):
                texts.update(group.texts)
        made = await self.site.run(self.site.dismissals.dismiss, texts, visitor.user.username)
        await self.site.audit(visitor, "inbox_dismissed", f"{len(picked)} groups: " + " | ".join(picked)[:500])
        return redirect(_return_to(form, dismissed=",".join(map(str, made)) or None))

    async def restore(self, request: Request, visitor: Visitor) -> Response:
        """Undo dismissals (just made, or chosen in the "Dismissed" view) by their ids."""
        form = await request.form()
        ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()][: PICKED_MAX * 20]
        if not ids:
            return problem(request, 400, tr("Nothing to restore."), visitor)
        count = await self.site.run(self.site.dismissals.restore, ids)
        await self.site.audit(visitor, "inbox_restored", f"{count} questions")
        return redirect(_return_to(form, restored=str(count)))

    # --- export ----------------------------------------------------------------------------
    async def export_inbox(self, request: Request, visitor: Visitor) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in MEDIA_TYPES:
            return problem(request, 404, tr("Not found"), visitor)
        groups = (await self.site.run(self._view, request.query_params)).waiting
        sheet = Sheet(tr("Inbox"), [tr("Asked"), tr("Question"), tr("Also asked as"), tr("Last asked")],
                      [[g.count, g.text, " | ".join(g.variants), g.last_seen] for g in groups])  # fmt: skip
        body = await self.site.run(to_xlsx, [sheet]) if fmt == "xlsx" else b"".join(csv_chunks([sheet]))
        await self.site.audit(visitor, "export", f"inbox {fmt}")
        return download(body, f"trolyso-inbox.{fmt}", fmt)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _back(query: str) -> str:
    """The page's own query string without the one-action reports, for its forms to return to."""
    return urlencode([(k, v) for k, v in parse_qsl(query) if k not in TRANSIENT])


def _return_to(form: FormData, **report: str | None) -> str:
    """The inbox page the form came from (its ``back`` field), with what the action did."""
    params = [(k, v) for k, v in parse_qsl(_field(form, "back")) if k not in TRANSIENT]
    params += [(k, v) for k, v in report.items() if v is not None]
    return "/admin/inbox?" + urlencode(params) if params else "/admin/inbox"


def _ids(value: str) -> list[int]:
    """Dismissal ids from ``?dismissed=1,2,3`` (for the undo button); junk is ignored."""
    return [int(v) for v in value.split(",")[: PICKED_MAX * 20] if v.isdigit()]
