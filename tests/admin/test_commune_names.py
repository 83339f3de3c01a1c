"""Communes by name: the usage log and the help desk store ids of knowledge/communes.yaml
("nghean.xa-tan-phu"); every page shows "Xã Tân Phú" instead, and a value stored before ids
("Phường An Hòa") as it is. Links and filters keep the stored value. A dashboard user's commune
is chosen from the list, or typed as a name, and stored as its id."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import httpx
import openpyxl
import pytest

from bot.admin.site import AdminSite
from bot.data.communes import CommuneBook
from tests.admin.conftest import PASSWORD, csrf_of, login
from tests.admin.data import AN_HOA, TAN_PHU
from tests.admin.test_community_pages import ANH_SON, VINH_HUNG, Seeded, make_users, seed_community


@pytest.fixture
async def admin(seeded: AdminSite, client: httpx.AsyncClient) -> httpx.AsyncClient:
    assert (await login(client, "chi.lan")).status_code == 303
    return client


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="kpi"><span>([^<]+)</span><strong>([^<]+)</strong>', html))


def nav(html: str) -> str:
    found = re.search(r"<nav>(.*?)</nav>", html, re.S)
    assert found, "the page has no menu"
    return found.group(1)


async def test_the_overview_names_the_communes_and_links_by_id(admin: httpx.AsyncClient) -> None:
    """The overview's table by commune shows names; its links carry the stored value."""
    html = (await admin.get("/admin")).text
    assert re.search(r'href="/admin/commune\?name=nghean\.xa-tan-phu&amp;[^"]*">Xã Tân Phú</a>', html)
    assert re.search(r'href="/admin/commune\?name=Ph%C6%B0%E1%BB%9Dng\+An\+H%C3%B2a&amp;[^"]*">Phường An Hòa</a>',
                     html), "a name stored before ids is shown and linked as it is"  # fmt: skip
    assert ">Chưa rõ xã/phường</a>" in html
    assert f">{TAN_PHU}<" not in html, "an id is never shown as a commune's name"


async def test_the_commune_picker_names_the_communes(admin: httpx.AsyncClient) -> None:
    """The commune page's picker offers each commune by name, with its stored value."""
    html = (await admin.get(f"/admin/commune?name={TAN_PHU}")).text
    assert f'<option value="{TAN_PHU}" selected>Xã Tân Phú (3)</option>' in html
    assert f'<option value="{AN_HOA}" >Phường An Hòa (2)</option>' in html
    assert '<option value="" >Chưa rõ xã/phường (1)</option>' in html
    assert "<h1>Xã Tân Phú</h1>" in html


async def test_the_events_browser_names_the_communes(admin: httpx.AsyncClient) -> None:
    """Each event's commune is named; the filter offers names and filters by the stored value."""
    html = (await admin.get(f"/admin/events?commune={TAN_PHU}")).text
    assert f'<option value="{TAN_PHU}" selected>Xã Tân Phú</option>' in html
    assert f'<option value="{AN_HOA}" >Phường An Hòa</option>' in html
    cells = re.findall(r"<td>([^<]*)</td>\s*<td class=\"n\">", html)
    assert cells == ["Xã Tân Phú"] * 8, "only Tân Phú's eight events, each named"
    legacy = (await admin.get(f"/admin/events?commune={AN_HOA}")).text
    assert re.findall(r"<td>([^<]*)</td>\s*<td class=\"n\">", legacy) == [AN_HOA] * 6
    unknown = (await admin.get("/admin/events?commune=-")).text
    assert '<option value="-" selected>Chưa rõ xã/phường</option>' in unknown
    assert re.findall(r"<td>([^<]*)</td>\s*<td class=\"n\">", unknown) == [""] * 4


async def test_the_report_page_names_the_communes(admin: httpx.AsyncClient) -> None:
    """The quarterly report's picker offers communes by name, sending the stored value."""
    html = (await admin.get("/admin/report")).text
    assert f'<option value="{TAN_PHU}">Xã Tân Phú</option>' in html
    assert f'<option value="{AN_HOA}">Phường An Hòa</option>' in html


async def test_a_volunteer_named_before_ids_sees_their_communes_numbers(seeded: AdminSite,
                                                                       client: httpx.AsyncClient) -> None:  # fmt: skip
    """anh.tuan's commune was typed as "Xã Tân Phú": they see the numbers the usage log keeps
    under its id, under its name, asked for either way; their report is Tân Phú's."""
    await login(client, "anh.tuan")
    page = await client.get("/admin/commune")
    assert kpis(page.text)["Câu hỏi"] == "3"
    assert '<a href="/admin/commune" aria-current="page">Xã Tân Phú</a>' in nav(page.text)
    for asked in (TAN_PHU, "Xã Tân Phú"):
        assert kpis((await client.get(f"/admin/commune?name={asked}")).text)["Câu hỏi"] == "3"
    assert (await client.get(f"/admin/commune?name={AN_HOA}")).status_code == 403
    form = (await client.get("/admin/report")).text
    assert '<input value="Xã Tân Phú" readonly>' in form
    for asked in ("", f"&commune={TAN_PHU}", "&commune=Xã Tân Phú"):
        report = await client.get(f"/admin/report/download?year=2026&quarter=4&format=xlsx{asked}")
        assert report.status_code == 200, asked
        assert unquote(report.headers["content-disposition"]).endswith("-2026-Q4-Xã Tân Phú.xlsx")
        summary = list(openpyxl.load_workbook(io.BytesIO(report.content))["Tổng hợp"].iter_rows(values_only=True))
        assert [line[:2] for line in summary[1:3]] == [("Địa bàn", "Xã Tân Phú"), ("Mã xã/phường", TAN_PHU)]
        assert ("Câu hỏi", 3, 0) in summary
    refused = await client.get(f"/admin/report/download?year=2026&quarter=4&format=xlsx&commune={AN_HOA}")
    assert refused.status_code == 403


async def test_a_volunteer_stored_by_id_is_named_in_the_menu(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """A volunteer whose commune is an id reads its name in the menu, never the id."""
    seeded.accounts.create("be.tam", PASSWORD, "volunteer", TAN_PHU)
    await login(client, "be.tam")
    html = (await client.get("/admin/commune")).text
    assert ">Xã Tân Phú</a>" in nav(html)
    assert TAN_PHU not in nav(html)
    assert kpis(html)["Câu hỏi"] == "3"


async def test_help_requests_and_volunteers_name_their_commune(site: AdminSite, client: httpx.AsyncClient) -> None:
    """The request queue, a request and the volunteers list name communes; the province level is named too."""
    make_users(site)
    seeded: Seeded = seed_community(site)
    await login(client, "chi.lan")
    queue = re.sub(r' data-label="[^"]*"', "", (await client.get("/admin/requests?status=all")).text)
    assert "<td>Xã Anh Sơn</td>" in queue
    assert "<td>Phường Vinh Hưng</td>" in queue
    assert f">{ANH_SON}<" not in queue
    assert f'<option value="{VINH_HUNG}" >Phường Vinh Hưng</option>' in queue
    one = (await client.get(f"/admin/requests/{seeded.requests['r1']}")).text
    assert "<th>Xã/phường</th><td>Xã Anh Sơn</td>" in one
    users = (await client.get("/admin/users")).text
    assert re.search(r"<td>anh\.vinh</td><td>[^<]+</td><td>Phường Vinh Hưng</td>", users), "an id, named"
    assert re.search(r"<td>co\.hoa</td><td>[^<]+</td><td>Xã Anh Sơn</td>", users), "a name typed before ids"


async def test_the_user_form_stores_the_communes_id(seeded: AdminSite, admin: httpx.AsyncClient) -> None:
    """The form offers the communes by name and stores the id; a name typed (without accents
    even) is stored as its id; a name of several communes or of none is refused, saying why."""
    page = await admin.get("/admin/users")
    assert f'<option value="{TAN_PHU}" >Xã Tân Phú</option>' in page.text
    assert re.search(r"<td>anh\.tuan</td><td>[^<]+</td><td>Xã Tân Phú</td>", page.text)
    token = csrf_of(page.text)

    async def create(username: str, commune: str) -> httpx.Response:
        return await admin.post("/admin/users", data={"csrf": token, "username": username, "role": "volunteer",
                                                      "commune": commune, "password": "mot-mat-khau-dai"})  # fmt: skip

    for username, typed in (("lan", ANH_SON), ("hai", "xa anh son"), ("ba", "Anh Sơn")):
        response = await create(username, typed)
        assert response.status_code == 200, typed
        user = seeded.accounts.get_by_name(username)
        assert user is not None
        assert user.commune == ANH_SON, typed
        assert re.search(rf"<td>{username}</td><td>[^<]+</td><td>Xã Anh Sơn</td>", response.text)
    several = await create("bon", "Long Sơn")
    assert several.status_code == 400
    assert "“Long Sơn” là xã/phường nào? Có thể là: " in several.text
    assert "Phường Thái Hòa" in several.text
    assert "Xã Yên Xuân" in several.text
    nowhere = await create("nam", "Hà Nội")
    assert nowhere.status_code == 400
    assert "Hãy chọn xã/phường trong danh sách." in nowhere.text
    assert seeded.accounts.get_by_name("bon") is None
    assert seeded.accounts.get_by_name("nam") is None


async def test_without_a_commune_list_the_form_keeps_what_is_typed(seeded: AdminSite, admin: httpx.AsyncClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """With no knowledge/communes.yaml the form asks for a commune as text and stores it as typed."""
    monkeypatch.setattr("bot.admin.context.communes", CommuneBook)
    monkeypatch.setattr("bot.app.communes", CommuneBook)
    page = await admin.get("/admin/users")
    assert '<input name="commune" value="">' in page.text
    created = await admin.post("/admin/users", data={"csrf": csrf_of(page.text), "username": "lan", "role": "volunteer",
                                                     "commune": "Xã Mới", "password": "mot-mat-khau-dai"})  # fmt: skip
    assert created.status_code == 200
    user = seeded.accounts.get_by_name("lan")
    assert user is not None
    assert user.commune == "Xã Mới"
