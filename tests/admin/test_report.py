"""The quarterly report: the right quarter, readable XLSX, a PDF with the commune's name in it."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import httpx
import openpyxl
import pytest

from bot.admin.report import build_report, current_quarter, quarter_bounds
from bot.admin.site import AdminSite
from tests.admin.conftest import login
from tests.admin.data import AN_HOA, NOW, TAN_PHU, TODAY

pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF's text back (pip install pypdf)")


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_quarters_have_the_right_days() -> None:
    """Quarter bounds cover whole months; the report due is the last complete quarter."""
    assert quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert current_quarter(date(2026, 11, 23)) == (2026, 3)
    assert current_quarter(date(2027, 2, 1)) == (2026, 4)
    with pytest.raises(ValueError, match="quarter 5"):
        quarter_bounds(2026, 5)


def test_report_numbers_for_a_commune(seeded: AdminSite) -> None:
    """Q4 2026 of Xã Tân Phú counts its conversations and questions; Q3 is empty to compare with."""
    with seeded.db.connect() as connection:
        report = build_report(connection, 2026, 4, TAN_PHU, TODAY, "Tỉnh Thừa Thiên Huế", NOW)
        legacy = build_report(connection, 2026, 4, AN_HOA, TODAY, "Tỉnh Thừa Thiên Huế", NOW)
        province = build_report(connection, 2026, 4, None, TODAY, "Tỉnh Thừa Thiên Huế", NOW)
    assert (report.board.totals.conversations, report.board.totals.questions) == (3, 3)
    assert report.previous.questions == 0
    assert (report.place, report.commune) == ("Xã Tân Phú", TAN_PHU), "named, and kept by its id"
    assert (legacy.place, legacy.board.totals.questions) == (AN_HOA, 2), "a name stored before ids, as it is"
    assert province.place == "Tỉnh Thừa Thiên Huế"
    assert province.assisted == 1, "one conversation had a volunteer"
    assert report.assisted == 0


async def test_one_action_gives_xlsx_and_pdf(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """The ZIP download holds the XLSX and the PDF of the chosen commune and quarter."""
    await login(client, "chi.lan")
    response = await client.get(f"/admin/report/download?year=2026&quarter=4&commune={TAN_PHU}&format=zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(files.namelist())
    assert names == ["trolyso-bao-cao-2026-Q4-Xã Tân Phú.pdf", "trolyso-bao-cao-2026-Q4-Xã Tân Phú.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(files.read(names[1])))
    assert book.sheetnames == ["Tổng hợp", "Theo tháng", "Thủ tục", "Hướng dẫn", "Kênh", "Tổ công nghệ số", "Thủ tục được hỗ trợ",
                               "Giấy tờ hay thiếu nhất"]
    summary = [tuple(v for v in line if v is not None) for line in book["Tổng hợp"].iter_rows(values_only=True)]
    assert summary[0] == ("Báo cáo", "Báo cáo quý 4/2026")
    assert summary[1:3] == [("Địa bàn", "Xã Tân Phú"), ("Mã xã/phường", TAN_PHU)]
    assert ("Câu hỏi", 3, 0) in summary
    assert ("Cuộc trò chuyện", 3, 0) in summary
    months = list(book["Theo tháng"].iter_rows(min_row=2, values_only=True))
    assert months == [("10/2026", 0, 0, 0), ("11/2026", 3, 3, 2), ("12/2026", 0, 0, 0)]
    pdf = files.read(names[0])
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Báo cáo quý 4/2026" in text
    assert "Xã Tân Phú" in text
    assert TAN_PHU not in text, "the PDF names the commune, never by its id"
    assert "Thẻ căn cước (trước đây là CCCD)" in text, "Vietnamese procedure names keep their accents"


async def test_the_province_report_as_pdf(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Without a commune the report covers the province, named as configured."""
    await login(client, "chi.lan")
    response = await client.get("/admin/report/download?year=2026&quarter=4&format=pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Tỉnh" in text
    assert "Đề nghị gặp người hỗ trợ" in text
    assert "Phường An Hòa" not in text, "the province report lists procedures, not communes"


async def test_a_report_in_english(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """With the dashboard in English the report is in English."""
    await login(client, "chi.lan")
    await client.get("/admin/lang?to=en")
    response = await client.get("/admin/report/download?year=2026&quarter=4&format=pdf")
    assert "Quarterly report Q4/2026" in pdf_text(response.content)


async def test_bad_report_requests_are_refused(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """An unknown format or an impossible year is a 404, not a crash."""
    await login(client, "chi.lan")
    for query in ("format=doc", "year=1999&format=pdf"):
        assert (await client.get(f"/admin/report/download?{query}")).status_code == 404
