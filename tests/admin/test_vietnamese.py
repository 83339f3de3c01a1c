"""Every page and every export of the dashboard speaks Vietnamese: no raw identifier (an event
kind, a channel, a status, an audit action) and no English message id reaches an admin or a
volunteer who reads Vietnamese."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import openpyxl
import pytest

from bot.admin.site import AdminSite
from bot.admin.texts import ACTIONS, CHANNELS, KINDS, LABELS, VI
from tests.admin.conftest import login
from tests.admin.data import seed
from tests.admin.test_community_pages import Seeded, make_users, seed_community

PACKAGE = Path(__file__).resolve().parents[2] / "bot"
RAW = sorted({*KINDS, *ACTIONS, *LABELS, *(c for c in CHANNELS if c != "web")} - {"web"})
"""Identifiers that must never show: "web" alone is left out, it is a Vietnamese word too
("trò chuyện trên web")."""
ENGLISH = sorted(k for k, v in VI.items() if k != v and "{" not in k)
"""English message ids whose Vietnamese differs: on a Vietnamese page, each one is a leak."""
ADMIN_PAGES = ("/admin", "/admin?channel=zalo", "/admin/commune", "/admin/commune?name=nghean.xa-anh-son",
               "/admin/inbox", "/admin/inbox?view=dismissed", "/admin/inbox?dismissed=1&restored=1",
               "/admin/events", "/admin/events?kind=not_understood", "/admin/aliases",
               "/admin/report", "/admin/users", "/admin/audit", "/admin/requests", "/admin/requests?status=all",
               "/admin/volunteers", "/admin/teams", "/admin/password", "/admin/no-such-page")  # fmt: skip
VOLUNTEER_PAGES = ("/admin/commune", "/admin/requests", "/admin/volunteers", "/admin/teams", "/admin/report",
                   "/admin/inbox")  # fmt: skip
EXPORTS = ("/admin/export/overview.csv", "/admin/export/overview.xlsx", "/admin/export/commune.csv?name=",
           "/admin/export/events.csv", "/admin/export/events.xlsx", "/admin/export/inbox.csv",
           "/admin/export/teams.csv", "/admin/export/teams.xlsx",
           "/admin/report/download?year=2026&quarter=4&format=xlsx")  # fmt: skip


class _Visible(HTMLParser):
    """The words a reader meets: text outside <style>, and the attributes read out or shown."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if value and name in ("title", "aria-label", "placeholder", "alt"):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def leaks(text: str) -> list[str]:
    """Raw identifiers and English message ids found as whole words in ``text``."""
    found = [w for w in RAW if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/.-])", text)]
    found += [e for e in ENGLISH if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text)]
    return found


def export_text(body: bytes, path: str) -> str:
    if ".csv" in path:
        return "\n".join(" | ".join(r) for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(body))
    cells = [" | ".join(str(v) for v in row if isinstance(v, str)) for ws in book for row in ws.iter_rows(values_only=True)]
    return "\n".join([*book.sheetnames, *cells])


@pytest.fixture
def everything(site: AdminSite) -> Seeded:
    """Usage of two days, volunteers, help requests and sessions, an admin and two volunteers."""
    seed(site.db)
    make_users(site)
    return seed_community(site)


async def test_every_admin_page_is_vietnamese(everything: Seeded, client: httpx.AsyncClient) -> None:
    """Every dashboard page an admin opens shows no raw identifier and no English text."""
    assert (await login(client, "chi.lan")).status_code == 303
    request_id = everything.requests["r3"]
    found = {}
    for path in (*ADMIN_PAGES, f"/admin/requests/{request_id}"):
        response = await client.get(path)
        assert response.status_code in (200, 404), path
        found[path] = leaks(visible(response.text))
    assert {p: w for p, w in found.items() if w} == {}


async def test_every_volunteer_page_is_vietnamese(everything: Seeded, client: httpx.AsyncClient) -> None:
    """A commune volunteer's pages, the refusals included, show no raw identifier and no English text."""
    assert (await login(client, "co.hoa")).status_code == 303
    found = {}
    for path in VOLUNTEER_PAGES:
        response = await client.get(path)
        assert response.status_code in (200, 403), path
        found[path] = leaks(visible(response.text))
    assert {p: w for p, w in found.items() if w} == {}


async def test_every_export_is_vietnamese(everything: Seeded, client: httpx.AsyncClient) -> None:
    """Headers, sheet names and words of every CSV and XLSX file are Vietnamese."""
    assert (await login(client, "chi.lan")).status_code == 303
    found = {}
    for path in EXPORTS:
        response = await client.get(path)
        assert response.status_code == 200, path
        found[path] = leaks(export_text(response.content, path))
    assert {p: w for p, w in found.items() if w} == {}


async def test_the_check_catches_a_leak(everything: Seeded, client: httpx.AsyncClient) -> None:
    """The same pages in English are full of what the check looks for: it is not blind."""
    assert (await login(client, "chi.lan")).status_code == 303
    await client.get("/admin/lang?to=en&next=/admin")
    english = visible((await client.get("/admin/events")).text)
    assert {"Events", "All kinds", "Not understood"} <= set(leaks(english))
    assert leaks("kind: not_understood on zalo") == ["not_understood", "zalo"]


def test_every_logged_kind_and_action_has_words() -> None:
    """Each UsageEvent("…") and audit(…, "…") of the package has a label in the dashboard's texts."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    kinds = set(re.findall(r'UsageEvent\(\s*"(\w+)"', source))
    actions = set(re.findall(r'audit\([^,()]*(?:\([^()]*\))?[^,()]*,\s*"(\w+)"', source))
    actions |= set(re.findall(r'"(\w+)" if active else "(\w+)"', source)[0]) if '" if active else "' in source else set()
    assert len(kinds) > 20
    assert sorted(kinds - KINDS.keys()) == []
    assert len(actions) > 10
    assert sorted(actions - ACTIONS.keys()) == []
