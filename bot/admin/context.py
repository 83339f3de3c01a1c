"""What every dashboard page stands on: the logged-in visitor, the guard, the database, names of
procedures and communes, the taught phrasings and the site's background work.

Page modules receive an :class:`AdminContext` and never import one another nor
:mod:`bot.admin.site`, which wires them together (tests/test_layering.py checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TextIO, TypeVar
from urllib.parse import urlencode

import sqlalchemy as sa
from argon2 import PasswordHasher
from starlette.requests import Request
from starlette.responses import Response

from bot.admin.accounts import Accounts, User
from bot.admin.aliases import NOTICE_TOPIC, Alias, LearnedAliases
from bot.admin.auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    PasswordChecks,
    Session,
    Sessions,
    Throttle,
    csrf_ok,
    session_key,
)
from bot.admin.community_queries import NOWHERE
from bot.admin.config import AdminConfig
from bot.admin.dismissals import InboxDismissals
from bot.admin.texts import tr
from bot.admin.web import problem, redirect, secure
from bot.app import App, communes
from bot.coord.notices import Notices
from bot.core import i18n
from bot.core.commune_names import commune_key, commune_name
from bot.core.matcher import Matcher
from bot.data.communes import CommuneBook
from bot.data.knowledge import KnowledgeBase
from bot.data.models import Procedure
from bot.ratelimit import RateLimiter, Rule, parse_proxies
from bot.usage.pseudonym import usage_secret
from bot.usage.rows import local_day

log = logging.getLogger("bot.admin")

T = TypeVar("T")


@dataclass(frozen=True)
class Visitor:
    """A logged-in user on this request."""

    user: User
    session: Session

    @property
    def csrf(self) -> str:
        return self.session.csrf


Handler = Callable[[Request, Visitor], Awaitable[Response]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AdminContext:
    """Everything a dashboard page needs, built once per worker: the database, the accounts and
    sessions, the guard, names of procedures and communes. :class:`bot.admin.site.AdminSite` adds
    the pages' routes on top."""

    def __init__(self, core: App, settings: Any, config: AdminConfig | None = None, *,
                 hasher: PasswordHasher | None = None, clock: Callable[[], datetime] = _utc_now,
                 timer: Callable[[], float] | None = None, stderr: TextIO | None = None,
                 limiter: RateLimiter | None = None) -> None:  # fmt: skip
        self.core = core
        self.limiter = limiter or RateLimiter.from_settings(settings)
        self.settings = settings
        self.config = config or AdminConfig.from_settings(settings)
        self.db: sa.Engine = core.db
        self.clock = clock
        self.accounts = Accounts(self.db, hasher, clock)
        # A test double of the engine may have no knowledge base or matcher: the dashboard then
        # shows procedure ids and cannot teach phrasings, but works otherwise.
        kb: KnowledgeBase | None = getattr(core.engine, "kb", None)
        self.kb = kb
        self.procedures: dict[str, Procedure] = dict(kb.procedures) if kb is not None else {}
        self.matcher: Matcher | None = getattr(core.engine, "matcher", None)
        self.aliases = LearnedAliases(self.db, self.matcher, self.procedures, clock)
        self.dismissals = InboxDismissals(self.db, clock)
        key = session_key(usage_secret(settings))
        self.sessions = Sessions(key, self.config.session_hours, self.db, *([timer] if timer else []))
        self.proxies = parse_proxies(getattr(settings, "trusted_proxies", ""))
        self.login_per_address = Rule.parse("login_address", getattr(settings, "login_rate_per_address", "10/minute;50/hour"))
        self.login_global = Rule.parse("login_global", getattr(settings, "login_rate_global", "60/minute"))
        self.checks = PasswordChecks(int(getattr(settings, "login_concurrency", 2) or 2))
        self.throttle = Throttle(self.config.login_attempts, self.config.lockout_seconds,
                                 self.config.lockout_max_seconds, *([timer] if timer else []))  # fmt: skip
        self._refresher: asyncio.Task[None] | None = None
        # Phrasings taught in another worker: its notice makes this one look at once.
        self.notices: Notices = getattr(core, "notices", None) or Notices()
        self._reloading: asyncio.Task[None] | None = None
        self._reload_again = False
        self._warmer: asyncio.Future[None] | None = None
        self._stderr = stderr or sys.stderr
        self._prepare()

    def _prepare(self) -> None:
        try:
            count = self.aliases.apply(self.aliases.fetch_new())
            if count:
                log.info("admin: %d taught phrasings loaded into the matcher", count)
        except sa.exc.SQLAlchemyError:
            # The chat must keep working; the dashboard says what is wrong when opened.
            log.exception("admin: the dashboard's tables are missing or unreadable; run `trolyso db upgrade`")

    def _bootstrap(self) -> None:
        """On the embedded SQLite default with no admin yet: one with a one-time password."""
        if not (self.config.bootstrap and self.db.dialect.name == "sqlite"):
            return
        from bot.admin.cli import bootstrap_admin

        try:
            bootstrap_admin(self.accounts, self._stderr)
        except sa.exc.SQLAlchemyError:
            log.exception("admin: could not create the first admin; run `trolyso db upgrade`")

    # --- names and time --------------------------------------------------------------------
    def today(self) -> date:
        return local_day(self.clock())

    def procedure_name(self, procedure: str) -> str:
        proc = self.procedures.get(procedure)
        if proc is None:
            return tr("Requests for a person") if procedure == "human_help" else procedure
        return proc.names.get(i18n.current())

    def procedure_ids(self) -> list[str]:
        return list(self.procedures)

    @property
    def communes(self) -> CommuneBook:
        """knowledge/communes.yaml, as the help desk and the usage log name communes."""
        return communes()

    def commune_name(self, commune: str | None, none: str = "") -> str:
        """A stored commune (an id, or a name typed before ids) as pages and files show it."""
        return commune_name(self.communes, commune, none)

    def own_commune(self, user: User) -> str | None:
        """The commune whose numbers a volunteer may see, as the usage log and the help desk store
        it (their commune's id when it names a unit, else the value as typed; :data:`NOWHERE`, which
        matches nothing, without one); None for an admin."""
        return None if user.is_admin else commune_key(self.communes, user.commune) or NOWHERE

    # --- plumbing --------------------------------------------------------------------------
    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Database (and argon2) work off the event loop."""
        return await asyncio.to_thread(partial(work, *args))

    def lang(self, request: Request) -> str:
        return i18n.pick_language(request.cookies.get(LANG_COOKIE))

    def https(self, request: Request) -> bool:
        """Whether cookies must be Secure: in production always (TLS ends at a proxy that may speak
        plain http to us), else when this request came over https."""
        return bool(getattr(self.settings, "production", False)) or request.url.scheme == "https"

    async def visitor(self, request: Request) -> Visitor | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = await self.run(self._visitor, cookie)
        return found

    def _visitor(self, cookie: str) -> Visitor | None:
        """The session row and its user, in one trip off the event loop."""
        session = self.sessions.read(cookie)
        if session is None:
            return None
        user = self.accounts.get(session.user_id)
        if user is None or not self.sessions.valid_for(session, user):
            return None
        return Visitor(user, session)

    def guard(self, handler: Handler, admin_only: bool = True) -> Callable[[Request], Awaitable[Response]]:
        """Only logged-in users (admins, unless ``admin_only`` is False) reach ``handler``; every
        POST must carry the session's CSRF token."""

        async def endpoint(request: Request) -> Response:
            with i18n.use(self.lang(request)):
                visitor = await self.visitor(request)
                if visitor is None:
                    if request.method != "GET":
                        return problem(request, 403, tr("The form expired; please try again."))
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return redirect("/admin/login?" + _next(target))
                if visitor.user.must_change_password and request.url.path != "/admin/password":
                    return redirect("/admin/password")
                if admin_only and not visitor.user.is_admin:
                    return problem(request, 403, tr("You are not allowed to open this page."), visitor)
                if request.method == "POST":
                    form = await request.form()
                    token = form.get("csrf")
                    if not csrf_ok(visitor.session, token if isinstance(token, str) else None):
                        return problem(request, 403, tr("The form expired; please try again."), visitor)
                return secure(await handler(request, visitor))

        return endpoint

    async def audit(self, visitor: Visitor | str, action: str, detail: str | None = None) -> None:
        name = visitor if isinstance(visitor, str) else visitor.user.username
        await self.run(self.accounts.audit, name, action, detail)

    async def start(self) -> None:
        """Make the first admin if needed (see :func:`bot.admin.cli.bootstrap_admin`), then pick up
        phrasings taught in other workers every few seconds, and count the people of past days in
        the background, so the first visit to a long period is as quick as the next."""
        await self.run(self._bootstrap)
        loop = asyncio.get_running_loop()
        self.notices.subscribe(NOTICE_TOPIC, self._heard)
        if self._refresher is None and self.config.alias_refresh_seconds > 0:
            self._refresher = loop.create_task(self._refresh(), name="admin-aliases")
        if self._warmer is None:
            self._warmer = loop.create_task(self.run(self._count_past_people), name="admin-people")

    async def stop(self) -> None:
        self.notices.unsubscribe(NOTICE_TOPIC, self._heard)
        for task in (self._refresher, self._warmer, self._reloading):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._refresher = self._warmer = self._reloading = None

    def _count_past_people(self) -> None:
        from bot.admin.params import MAX_DAYS
        from bot.admin.people import OPEN_DAYS, fill

        today = self.today()
        try:
            with self.db.connect() as connection:
                days = fill(connection, today - timedelta(days=MAX_DAYS), today - timedelta(days=OPEN_DAYS))
            if days:
                log.info("admin: counted the people of %d past days", days)
        except sa.exc.SQLAlchemyError:
            log.exception("admin: could not count past days' people; pages will count them when opened")

    async def refresh_aliases(self) -> int:
        """Teach this worker's matcher what other workers stored since; returns how many."""
        return self.aliases.apply(await self.run(self.aliases.fetch_new))

    async def teach(self, procedure: str, texts: list[str], username: str) -> list[Alias]:
        """Store phrasings, teach this worker's matcher, and tell the other workers."""
        stored = [await self.run(self.aliases.store, procedure, text, username) for text in texts]
        self.aliases.apply(await self.run(self.aliases.fetch_new))
        await self.notices.publish(NOTICE_TOPIC, str(max(a.id for a in stored)))
        return stored

    def _heard(self, _key: str | None) -> None:
        """Another worker taught a phrasing (or Redis was away): load what is new, one look at a time."""
        if self._reloading is not None and not self._reloading.done():
            self._reload_again = True  # the look under way may have read before that row was written
            return
        self._reloading = asyncio.get_running_loop().create_task(self._reload(), name="admin-aliases-notice")

    async def _reload(self) -> None:
        self._reload_again = True
        while self._reload_again:
            self._reload_again = False
            try:
                count = await self.refresh_aliases()
            except Exception:  # the periodic look tries again
                log.exception("admin: could not load taught phrasings; trying again later")
                return
            if count:
                log.info("admin: %d phrasings taught in another worker loaded", count)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.config.alias_refresh_seconds)
            try:
                await self.refresh_aliases()
            except Exception:
                log.exception("admin: could not load taught phrasings; trying again later")


def _next(target: str) -> str:
    return urlencode({"next": target})
