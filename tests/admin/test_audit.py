"""The audit log: who did what, and when, for every admin action."""

from __future__ import annotations

import httpx

from bot.admin.site import AdminSite
from tests.admin.conftest import csrf_of, login
from tests.admin.data import Clock


async def test_admin_actions_are_logged(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Logins (failed too), exports, reports, taught phrasings, users and logout each leave a row."""
    await login(client, "chi.lan", "wrong-password")
    await login(client, "chi.lan")
    await client.get("/admin/export/overview.xlsx?days=7")
    await client.get("/admin/report/download?year=2026&quarter=4&format=xlsx")
    token = csrf_of((await client.get("/admin/inbox")).text)
    await client.post("/admin/inbox/assign", data={"csrf": token, "procedure": "vneid", "text": "app dinh danh"})
    await client.post("/admin/users", data={"csrf": token, "username": "hoa", "role": "volunteer",
                                            "commune": "Xã Tân Phú", "password": "mot-mat-khau-dai"})  # fmt: skip
    await client.post("/admin/users/active", data={"csrf": token, "username": "hoa", "active": "0"})
    await client.post("/admin/logout", data={"csrf": token})
    entries = list(reversed(seeded.accounts.audit_log()))
    assert [(e.username, e.action) for e in entries] == [
        ("chi.lan", "login_failed"), ("chi.lan", "login"), ("chi.lan", "export"), ("chi.lan", "report"),
        ("chi.lan", "alias_assigned"), ("chi.lan", "user_created"), ("chi.lan", "user_deactivated"),
        ("chi.lan", "logout"),
    ]  # fmt: skip
    details = {e.action: e.detail for e in entries}
    assert details["login_failed"] == "from 127.0.0.1"
    assert details["export"] == "overview 2026-11-17..2026-11-23 xlsx"
    assert details["report"] == "Q4/2026 Tỉnh xlsx"
    assert details["alias_assigned"] == "vneid: app dinh danh"
    assert details["user_created"] == "hoa (volunteer, Xã Tân Phú · nghean.xa-tan-phu)", "the name typed, stored by id"
    assert all(e.ts == seeded.clock() for e in entries)


async def test_the_audit_page_lists_the_newest_first(seeded: AdminSite, client: httpx.AsyncClient,
                                                     clock: Clock) -> None:  # fmt: skip
    """The audit page shows the log to an admin, newest entry on top, on Vietnam's clock."""
    seeded.accounts.audit("cli", "user_created", "chi.lan (admin, -)")
    clock.advance(minutes=5)
    await login(client, "chi.lan")
    rows = (await client.get("/admin/audit")).text.split("<tbody>")[1]
    assert rows.index("Đăng nhập") < rows.index("Tạo người dùng")
    assert "23/11/2026 12:05:00" in rows
    assert "23/11/2026 12:00:00" in rows
