"""Scam warnings are counted by commune on the overview and the commune pages."""

from __future__ import annotations

import re

import httpx

from bot.admin.queries import Filters, dashboard
from bot.admin.site import AdminSite
from tests.admin.conftest import login
from tests.admin.data import AN_HOA, D2, TAN_PHU, TODAY, insert, row

LAST_30 = Filters(D2.replace(day=1), TODAY)


def _scams(site: AdminSite) -> None:
    insert(site.db, [row(D2, "zalo", TAN_PHU, "p7", "scam_alert"), row(D2, "web", TAN_PHU, "p8", "scam_alert"),
                     row(D2, "telegram", AN_HOA, "p9", "scam_alert")])  # fmt: skip


def test_scam_warnings_are_counted_per_commune(seeded: AdminSite) -> None:
    """The province sees every warning; a commune only its own."""
    _scams(seeded)
    with seeded.db.connect() as connection:
        province = dashboard(connection, LAST_30, TODAY).totals
        tan_phu = dashboard(connection, Filters(LAST_30.start, TODAY, TAN_PHU), TODAY).totals
    assert (province.scam_alerts, tan_phu.scam_alerts) == (3, 2)
    assert province.questions == 6, "a warning is not a question"


async def test_the_commune_page_shows_its_scam_warnings(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """The commune page has a 'Cảnh báo lừa đảo' figure with that commune's count."""
    _scams(seeded)
    assert (await login(client, "chi.lan")).status_code == 303
    page = await client.get(f"/admin/commune?name={TAN_PHU}")
    found = re.search(r'<span>Cảnh báo lừa đảo</span><strong>([^<]+)</strong>', page.text)
    assert found
    assert found.group(1) == "2"
