"""Exports read back: CSV with the csv module, XLSX with openpyxl; formulas never run."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
import openpyxl
import pytest

from bot.admin.exports import Sheet, to_csv, to_xlsx
from bot.admin.site import AdminSite
from bot.data.knowledge import KnowledgeBase
from tests.admin.conftest import login
from tests.admin.data import AN_HOA, D2, SO_DO, TAN_PHU, insert, row


@pytest.fixture
async def admin(seeded: AdminSite, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await login(client, "chi.lan")
    return client


def sections(body: bytes) -> dict[str, list[list[str]]]:
    """A multi-sheet CSV split back into its titled sections."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    out: dict[str, list[list[str]]] = {}
    title = None
    for line in rows:
        if not line:
            title = None
        elif title is None:
            title = line[0]
            out[title] = []
        else:
            out[title].append(line)
    return out


async def test_overview_csv_reads_back(admin: httpx.AsyncClient, kb: KnowledgeBase) -> None:
    """The overview as CSV holds the same totals, days, procedures and communes as the page."""
    response = await admin.get("/admin/export/overview.csv?days=30")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="trolyso-overview-')
    parts = sections(response.content)
    summary = dict(parts["Tổng hợp"][1:])
    assert summary["Cuộc trò chuyện"] == "6"
    assert summary["Câu hỏi"] == "6"
    assert summary["Tỷ lệ trả lời"] == "50%"
    days = {line[0]: line[1:] for line in parts["Cuộc trò chuyện và câu hỏi theo ngày"][1:]}
    assert days["2026-11-20"] == ["3", "3", "2"]
    assert len(days) == 30
    procedures = {line[0]: line for line in parts["Thủ tục"][1:]}
    assert procedures["identity_card"][1:] == [kb.procedures["identity_card"].names.vi, "1", "1", "1", "0", "1", "0", "1"]
    assert parts["Theo xã/phường"] == [["Mã xã/phường", "Xã/phường", "Câu hỏi"], [TAN_PHU, "Xã Tân Phú", "3"],
                                       [AN_HOA, AN_HOA, "2"], ["", "Chưa rõ xã/phường", "1"]], "id, then name"  # fmt: skip
    assert dict(parts["Tổng hợp"][1:])["Xã/phường"] == "Mọi xã/phường"


async def test_overview_xlsx_reads_back(admin: httpx.AsyncClient) -> None:
    """The overview as XLSX has one worksheet per table, with numbers as numbers."""
    response = await admin.get("/admin/export/overview.xlsx?days=30")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Tổng hợp", "Cuộc trò chuyện và câu hỏi theo", "Thủ tục", "Theo kênh", "Theo xãphường"]
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Cuộc trò chuyện"] == 6
    assert summary["Câu hỏi được trả lời"] == 3
    channels = {r[0]: r[1:] for r in book["Theo kênh"].iter_rows(min_row=2, values_only=True)}
    assert channels == {"Zalo": (3, 3, 0), "Trò chuyện trên web": (2, 2, 2), "Telegram": (1, 1, 1)}


async def test_events_export_keeps_texts_and_neutralises_formulas(seeded: AdminSite, admin: httpx.AsyncClient) -> None:
    """The events export has every filtered row; a question starting with "=" stays text."""
    insert(seeded.db, [row(D2, "web", None, "p8", "not_understood", None, '=HYPERLINK("http://x","y")')])
    csv_body = (await admin.get("/admin/export/events.csv?kind=not_understood")).content.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(csv_body)))
    assert len(lines) == 4
    assert [(line["Mã xã/phường"], line["Tên xã/phường"]) for line in lines] == [
        ("", ""), ("", ""), (AN_HOA, AN_HOA), (TAN_PHU, "Xã Tân Phú")], "the commune as stored, then its name"  # fmt: skip
    assert {line["Nội dung"] for line in lines} == {*SO_DO, "'=HYPERLINK(\"http://x\",\"y\")"}
    assert lines[0]["Thời gian"] == "2026-11-22 10:00:00", "Vietnam's clock"
    assert {line["Loại"] for line in lines} == {"Chưa hiểu"}, "kinds in words"
    assert {line["Kênh"] for line in lines} >= {"Trò chuyện trên web"}, "channels in words"
    book = openpyxl.load_workbook(io.BytesIO((await admin.get("/admin/export/events.xlsx?kind=not_understood")).content))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]][2:4] == ["Mã xã/phường", "Tên xã/phường"]
    assert sheet["C5"].value == TAN_PHU
    assert sheet["D5"].value == "Xã Tân Phú"
    cells = [c for c in sheet["L"][1:]]
    assert {c.value for c in cells} == {*SO_DO, '=HYPERLINK("http://x","y")'}
    assert {c.data_type for c in cells} == {"s"}, "stored as text, never as a formula"
    assert sheet["A2"].value == datetime(2026, 11, 22, 10, 0)


async def test_inbox_and_commune_export(admin: httpx.AsyncClient) -> None:
    """The inbox exports its groups; a commune exports its own numbers."""
    inbox = list(csv.reader(io.StringIO((await admin.get("/admin/export/inbox.csv")).content.decode("utf-8-sig"))))
    assert inbox[0] == ["Số lần hỏi", "Câu hỏi", "Cách hỏi khác", "Hỏi gần nhất"]
    assert inbox[1][0] == "3"
    assert inbox[1][1] in SO_DO
    assert len(inbox) == 2
    commune = sections((await admin.get(f"/admin/export/commune.csv?name={TAN_PHU}")).content)
    summary = dict(commune["Tổng hợp"][1:])
    assert summary["Câu hỏi"] == "3"
    assert (summary["Xã/phường"], summary["Mã xã/phường"]) == ("Xã Tân Phú", TAN_PHU)
    legacy = sections((await admin.get("/admin/export/commune.csv?name=Phường An Hòa")).content)
    assert dict(legacy["Tổng hợp"][1:])["Xã/phường"] == AN_HOA, "a name stored before ids is shown as it is"


def test_sheet_names_are_made_valid_and_unique() -> None:
    """Titles too long or with characters Excel refuses still make distinct worksheets."""
    body = to_xlsx([Sheet("a/b:c*d?" + "x" * 40, ["h"], [[1]]), Sheet("a/b:c*d?" + "x" * 40, ["h"], [[2]])])
    names = openpyxl.load_workbook(io.BytesIO(body)).sheetnames
    assert len(names) == 2
    assert len(set(names)) == 2
    assert all(len(n) <= 31 and "/" not in n for n in names)
    assert to_csv([Sheet("t", ["a", "b"], [["-1+2", None], [1.23456, "@x"]])]).decode("utf-8-sig").splitlines() == [
        "a,b", "'-1+2,", "1.235,'@x"]  # fmt: skip
