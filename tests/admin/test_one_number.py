"""One number, one meaning: a figure shown on several pages (and in the exports) is the same
everywhere, because every page takes it from the same query."""

from __future__ import annotations

import csv
import io
import re

import httpx

from bot.admin.site import AdminSite
from tests.admin.conftest import login
from tests.admin.data import D2, TAN_PHU, insert, row, seed
from tests.admin.test_community_pages import ANH_SON, make_users, request_ids, seed_community

ASKED_BACK = "cap lai giay to"
"""A question the assistant asked back about ("did you mean…"): in the inbox, so "not understood"."""


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="kpi"><span>([^<]+)</span><strong>([^<]+)</strong>', html))


def number_in(html: str, element: str) -> int:
    found = re.search(rf'id="{element}">(\d+)', html)
    assert found, f"no #{element} on the page"
    return int(found.group(1))


def summary(body: bytes) -> dict[str, str]:
    return {r[0]: r[1] for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if len(r) == 2}


async def test_not_understood_is_one_number(site: AdminSite, client: httpx.AsyncClient) -> None:
    """Overview, commune page, inbox and export count the questions not understood, asked back included, alike."""
    seed(site.db)
    insert(site.db, [row(D2, "web", TAN_PHU, "p9", "question", None, ASKED_BACK),
                     row(D2, "web", TAN_PHU, "p9", "did_you_mean", None, ASKED_BACK)])  # fmt: skip
    make_users(site)
    assert (await login(client, "chi.lan")).status_code == 303
    overview = kpis((await client.get("/admin")).text)["Chưa hiểu"]
    inbox = (await client.get("/admin/inbox")).text
    assert overview == "4" == str(number_in(inbox, "inbox-count")), "three not understood and one asked back"
    assert ASKED_BACK in inbox
    assert summary((await client.get("/admin/export/overview.csv")).content)["Chưa hiểu"] == overview
    commune = kpis((await client.get(f"/admin/commune?name={TAN_PHU}")).text)["Chưa hiểu"]
    assert commune == "2" == str(number_in((await client.get(f"/admin/inbox?commune={TAN_PHU}")).text, "inbox-count"))


async def test_not_understood_stays_one_number_after_dismissing(site: AdminSite, client: httpx.AsyncClient) -> None:
    """Dismissed junk is still a question not understood: the overview, the commune page and the
    inbox keep one count, and the inbox splits it into waiting, dismissed and taught."""
    seed(site.db)
    insert(site.db, [row(D2, "web", TAN_PHU, "p9", "did_you_mean", None, ASKED_BACK)])
    make_users(site)
    assert (await login(client, "chi.lan")).status_code == 303
    inbox = (await client.get("/admin/inbox")).text
    token = re.search(r'name="csrf" value="([^"]+)"', inbox)
    assert token
    response = await client.post("/admin/inbox/dismiss", data={"csrf": token.group(1), "back": "", "item": ASKED_BACK})
    assert response.status_code == 303
    inbox = (await client.get("/admin/inbox")).text
    overview = kpis((await client.get("/admin")).text)["Chưa hiểu"]
    assert overview == "4" == str(number_in(inbox, "inbox-count"))
    assert (number_in(inbox, "inbox-waiting"), number_in(inbox, "inbox-dismissed")) == (3, 1)
    assert summary((await client.get("/admin/export/overview.csv")).content)["Chưa hiểu"] == overview
    commune = kpis((await client.get(f"/admin/commune?name={TAN_PHU}")).text)["Chưa hiểu"]
    here = (await client.get(f"/admin/inbox?commune={TAN_PHU}")).text
    assert commune == "2" == str(number_in(here, "inbox-count"))
    assert number_in(here, "inbox-waiting") + number_in(here, "inbox-dismissed") == 2
    site.aliases.store("death_registration", "lam so do o dau vay a", "chi.lan")  # a teaching, for the third part
    inbox = (await client.get("/admin/inbox")).text
    assert number_in(inbox, "inbox-count") == 4
    assert (number_in(inbox, "inbox-waiting"), number_in(inbox, "inbox-dismissed")) == (0, 1)
    assert 'id="inbox-dismissed">1</span> câu đã bỏ qua, 3 câu đã dạy' in inbox


async def test_help_requests_are_one_number(site: AdminSite, client: httpx.AsyncClient) -> None:
    """A commune's page counts the requests its teams page counts, and the waiting ones its queue lists."""
    make_users(site)
    seed_community(site)
    assert (await login(client, "chi.lan")).status_code == 303
    page = (await client.get(f"/admin/commune?name={ANH_SON}")).text
    teams = (await client.get(f"/admin/teams?commune={ANH_SON}")).text
    queue = (await client.get(f"/admin/requests?commune={ANH_SON}")).text
    assert kpis(page)["Yêu cầu hỗ trợ"] == kpis(teams)["Yêu cầu hỗ trợ"] == "5", "made in the last 30 days"
    waiting = re.search(r'<a href="(/admin/requests[^"]*)">(\d+) đang chờ</a>', page)
    assert waiting, "the commune page links to its queue"
    assert int(waiting.group(2)) == number_in(queue, "waiting") == len(request_ids(queue)) == 2
    assert waiting.group(1).replace("&amp;", "&") == f"/admin/requests?commune={ANH_SON}"
    overview = (await client.get("/admin")).text
    everywhere = (await client.get("/admin/requests")).text
    assert kpis(overview)["Yêu cầu hỗ trợ"] == kpis((await client.get("/admin/teams")).text)["Yêu cầu hỗ trợ"]
    assert f">{number_in(everywhere, 'waiting')} đang chờ</a>" in overview
    assert number_in(everywhere, "waiting") == len(request_ids(everywhere)) == 4
    assert summary((await client.get(f"/admin/export/commune.csv?name={ANH_SON}")).content)["Yêu cầu hỗ trợ"] == "5"


async def test_a_volunteer_sees_the_same_numbers(site: AdminSite, client: httpx.AsyncClient) -> None:
    """A commune volunteer's own page, teams page and queue agree, as an admin's do."""
    make_users(site)
    seed_community(site)
    assert (await login(client, "co.hoa")).status_code == 303
    page = (await client.get("/admin/commune")).text
    queue = (await client.get("/admin/requests")).text
    assert kpis(page)["Yêu cầu hỗ trợ"] == kpis((await client.get("/admin/teams")).text)["Yêu cầu hỗ trợ"] == "5"
    assert ">2 đang chờ</a>" in page
    assert number_in(queue, "waiting") == len(request_ids(queue)) == 2
