"""Defaults that could mislead a hurried admin: the inbox pre-selects a procedure only when the
matcher is sure, and the quarterly report's form starts on the last full quarter with data, saying so."""

from __future__ import annotations

import re
from datetime import date

import httpx

from bot.admin.site import AdminSite
from bot.core.matcher import Decision
from tests.admin.conftest import login
from tests.admin.data import insert, row, seed

UNSURE = "nhà em có người vừa đi xa mãi mãi"  # "gone far for ever": a did-you-mean
"""A question the matcher only half recognises: it asks back ("did you mean…")."""


async def test_an_unsure_guess_is_not_preselected(site: AdminSite, client: httpx.AsyncClient) -> None:
    """A group the matcher would only ask back about comes with no procedure chosen."""
    assert site.matcher is not None
    assert site.matcher.match(UNSURE).decision is Decision.CLARIFY
    insert(site.db, [row(date(2026, 11, 22), "zalo", None, "p7", "did_you_mean", None, UNSURE)])
    site.accounts.create("chi.lan", "mat-khau-dai-1", "admin")
    await login(client, "chi.lan")
    page = (await client.get("/admin/inbox")).text
    group = re.search(r'<section class="card group">.*?</section>', page, re.S)
    assert group is not None
    assert UNSURE in group.group()
    assert re.search(r'<option value="" selected>', group.group()), "nothing chosen for the admin"
    assert len(re.findall(r"<option [^>]*selected", group.group())) == 1


async def test_the_report_starts_on_the_last_full_quarter_with_data(site: AdminSite,
                                                                    client: httpx.AsyncClient) -> None:  # fmt: skip
    """With data in Q2 and none in Q3 (today is in Q4), the form proposes Q2 and says why."""
    seed(site.db)  # November: the current quarter, not a full one
    site.accounts.create("chi.lan", "mat-khau-dai-1", "admin")
    await login(client, "chi.lan")
    empty = (await client.get("/admin/report")).text
    assert "quý 3/2026 là quý gần nhất đã kết thúc" in empty, "no full quarter has data: said so"
    insert(site.db, [row(date(2026, 5, 10), "web", None, "p8", "question", "vneid", "kich hoat vneid")])
    page = (await client.get("/admin/report")).text
    assert "Đã chọn sẵn quý 2/2026" in page
    assert re.search(r"<option selected>2</option>", page)
    assert re.search(r"<option selected>2026</option>", page)
