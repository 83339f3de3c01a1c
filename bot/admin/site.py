"""The dashboard as a part of the one HTTP app: its routes, its guard, its start-up work.

    admin = AdminSite(core, settings)
    routes.extend(admin.routes())          # in bot.web.app.create_app
    await admin.start() / await admin.stop()  # in the app's lifespan

Building the site loads the taught phrasings into the matcher; starting it creates, on the
embedded SQLite default with no admin yet, one with a one-time password printed to stderr.
This module is the top floor of bot.admin: it wires the page modules, which stand on
:class:`bot.admin.context.AdminContext`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.admin.account_pages import AccountPages
from bot.admin.community_pages import CommunityPages
from bot.admin.context import AdminContext, Handler, Visitor
from bot.admin.guide_pages import GuidePages
from bot.admin.inbox_pages import InboxPages
from bot.admin.pages import DashboardPages
from bot.admin.texts import tr
from bot.admin.tools_pages import ToolPages
from bot.admin.web import STATIC, problem
from bot.core import i18n

__all__ = ["AdminSite", "Handler", "Visitor"]


class AdminSite(AdminContext):
    """The dashboard: its context and every page's routes."""

    # --- wiring ----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            *AccountPages(self).routes(),
            *DashboardPages(self).routes(),
            *InboxPages(self).routes(),
            *ToolPages(self).routes(),
            *CommunityPages(self).routes(),
            *GuidePages(self).routes(),
            Mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static"),
            Route("/admin/{rest:path}", self._not_found, methods=["GET", "POST"]),
        ]

    async def _not_found(self, request: Request) -> Response:
        with i18n.use(self.lang(request)):
            return problem(request, 404, tr("Not found"))
