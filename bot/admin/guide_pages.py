"""The Vietnamese guides of docs/vi/ (volunteers, admins), linked from every dashboard page's
footer: served as they are written (Markdown is readable as plain text), with their screenshots.
A deployment without the docs folder (an installed wheel) answers 404."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.admin.texts import tr
from bot.admin.web import problem, secure

if TYPE_CHECKING:
    from bot.admin.context import AdminContext, Visitor

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "vi"
NAMES = ("quan-tri", "tinh-nguyen-vien")


class GuidePages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin/guide/{name}.md", guard(self.guide, admin_only=False)),
            Route("/admin/guide/img/{file}", guard(self.image, admin_only=False)),
        ]

    async def guide(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        path = GUIDES / f"{name}.md"
        if name not in NAMES or not path.is_file():
            return problem(request, 404, tr("Not found"), visitor)
        return secure(PlainTextResponse(path.read_text(encoding="utf-8"), media_type="text/plain; charset=utf-8"))

    async def image(self, request: Request, visitor: Visitor) -> Response:
        file = request.path_params["file"]
        path = GUIDES / "img" / file
        if "/" in file or not file.endswith(".png") or not path.is_file():
            return problem(request, 404, tr("Not found"), visitor)
        return secure(FileResponse(path, media_type="image/png"))
