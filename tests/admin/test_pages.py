"""Every page answers 200 with the scripted numbers, in Vietnamese by default and in English."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.admin.site import AdminSite
from tests.admin.conftest import csrf_of, login
from tests.admin.data import SO_DO, TAN_PHU


@pytest.fixture
async def admin(seeded: AdminSite, client: httpx.AsyncClient) -> httpx.AsyncClient:
    assert (await login(client, "chi.lan")).status_code == 303
    return client


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="kpi"><span>([^<]+)</span><strong>([^<]+)</strong>', html))


async def test_overview_shows_the_numbers_and_charts(admin: httpx.AsyncClient) -> None:
    """The overview's figures match the script; each chart is an inline SVG; nothing loads from elsewhere."""
    response = await admin.get("/admin")
    assert response.status_code == 200
    assert kpis(response.text) == {"Cuộc trò chuyện": "6", "Câu hỏi": "6", "Tỷ lệ trả lời": "50%",
                                   "Chưa hiểu": "3", "Câu trả lời hữu ích": "50%",
                                   "Yêu cầu hỗ trợ": "0", "Cảnh báo lừa đảo": "0"}  # fmt: skip
    assert response.text.count('<svg class="chart"') == 5
    assert "Tài khoản định danh điện tử VNeID" in response.text, "procedures by their names"
    assert not re.search(r'(src|href)="(https?:)?//', response.text), "no CDN, no other site"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert not any(text in response.text for text in SO_DO), "the overview shows no question text"


async def test_the_language_switches_to_english_and_back(admin: httpx.AsyncClient) -> None:
    """The English link sets a cookie; the same numbers come in English; Vietnamese comes back."""
    switched = await admin.get("/admin/lang?to=en&next=/admin", follow_redirects=True)
    assert '<html lang="en">' in switched.text
    assert kpis(switched.text)["Answer rate"] == "50%"
    assert "Conversations and questions per day" in switched.text
    back = await admin.get("/admin/lang?to=vi&next=https://evil.example/", follow_redirects=True)
    assert str(back.url) == "http://testserver/admin", "never sent to another site"
    assert '<html lang="vi">' in back.text


async def test_commune_pages_show_that_commune(admin: httpx.AsyncClient) -> None:
    """A commune's page counts its own people and questions; without a name, the busiest commune."""
    tan_phu = await admin.get(f"/admin/commune?name={TAN_PHU}")
    assert tan_phu.status_code == 200
    assert "<h1>Xã Tân Phú</h1>" in tan_phu.text, "named, though asked for by id"
    assert kpis(tan_phu.text) | {} == {"Cuộc trò chuyện": "3", "Câu hỏi": "3", "Tỷ lệ trả lời": "66,7%",
                                       "Chưa hiểu": "1", "Câu trả lời hữu ích": "50%",
                                       "Yêu cầu hỗ trợ": "0", "Cảnh báo lừa đảo": "0"}  # fmt: skip
    default = await admin.get("/admin/commune")
    assert "<h1>Xã Tân Phú</h1>" in default.text
    unknown = await admin.get("/admin/commune?name=")
    assert kpis(unknown.text)["Câu hỏi"] == "1"
    assert "<h1>Chưa rõ xã/phường</h1>" in unknown.text


async def test_a_period_and_channel_narrow_the_overview(admin: httpx.AsyncClient) -> None:
    """?from&to pick the days, ?channel the channel; an impossible date falls back to the default."""
    one_day = await admin.get("/admin?from=2026-11-22&to=2026-11-22")
    assert kpis(one_day.text)["Câu hỏi"] == "3"
    web = await admin.get("/admin?channel=web")
    assert kpis(web.text)["Cuộc trò chuyện"] == "2"
    odd = await admin.get("/admin?from=2026-13-45&channel=fax")
    assert odd.status_code == 200
    assert kpis(odd.text)["Câu hỏi"] == "6"


async def test_inbox_lists_the_group(admin: httpx.AsyncClient) -> None:
    """The inbox shows one group of three with every way it was asked, escaped."""
    response = await admin.get("/admin/inbox")
    assert response.status_code == 200
    assert response.text.count('class="card group"') == 1
    assert "3×" in response.text
    assert all(text in response.text for text in SO_DO)


async def test_events_browser_shows_filtered_events(admin: httpx.AsyncClient) -> None:
    """The events browser filters by kind and text and shows the redacted texts to an admin."""
    response = await admin.get("/admin/events?kind=not_understood&text=sổ đỏ")
    assert response.status_code == 200
    assert response.text.count("<tr>") == 1 + 2, "the header and the two accented askings"
    page_two = await admin.get("/admin/events?page=2")
    assert "Không có sự kiện phù hợp." in page_two.text
    assert "Trang 2" in page_two.text
    assert "page=1" in page_two.text  # the way back to page 1


async def test_citizens_words_are_escaped(seeded: AdminSite, admin: httpx.AsyncClient) -> None:
    """A question containing markup is shown as text in the inbox and the events browser."""
    from tests.admin.data import D2, insert, row

    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    insert(seeded.db, [row(D2, "web", None, "p7", "not_understood", None, attack)])
    for path in ("/admin/inbox", "/admin/events"):
        html = (await admin.get(path)).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


async def test_users_can_be_created_and_deactivated(seeded: AdminSite, admin: httpx.AsyncClient) -> None:
    """An admin adds a volunteer (who must change the password first) and can lock them out."""
    page = await admin.get("/admin/users")
    token = csrf_of(page.text)
    created = await admin.post("/admin/users", data={"csrf": token, "username": "mai", "role": "volunteer",
                                                     "commune": TAN_PHU, "password": "mot-mat-khau-dai"})  # fmt: skip
    assert created.status_code == 200
    assert "Đã tạo người dùng mai." in created.text
    user = seeded.accounts.get_by_name("mai")
    assert user is not None
    assert user.must_change_password
    assert user.commune == TAN_PHU
    bad = await admin.post("/admin/users", data={"csrf": token, "username": "mai", "role": "admin",
                                                 "password": "mot-mat-khau-dai"})  # fmt: skip
    assert bad.status_code == 400
    assert "taken" in bad.text
    await admin.post("/admin/users/active", data={"csrf": token, "username": "mai", "active": "0"})
    user = seeded.accounts.get_by_name("mai")
    assert user is not None
    assert not user.active


@pytest.mark.parametrize("path", ["/admin/aliases", "/admin/report", "/admin/audit", "/admin/users"])
async def test_other_pages_answer(admin: httpx.AsyncClient, path: str) -> None:
    """The remaining pages render for an admin."""
    response = await admin.get(path)
    assert response.status_code == 200
    assert "<h1>" in response.text


async def test_unknown_admin_paths_are_404(admin: httpx.AsyncClient) -> None:
    """A mistyped dashboard address gets a 404 page, not the chat."""
    assert (await admin.get("/admin/nothing-here")).status_code == 404


async def test_the_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    """The one stylesheet comes from this server."""
    response = await client.get("/admin/static/admin.css")
    assert response.status_code == 200
    assert "svg.chart" in response.text
