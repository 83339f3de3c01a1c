"""Volunteers: their own commune's numbers, never another commune's, never what citizens typed."""

from __future__ import annotations

import httpx
import pytest

from bot.admin.site import AdminSite
from tests.admin.conftest import csrf_of, login
from tests.admin.data import SO_DO

ADMIN_ONLY = ("/admin/inbox", "/admin/events", "/admin/aliases", "/admin/aliases.yaml", "/admin/users",
              "/admin/audit", "/admin/export/overview.csv", "/admin/export/inbox.csv",
              "/admin/export/events.xlsx")  # fmt: skip


@pytest.fixture
async def volunteer(seeded: AdminSite, client: httpx.AsyncClient) -> httpx.AsyncClient:
    assert (await login(client, "anh.tuan")).status_code == 303
    return client


@pytest.mark.parametrize("path", ADMIN_ONLY)
async def test_a_volunteer_cannot_open_admin_pages(volunteer: httpx.AsyncClient, path: str) -> None:
    """Every admin page and export answers a volunteer with 403."""
    response = await volunteer.get(path)
    assert response.status_code == 403
    assert "Bạn không có quyền mở trang này." in response.text
    assert not any(text in response.text for text in SO_DO)


async def test_a_volunteer_cannot_post_admin_actions(volunteer: httpx.AsyncClient, seeded: AdminSite) -> None:
    """Assigning a question or creating a user is refused even with a valid CSRF token."""
    token = csrf_of((await volunteer.get("/admin/commune")).text)
    for path, data in (("/admin/inbox/assign", {"procedure": "vneid", "text": SO_DO[0]}),
                       ("/admin/users", {"username": "x1", "role": "admin", "password": "a-long-password"})):  # fmt: skip
        assert (await volunteer.post(path, data={**data, "csrf": token})).status_code == 403
    assert seeded.aliases.all() == []
    assert [u.username for u in seeded.accounts.all()] == ["anh.tuan", "chi.lan"]


async def test_a_volunteer_lands_on_their_commune(volunteer: httpx.AsyncClient) -> None:
    """/admin takes a volunteer to their commune's page, which shows its numbers and no question."""
    response = await volunteer.get("/admin", follow_redirects=True)
    assert response.status_code == 200
    assert str(response.url).endswith("/admin/commune")
    assert "<h1>Xã Tân Phú</h1>" in response.text
    assert "Phường An Hòa" not in response.text
    assert not any(text in response.text for text in (*SO_DO, "lam cccd o dau", "kich hoat vneid"))


async def test_a_volunteer_cannot_see_another_commune(volunteer: httpx.AsyncClient) -> None:
    """Another commune's page, export or report is 403 for a volunteer."""
    for path in ("/admin/commune?name=Phường An Hòa", "/admin/export/commune.csv?name=Phường An Hòa",
                 "/admin/report/download?year=2026&quarter=4&commune=Phường An Hòa&format=xlsx"):  # fmt: skip
        assert (await volunteer.get(path)).status_code == 403


async def test_a_volunteer_exports_and_reports_their_commune(volunteer: httpx.AsyncClient) -> None:
    """A volunteer downloads their commune's CSV and quarterly report, without question texts."""
    csv_file = await volunteer.get("/admin/export/commune.csv")
    assert csv_file.status_code == 200
    body = csv_file.content.decode("utf-8-sig")
    assert "Xã Tân Phú" in body
    assert not any(text in body for text in SO_DO)
    report = await volunteer.get("/admin/report/download?year=2026&quarter=4&format=pdf")
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF")
