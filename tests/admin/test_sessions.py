"""Admin sessions are server-side: logging out, changing the password, deactivating a user and
"end all my sessions" end them at once, for every copy of the cookie and on every worker (two
AdminSites over one database stand for two workers)."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from bot.admin.auth import SESSION_COOKIE
from bot.admin.site import AdminSite
from bot.storage.tables import admin_sessions
from tests.admin.conftest import FAST_HASHER, PASSWORD, csrf_of, login


def _copy(client: httpx.AsyncClient, app: Starlette) -> httpx.AsyncClient:
    """Another browser (or an attacker) holding the same session cookie, talking to ``app``."""
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    other.cookies.set(SESSION_COOKIE, value, path="/admin")
    return other


def _second_worker(site: AdminSite) -> Starlette:
    worker = AdminSite(site.core, site.settings, site.config, hasher=FAST_HASHER, clock=site.clock,
                       timer=site.sessions.clock)  # fmt: skip
    return Starlette(routes=worker.routes())


async def test_logout_ends_the_cookie_everywhere(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """After logout, a saved copy of the cookie is refused by this worker and by another."""
    await login(client, "chi.lan")
    async with _copy(client, _second_worker(seeded)) as stolen:
        assert (await stolen.get("/admin")).status_code == 200
        page = await client.get("/admin")
        await client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
        assert (await stolen.get("/admin")).status_code == 303
    async with _copy(stolen, Starlette(routes=seeded.routes())) as again:
        assert (await again.get("/admin")).status_code == 303


async def test_a_password_change_ends_the_other_sessions(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Changing the password ends every other session of the user; this browser gets a new one."""
    await login(client, "chi.lan")
    async with _copy(client, _second_worker(seeded)) as elsewhere:
        form = await client.get("/admin/password")
        done = await client.post("/admin/password", data={"csrf": csrf_of(form.text), "current": PASSWORD,
                                                          "new": PASSWORD + "-2", "again": PASSWORD + "-2"})  # fmt: skip
        assert done.status_code == 303
        assert (await elsewhere.get("/admin")).status_code == 303
    assert (await client.get("/admin")).status_code == 200


async def test_deactivating_a_user_ends_their_sessions(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """An admin deactivating a volunteer ends the volunteer's sessions on every worker at once."""
    await login(client, "anh.tuan")
    assert (await client.get("/admin/commune")).status_code == 200
    seeded.accounts.set_active("anh.tuan", False)
    seeded.accounts.set_active("anh.tuan", True)  # even switched back on, the old session stays ended
    assert (await client.get("/admin/commune")).status_code == 303


async def test_end_all_my_sessions(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """"End all my sessions" ends this one and every other, and says so in the audit log."""
    await login(client, "chi.lan")
    async with _copy(client, Starlette(routes=seeded.routes())) as other:
        form = await client.get("/admin/password")
        assert 'action="/admin/sessions/end"' in form.text
        response = await client.post("/admin/sessions/end", data={"csrf": csrf_of(form.text)})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login"
        assert (await client.get("/admin")).status_code == 303
        assert (await other.get("/admin")).status_code == 303
    assert any(e.action == "sessions_ended" for e in seeded.accounts.audit_log())


async def test_the_table_keeps_no_usable_token(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """The database holds the token's hash only: its rows cannot be replayed as cookies."""
    await login(client, "chi.lan")
    with seeded.db.connect() as connection:
        ids = connection.execute(sa.select(admin_sessions.c.id)).scalars().all()
    assert len(ids) == 1
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    assert ids[0] not in cookie
    client.cookies.set(SESSION_COOKIE, ids[0], path="/admin")
    assert (await client.get("/admin")).status_code == 303


