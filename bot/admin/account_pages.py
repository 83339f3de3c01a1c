"""Logging in and out, passwords, language, users and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.admin.accounts import MIN_PASSWORD, AccountError
from bot.admin.auth import COOKIE_PATH, LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE
from bot.admin.texts import tr
from bot.admin.web import problem, redirect, render
from bot.core import i18n
from bot.core.commune_names import commune_and_id, find_commune
from bot.core.text import fold
from bot.ratelimit import request_address

if TYPE_CHECKING:
    from bot.admin.context import AdminContext, Visitor

AUDIT_PAGE = 100


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a dashboard path only, never another site."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"


def _field(form: FormData, name: str) -> str:
    """A text field of a form ("" when absent); passwords are taken exactly as typed."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


class AccountPages:
    def __init__(self, site: AdminContext) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        guard = self.site.guard
        return [
            Route("/admin/login", self.login, methods=["GET", "POST"]),
            Route("/admin/lang", self.lang),
            Route("/admin/logout", guard(self.logout, admin_only=False), methods=["POST"]),
            Route("/admin/sessions/end", guard(self.end_sessions, admin_only=False), methods=["POST"]),
            Route("/admin/password", guard(self.password, admin_only=False), methods=["GET", "POST"]),
            Route("/admin/users", guard(self.users), methods=["GET", "POST"]),
            Route("/admin/users/active", guard(self.set_active), methods=["POST"]),
            Route("/admin/audit", guard(self.audit_log)),
        ]

    # --- login -----------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        site = self.site
        with i18n.use(site.lang(request)):
            if request.method == "GET":
                if await site.visitor(request) is not None:
                    return redirect(safe_next(request.query_params.get("next")))
                return self._login_form(request, request.query_params.get("next"), "", None)
            form = await request.form()
            username, password = _field(form, "username").strip(), _field(form, "password")
            target = _field(form, "next")
            if not site.sessions.login_token_matches(request.cookies.get(LOGIN_COOKIE), _field(form, "csrf")):
                return problem(request, 403, tr("The form expired; please try again."))
            address = request_address(request, site.proxies)  # X-Forwarded-For only from trusted proxies
            wait = site.throttle.wait(username, address)
            if wait > 0:
                return self._throttled(request, target, username, wait)
            # Each check costs argon2 time: budgets per address and for everyone, whatever the username.
            wait = await site.limiter.hit(site.login_per_address, address) if username else 0.0
            wait = wait or (await site.limiter.hit(site.login_global, "all") if username else 0.0)
            if wait > 0:
                return self._throttled(request, target, username, wait, tr("Too many login attempts. Try again in {seconds} seconds."))
            user = await site.checks.run(site.accounts.authenticate, username, password) if username else None
            if user is None:
                wait = site.throttle.failed(username, address)
                await site.audit(username[:64] or "?", "login_failed", f"from {address}")
                if wait > 0:
                    return self._throttled(request, target, username, wait)
                return self._login_form(request, target, username, tr("Wrong username or password."), 401)
            site.throttle.succeeded(username, address)
            cookie, _session = await site.run(site.sessions.issue, user)
            await site.audit(user.username, "login", f"from {address}")
            response = redirect("/admin/password" if user.must_change_password else safe_next(target))
            self._set_session(request, response, cookie)
            response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
            return response

    def _login_form(self, request: Request, target: str | None, username: str, error: str | None,
                    status: int = 200) -> Response:  # fmt: skip
        token, cookie = self.site.sessions.login_token()
        context = {"title": tr("Log in"), "csrf": token, "next": safe_next(target), "username": username,
                   "error": error, "visitor": None}  # fmt: skip
        response = render(request, "login.html", context, status)
        response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, path=COOKIE_PATH, httponly=True,
                            samesite="lax", secure=self.site.https(request))  # fmt: skip
        return response

    def _throttled(self, request: Request, target: str, username: str, wait: float, text: str | None = None) -> Response:
        text = text or tr("Too many wrong passwords. Try again in {seconds} seconds.")
        message = text.format(seconds=int(wait) + 1)
        response = self._login_form(request, target, username, message, 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response

    def _set_session(self, request: Request, response: Response, cookie: str) -> None:
        response.set_cookie(SESSION_COOKIE, cookie, max_age=int(self.site.sessions.max_age), path=COOKIE_PATH,
                            httponly=True, samesite="lax", secure=self.site.https(request))  # fmt: skip

    async def logout(self, request: Request, visitor: Visitor) -> Response:
        await self.site.run(self.site.sessions.revoke, visitor.session.id)  # the cookie is dead everywhere
        await self.site.audit(visitor, "logout")
        response = redirect("/admin/login")
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response

    async def end_sessions(self, request: Request, visitor: Visitor) -> Response:
        """End every session of this user, this one included (a lost phone, a shared computer)."""
        ended = await self.site.run(self.site.sessions.revoke_user, visitor.user.id)
        await self.site.audit(visitor, "sessions_ended", str(ended))
        response = redirect("/admin/login")
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response

    async def lang(self, request: Request) -> Response:
        """Switch the dashboard's language (a preference, so a plain link; nothing else changes)."""
        lang = i18n.pick_language(request.query_params.get("to"))
        response = redirect(safe_next(request.query_params.get("next")))
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path=COOKIE_PATH, samesite="lax",
                            httponly=True, secure=self.site.https(request))  # fmt: skip
        return response

    # --- password --------------------------------------------------------------------------
    async def password(self, request: Request, visitor: Visitor) -> Response:
        site = self.site
        error = None
        if request.method == "POST":
            form = await request.form()
            current, new, again = _field(form, "current"), _field(form, "new"), _field(form, "again")
            if new != again:
                error = tr("The two new passwords differ.")
            elif len(new) < MIN_PASSWORD:
                error = tr("Use at least {n} characters.").format(n=MIN_PASSWORD)
            elif await site.checks.run(site.accounts.authenticate, visitor.user.username, current) is None:
                error = tr("The current password is wrong.")
            else:
                await site.run(site.accounts.set_password, visitor.user.username, new)  # ends every session
                await site.audit(visitor, "password_changed")
                user = await site.run(site.accounts.get, visitor.user.id)
                assert user is not None
                response = redirect("/admin?" + urlencode({"done": "password"}))
                self._set_session(request, response, (await site.run(site.sessions.issue, user))[0])
                return response
        context = {"title": tr("Change password"), "visitor": visitor, "error": error, "min": MIN_PASSWORD,
                   "forced": visitor.user.must_change_password}  # fmt: skip
        return render(request, "password.html", context, 400 if error else 200)

    # --- users and audit -------------------------------------------------------------------
    async def users(self, request: Request, visitor: Visitor) -> Response:
        site = self.site
        error = done = None
        values: dict[str, str] = {}
        if request.method == "POST":
            form = await request.form()
            values = {key: _field(form, key).strip() for key in ("username", "role", "commune")}
            commune, error = self._commune(values["commune"])
            if error is None:
                try:
                    user = await site.run(site.accounts.create, values["username"], _field(form, "password"),
                                          values["role"], commune, True)  # fmt: skip
                except AccountError as exc:
                    error = str(exc)
                else:
                    place = commune_and_id(site.communes, user.commune)
                    await site.audit(visitor, "user_created", f"{user.username} ({user.role}, {place})")
                    done = tr("User created: {name}.").format(name=user.username)
                    values = {}
        users = await site.run(site.accounts.all)
        book = site.communes
        choices = sorted(((c.id, c.full_name) for c in book.all()), key=lambda c: (fold(c[1]), c[0]))
        context = {"title": tr("Users"), "visitor": visitor, "users": users, "error": error, "done": done,
                   "min": MIN_PASSWORD, "communes": choices, "form": values}  # fmt: skip
        return render(request, "users.html", context, 400 if error else 200)

    def _commune(self, text: str) -> tuple[str | None, str | None]:
        """(the commune to store, an error): the id of the unit ``text`` names (an id from the list,
        or a name, see :func:`find_commune`); as typed when there is no commune list at all."""
        book = self.site.communes
        if not text or not len(book):
            return text or None, None
        found, hits = find_commune(book, text)
        if found is not None:
            return found.id, None
        if hits:
            names = ", ".join(h.commune.full_name for h in hits)
            return None, tr("Which commune is “{text}”? It could be: {names}.").format(text=text[:60], names=names)
        return None, tr("Choose the commune from the list.")

    async def set_active(self, request: Request, visitor: Visitor) -> Response:
        form = await request.form()
        username, active = _field(form, "username"), _field(form, "active") == "1"
        if username == visitor.user.username:
            return problem(request, 403, tr("You are not allowed to open this page."), visitor)
        try:
            await self.site.run(self.site.accounts.set_active, username, active)
        except AccountError:
            return problem(request, 404, tr("Not found"), visitor)
        await self.site.audit(visitor, "user_activated" if active else "user_deactivated", username)
        return redirect("/admin/users")

    async def audit_log(self, request: Request, visitor: Visitor) -> Response:
        page = _page(request)
        entries = await self.site.run(self.site.accounts.audit_log, AUDIT_PAGE + 1, (page - 1) * AUDIT_PAGE)
        context = {"title": tr("Audit log"), "visitor": visitor, "entries": entries[:AUDIT_PAGE], "page": page,
                   "more": len(entries) > AUDIT_PAGE}  # fmt: skip
        return render(request, "audit.html", context)


def _page(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1
