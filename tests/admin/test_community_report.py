"""The community teams' figures: the teams page, its export, the quarterly report's sheets and
section, and the overview's count of use a volunteer helped with — exact numbers on seeded data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import httpx
import openpyxl
import pytest

from bot.admin.community_queries import period_bounds, teams_report
from bot.admin.site import AdminSite
from bot.app import communes
from bot.storage.tables import help_requests
from tests.admin.conftest import login
from tests.admin.data import D2, TAN_PHU, insert, row
from tests.admin.test_community_pages import (
    ANH_SON,
    VINH_HUNG,
    Seeded,
    make_users,
    seed_community,
)

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF's text back (pip install pypdf)")

TEAMS_HEADER = [
    "Mã xã/phường", "Xã/phường", "Tổ", "Lượt hỗ trợ trực tiếp", "Làm xong trực tuyến", "Hướng dẫn ra bộ phận một cửa",
    "Chưa làm xong", "Chưa có tài khoản VNeID mức 2", "Thiếu giấy tờ", "Cổng dịch vụ hoặc ứng dụng bị lỗi",
    "Không có điện thoại, sóng hoặc mạng", "Người dân đổi ý", "Lý do khác", "Yêu cầu hỗ trợ", "Đang chờ",
    "Đã nhận", "Đã đóng", "Đã hủy", "Chuyển lên tỉnh", "Số phút trung vị đến khi được nhận", "Đã hỗ trợ xong",
    "Hướng dẫn ra bộ phận một cửa", "Không liên lạc được", "Không còn cần", "Quá hạn",
]  # fmt: skip
# commune id, commune name, team | sessions, online, office, unfinished | 6 reasons | requests, open, claimed, closed,
# cancelled | escalated, median minutes | done, office, unreachable, not_needed, expired
VINH_HUNG_ROWS = [
    (VINH_HUNG, "Phường Vinh Hưng", "Tổ CNS Vinh Hưng", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 20, 0, 0, 1, 0, 0),
    (VINH_HUNG, "Phường Vinh Hưng", "Chưa có người nhận", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, None, 0, 0, 0, 0, 0),
    (VINH_HUNG, "Phường Vinh Hưng", "Cả xã/phường", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 1, 0, 0, 20, 0, 0, 1, 0, 0),
]  # fmt: skip
ANH_SON_ROWS = [
    (ANH_SON, "Xã Anh Sơn", "Đoàn thanh niên Anh Sơn", 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0),
    (ANH_SON, "Xã Anh Sơn", "Tổ CNS Anh Sơn", 3, 1, 0, 1, 1, 0, 0, 0, 0, 0, 3, 0, 1, 2, 0, 0, 30, 1, 1, 0, 0, 0),
    (ANH_SON, "Xã Anh Sơn", "Chưa có người nhận", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 1, 1, None, 0, 0, 0, 0, 0),
    (ANH_SON, "Xã Anh Sơn", "Cả xã/phường", 4, 1, 1, 1, 1, 1, 0, 0, 0, 0, 5, 1, 1, 2, 1, 1, 30, 1, 1, 0, 0, 0),
]  # fmt: skip
PROVINCE_ROWS = [
    (None, "Cấp tỉnh", "Chưa có người nhận", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, None, 0, 0, 0, 0, 0),
    (None, "Tổng cộng", None, 5, 2, 1, 1, 1, 1, 0, 0, 0, 0, 8, 3, 1, 3, 1, 2, 25, 1, 1, 1, 0, 0),
]  # fmt: skip


@pytest.fixture
def desk_site(site: AdminSite) -> AdminSite:
    make_users(site)
    return site


@pytest.fixture
def seeded_desk(desk_site: AdminSite) -> Seeded:
    return seed_community(desk_site)


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="kpi"><span>([^<]+)</span><strong>([^<]+)</strong>', html))


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_the_figures_by_commune_and_team(desk_site: AdminSite, seeded_desk: Seeded) -> None:
    """Sessions count for their team; requests for the team that took them, the rest apart;
    the median time to take and the procedures helped with are exact."""
    with desk_site.db.connect() as connection:
        report = teams_report(connection, date(2026, 10, 25), date(2026, 11, 23), None, communes())
    keys = [(r.commune, r.team) for r in report.rows]
    assert keys == [(VINH_HUNG, "Tổ CNS Vinh Hưng"), (VINH_HUNG, None), (ANH_SON, "Đoàn thanh niên Anh Sơn"),
                    (ANH_SON, "Tổ CNS Anh Sơn"), (ANH_SON, None), (None, None)]  # fmt: skip
    team = report.rows[3]
    assert (team.sessions, dict(team.session_outcomes), dict(team.reasons)) == (3, {"online": 1, "unfinished": 1},
                                                                               {"no_vneid": 1})  # fmt: skip
    assert (team.requests, dict(team.statuses), team.escalated) == (3, {"closed": 2, "claimed": 1}, 0)
    assert sorted(team.claim_minutes) == [10, 30, 50]
    assert team.median_minutes_to_claim == 30
    assert dict(team.request_outcomes) == {"done": 1, "office": 1}
    assert dict(team.session_procedures) == {"identity_card": 1, "vneid": 2}
    total = report.total
    assert (total.sessions, total.requests, total.escalated, total.median_minutes_to_claim) == (5, 8, 2, 25)
    assert [(p.procedure, p.sessions, p.requests) for p in report.procedures()] == [
        ("identity_card", 2, 1), ("vneid", 2, 1), ("birth_registration", 1, 1)]  # fmt: skip
    with desk_site.db.connect() as connection:
        older = teams_report(connection, date(2026, 8, 1), date(2026, 9, 30), ANH_SON, communes())
    assert [(r.team, r.sessions, r.requests) for r in older.rows] == [("Tổ CNS Anh Sơn", 1, 1)]


def test_periods_are_vietnamese_days(desk_site: AdminSite) -> None:
    """A request made at 00:30 in Vietnam (17:30 UTC the day before) counts for the Vietnamese day."""
    assert period_bounds(date(2026, 11, 1), date(2026, 11, 1)) == (datetime(2026, 10, 31, 17, tzinfo=UTC),
                                                                  datetime(2026, 11, 1, 17, tzinfo=UTC))  # fmt: skip
    with desk_site.db.begin() as connection:
        for key, created in (("late", datetime(2026, 10, 31, 16, 59, tzinfo=UTC)),
                             ("early", datetime(2026, 10, 31, 17, 30, tzinfo=UTC))):  # fmt: skip
            connection.execute(help_requests.insert().values(request_key=key, created_at=created, channel="web",
                                                             commune=ANH_SON, lang="vi", status="open"))  # fmt: skip
        first = teams_report(connection, date(2026, 11, 1), date(2026, 11, 1), ANH_SON)
        before = teams_report(connection, date(2026, 10, 31), date(2026, 10, 31), ANH_SON)
    assert first.total.requests == 1
    assert before.total.requests == 1


async def test_the_teams_page_for_an_admin(desk_site: AdminSite, seeded_desk: Seeded,
                                           client: httpx.AsyncClient) -> None:  # fmt: skip
    """The province's totals, a row per team, and a commune filter."""
    await login(client, "chi.lan")
    page = await client.get("/admin/teams")
    assert page.status_code == 200
    assert kpis(page.text) == {"Lượt hỗ trợ trực tiếp": "5", "Làm xong trực tuyến": "2", "Yêu cầu hỗ trợ": "8",
                               "Đã đóng": "3", "Chuyển lên tỉnh": "2", "Số phút trung vị đến khi được nhận": "25"}  # fmt: skip
    assert "<td>Xã Anh Sơn</td><td>Tổ CNS Anh Sơn</td>" in page.text
    assert "<td>Cấp tỉnh</td><td>Chưa có người nhận</td>" in page.text
    assert "Chưa có tài khoản VNeID mức 2: 1" in page.text
    only = await client.get(f"/admin/teams?commune={VINH_HUNG}")
    assert kpis(only.text)["Yêu cầu hỗ trợ"] == "2"
    assert "<td>Phường Vinh Hưng</td><td>Tổ CNS Vinh Hưng</td>" in only.text
    assert "<td>Xã Anh Sơn</td>" not in only.text
    province = await client.get("/admin/teams?commune=-")
    assert kpis(province.text)["Yêu cầu hỗ trợ"] == "1"
    september = await client.get("/admin/teams?from=2026-09-01&to=2026-09-30")
    assert kpis(september.text)["Yêu cầu hỗ trợ"] == "1"


async def test_a_commune_volunteer_sees_their_teams_only(desk_site: AdminSite, seeded_desk: Seeded,
                                                         client: httpx.AsyncClient) -> None:  # fmt: skip
    """A volunteer of Anh Sơn sees Anh Sơn's figures and export; another commune is 403."""
    await login(client, "co.hoa")
    page = await client.get("/admin/teams")
    assert page.status_code == 200
    assert kpis(page.text) == {"Lượt hỗ trợ trực tiếp": "4", "Làm xong trực tuyến": "1", "Yêu cầu hỗ trợ": "5",
                               "Đã đóng": "2", "Chuyển lên tỉnh": "1", "Số phút trung vị đến khi được nhận": "30"}  # fmt: skip
    assert "Vinh Hưng" not in page.text
    assert "Cấp tỉnh" not in page.text
    for path in (f"/admin/teams?commune={VINH_HUNG}", "/admin/teams?commune=-",
                 f"/admin/export/teams.csv?commune={VINH_HUNG}"):  # fmt: skip
        assert (await client.get(path)).status_code == 403
    exported = await client.get("/admin/export/teams.csv")
    assert exported.status_code == 200
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[1] == TEAMS_HEADER
    assert [tuple(line[:4]) for line in lines[2:6]] == [(r[0], r[1], r[2], str(r[3])) for r in ANH_SON_ROWS]
    assert "Vinh Hưng" not in exported.content.decode("utf-8-sig")


async def test_the_quarterly_report_has_the_teams(desk_site: AdminSite, seeded_desk: Seeded,
                                                  client: httpx.AsyncClient) -> None:  # fmt: skip
    """The province's Q4 XLSX has a sheet by commune and team with exact figures and one of the
    procedures helped with; a commune's report has that commune only; the PDF has the section."""
    await login(client, "chi.lan")
    response = await client.get("/admin/report/download?year=2026&quarter=4&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[-3:] == ["Tổ công nghệ số", "Thủ tục được hỗ trợ", "Giấy tờ hay thiếu nhất"]
    assert list(book["Giấy tờ hay thiếu nhất"].iter_rows(values_only=True)) == [("Thủ tục", "Giấy tờ", "Lượt hỗ trợ trực tiếp")]
    rows = list(book["Tổ công nghệ số"].iter_rows(values_only=True))
    assert list(rows[0]) == TEAMS_HEADER
    assert rows[1:] == [*VINH_HUNG_ROWS, *ANH_SON_ROWS, *PROVINCE_ROWS]
    name = desk_site.procedure_name
    assert list(book["Thủ tục được hỗ trợ"].iter_rows(values_only=True)) == [
        ("Thủ tục", "Lượt hỗ trợ trực tiếp", "Yêu cầu hỗ trợ"), (name("identity_card"), 2, 1), (name("vneid"), 2, 1),
        (name("birth_registration"), 1, 1)]  # fmt: skip

    commune = await client.get(f"/admin/report/download?year=2026&quarter=4&commune={ANH_SON}&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(commune.content))["Tổ công nghệ số"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == ANH_SON_ROWS

    pdf = await client.get("/admin/report/download?year=2026&quarter=4&format=pdf")
    text = pdf_text(pdf.content)
    assert "Tổ công nghệ số" in text
    assert "Xã Anh Sơn · Tổ CNS Anh Sơn 3 1 0 1" in text, "sessions: count, online, office, unfinished"
    assert "Xã Anh Sơn · Tổ CNS Anh Sơn 3 2 0 30" in text, "requests: made, closed, escalated, median minutes"
    assert "Tổng cộng 8 3 2 25" in text
    assert "Thủ tục được hỗ trợ" in text


async def test_a_volunteers_report_has_their_commune(desk_site: AdminSite, seeded_desk: Seeded,
                                                     client: httpx.AsyncClient) -> None:  # fmt: skip
    """A dashboard volunteer's quarterly report holds their commune's teams (named as they are)."""
    desk_site.accounts.create("co.anh", "mat-khau-dai-1", "volunteer", ANH_SON)
    await login(client, "co.anh")
    response = await client.get("/admin/report/download?year=2026&quarter=4&format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Tổ công nghệ số"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == ANH_SON_ROWS


async def test_the_overview_counts_assisted_use_apart(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Events logged while a volunteer assisted are counted apart from what citizens did alone."""
    insert(seeded.db, [row(D2, "web", TAN_PHU, "p9", "question", "vneid", "kich hoat", assisted_by="7"),
                       row(D2, "web", TAN_PHU, "p9", "answered", "vneid", None, assisted_by="7")])  # fmt: skip
    await login(client, "chi.lan")
    overview = await client.get("/admin")
    assert (
        "Có tình nguyện viên hỗ trợ: 3 sự kiện, 1 trong 7 câu hỏi. Người dân tự hỏi 6 câu." in overview.text
    )
    commune = await client.get(f"/admin/commune?name={TAN_PHU}")
    assert "Có tình nguyện viên hỗ trợ: 2 sự kiện, 1 trong 4 câu hỏi. Người dân tự hỏi 3 câu." in commune.text
    zalo = await client.get("/admin?channel=zalo")
    assert "Có tình nguyện viên hỗ trợ: 1 sự kiện, 0 trong 3 câu hỏi. Người dân tự hỏi 3 câu." in zalo.text


async def test_the_new_pages_are_in_the_menu(desk_site: AdminSite, client: httpx.AsyncClient) -> None:
    """Admins and volunteers find the three pages in the menu."""
    for user in ("chi.lan", "co.hoa"):
        await login(client, user)
        page = await client.get("/admin/requests")
        assert page.status_code == 200
        for path in ("/admin/requests", "/admin/volunteers", "/admin/teams"):
            assert f'<a href="{path}"' in page.text
        assert (await client.get("/admin/teams")).status_code == 200
        await client.post(
            "/admin/logout", data={"csrf": re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]}
        )
