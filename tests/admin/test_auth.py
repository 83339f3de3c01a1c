"""Logging in: argon2 hashes, signed session cookies, CSRF on every form, throttling, expiry, logout."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bot.admin.accounts import AccountError, Accounts
from bot.admin.auth import SESSION_COOKIE, Throttle
from bot.admin.schema import admin_users
from bot.admin.site import AdminSite
from tests.admin.conftest import PASSWORD, csrf_of, login
from tests.admin.data import Clock


def test_passwords_are_stored_as_argon2_hashes(seeded: AdminSite) -> None:
    """Only an argon2id hash is stored, and it verifies the right password only."""
    with seeded.db.connect() as connection:
        stored = connection.execute(sa.select(admin_users.c.password_hash).where(
            admin_users.c.username == "chi.lan")).scalar_one()  # fmt: skip
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert seeded.accounts.authenticate("chi.lan", PASSWORD) is not None
    assert seeded.accounts.authenticate("Chi.Lan ", PASSWORD) is not None, "names are case-blind"
    assert seeded.accounts.authenticate("chi.lan", PASSWORD + "x") is None
    assert seeded.accounts.authenticate("nobody", PASSWORD) is None


async def test_an_outdated_hash_is_upgraded_at_login(site: AdminSite, client: httpx.AsyncClient) -> None:
    """A hash made with weaker argon2 settings is replaced at login, and the new session works."""
    weak = Accounts(site.db, PasswordHasher(time_cost=1, memory_cost=4 * 1024, parallelism=1))
    weak.create("lan", PASSWORD, "admin")
    assert (await login(client, "lan")).status_code == 303
    assert (await client.get("/admin")).status_code == 200
    user = site.accounts.get_by_name("lan")
    assert user is not None
    assert "m=8192" in user.password_hash


def test_weak_passwords_and_bad_users_are_refused(site: AdminSite) -> None:
    """Short passwords, volunteers without a commune, odd names and taken names are refused."""
    with pytest.raises(AccountError, match="too short"):
        site.accounts.create("lan", "short", "admin")
    with pytest.raises(AccountError, match="commune"):
        site.accounts.create("lan", PASSWORD, "volunteer")
    with pytest.raises(AccountError, match="username"):
        site.accounts.create("Lan Anh!", PASSWORD, "admin")
    site.accounts.create("lan", PASSWORD, "admin")
    with pytest.raises(AccountError, match="taken"):
        site.accounts.create("LAN", PASSWORD, "admin")


async def test_login_sets_a_protected_cookie_and_opens_the_overview(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """A right password gives an HttpOnly, SameSite=Lax session cookie scoped to /admin."""
    response = await login(client, "chi.lan")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie, "plain http on loopback: a Secure cookie would never come back"
    page = await client.get("/admin")
    assert page.status_code == 200
    assert "Tổng quan" in page.text


async def test_the_cookie_is_secure_over_https(seeded: AdminSite) -> None:
    """Served over https (as behind the province's proxy), the session cookie is Secure."""
    from starlette.applications import Starlette

    transport = httpx.ASGITransport(app=Starlette(routes=seeded.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="https://admin.example") as client:
        response = await login(client, "chi.lan")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie


async def test_pages_need_a_login(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Without a session every page sends the visitor to the login form, keeping where they were going."""
    response = await client.get("/admin/inbox?days=7")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Finbox%3Fdays%3D7"


async def test_a_forged_cookie_is_refused(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """A cookie not signed with our key is no session."""
    client.cookies.set(SESSION_COOKIE, "WzEsImFiYyIsMTAwMDAwMDAwMDAsIngiXQ.forged", path="/admin")
    assert (await client.get("/admin")).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Logged in, a form posted without (or with a wrong) CSRF token gets 403 and changes nothing."""
    await login(client, "chi.lan")
    for data in ({"procedure": "vneid", "text": "abc"}, {"procedure": "vneid", "text": "abc", "csrf": "wrong"}):
        response = await client.post("/admin/inbox/assign", data=data)
        assert response.status_code == 403
    assert seeded.aliases.all() == []
    page = await client.get("/admin/inbox")
    response = await client.post("/admin/inbox/assign",
                                 data={"procedure": "vneid", "text": "abc", "csrf": csrf_of(page.text)})  # fmt: skip
    assert response.status_code == 303


async def test_the_login_form_has_its_own_csrf_token(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """A login posted from elsewhere (no token from our form) is refused before the password is checked."""
    response = await client.post("/admin/login", data={"username": "chi.lan", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_wrong_passwords_are_throttled(seeded: AdminSite, client: httpx.AsyncClient, clock: Clock) -> None:
    """After 3 wrong passwords even the right one must wait; the wait doubles; it ends by itself."""
    for _ in range(2):
        assert (await login(client, "chi.lan", "wrong-password")).status_code == 401
    third = await login(client, "chi.lan", "wrong-password")
    assert third.status_code == 429
    assert third.headers["retry-after"] == "31"
    assert "Vui lòng thử lại sau 31 giây." in third.text
    assert (await login(client, "chi.lan")).status_code == 429, "the right password waits too"
    clock.advance(seconds=31)
    fourth = await login(client, "chi.lan", "wrong-password")
    assert fourth.status_code == 429
    assert fourth.headers["retry-after"] == "61"
    clock.advance(seconds=61)
    assert (await login(client, "chi.lan")).status_code == 303
    client.cookies.clear()
    assert (await login(client, "chi.lan", "wrong-password")).status_code == 401, "a success clears the count"


def test_throttling_is_per_username_and_address() -> None:
    """Misses from one address do not slow the same user elsewhere, nor other users there."""
    now = [0.0]
    throttle = Throttle(attempts=2, base=10, cap=40, clock=lambda: now[0])
    throttle.failed("lan", "10.0.0.1")
    assert throttle.failed("lan", "10.0.0.1") == 10
    assert throttle.wait("LAN", "10.0.0.1") == 10
    assert throttle.wait("lan", "10.0.0.2") == 0
    assert throttle.wait("tuan", "10.0.0.1") == 0
    assert [throttle.failed("lan", "10.0.0.1") for _ in range(3)] == [20, 40, 40], "capped"


async def test_sessions_expire(seeded: AdminSite, client: httpx.AsyncClient, clock: Clock) -> None:
    """A session is refused once it is older than the configured 8 hours."""
    await login(client, "chi.lan")
    clock.advance(hours=7, minutes=59)
    assert (await client.get("/admin")).status_code == 200
    clock.advance(minutes=2)
    assert (await client.get("/admin")).status_code == 303


async def test_logout_ends_the_session(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Logging out clears the cookie; the pages ask for a login again."""
    await login(client, "chi.lan")
    page = await client.get("/admin")
    response = await client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert (await client.get("/admin")).status_code == 303


async def test_a_deactivated_user_is_out_at_once(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Deactivating a user ends their open session on its next request."""
    await login(client, "anh.tuan")
    assert (await client.get("/admin/commune")).status_code == 200
    seeded.accounts.set_active("anh.tuan", False)
    assert (await client.get("/admin/commune")).status_code == 303
    assert (await login(client, "anh.tuan")).status_code == 401


async def test_a_one_time_password_must_be_changed_first(site: AdminSite, client: httpx.AsyncClient) -> None:
    """With a one-time password every page leads to the password form until a new one is set,
    and the old password stops working."""
    site.accounts.create("admin", "one-time-password", "admin", must_change_password=True)
    response = await login(client, "admin", "one-time-password")
    assert response.headers["location"] == "/admin/password"
    assert (await client.get("/admin/inbox")).headers["location"] == "/admin/password"
    form = await client.get("/admin/password")
    token = csrf_of(form.text)
    short = await client.post("/admin/password", data={"csrf": token, "current": "one-time-password",
                                                       "new": "short", "again": "short"})  # fmt: skip
    assert short.status_code == 400
    done = await client.post("/admin/password", data={"csrf": token, "current": "one-time-password",
                                                      "new": PASSWORD, "again": PASSWORD})  # fmt: skip
    assert done.status_code == 303
    assert (await client.get("/admin/inbox")).status_code == 200, "the new session cookie works"
    assert site.accounts.authenticate("admin", "one-time-password") is None
