"""/admin/teams shows "Giấy tờ hay thiếu nhất": the papers volunteers marked missing in assisted
sessions that could not finish, counted by one query (``missing_papers``) that the page and the
export both use — per session, in the period and the commune, most first, in Vietnamese."""

from __future__ import annotations

from datetime import date

import httpx
import sqlalchemy as sa

from bot.admin.community_queries import MissingPaperCount, missing_papers
from bot.admin.site import AdminSite
from bot.storage.tables import assist_missing_papers, assist_sessions
from tests.admin.conftest import login
from tests.admin.test_community_pages import ANH_SON, VINH_HUNG, make_users, seed_community, utc

PHONE = "Điện thoại có số thuê bao đứng tên mình"
CARD = "Thẻ căn cước còn hạn"
CHUNG_SINH = "Giấy chứng sinh do bệnh viện/cơ sở y tế cấp"


def seed_missing(site: AdminSite) -> None:
    """Anh Sơn's 22/11 sessions miss the phone (typed twice in one session: counted once) and the
    card, and a birth certificate; Vinh Hưng's 21/11 session misses the phone; the 1/8 session's
    card is outside the last 30 days."""
    with site.db.begin() as connection:
        started = dict(connection.execute(sa.select(assist_sessions.c.started_at, assist_sessions.c.id)).all())
        sid = {key: next(i for when, i in started.items() if when.replace(tzinfo=None) == at.replace(tzinfo=None))
               for key, at in (("s2", utc(11, 22, 2)), ("s3", utc(11, 22, 3)), ("s4", utc(11, 21, 1)),
                               ("s5", utc(8, 1, 2)))}  # fmt: skip
        connection.execute(assist_missing_papers.insert(), [
            {"session_id": sid["s2"], "procedure": "vneid", "paper_key": "k_phone", "paper": PHONE},
            {"session_id": sid["s2"], "procedure": "vneid", "paper_key": "k_phone", "paper": PHONE},
            {"session_id": sid["s2"], "procedure": "vneid", "paper_key": "k_card", "paper": CARD},
            {"session_id": sid["s3"], "procedure": "birth_registration", "paper_key": "k_cs", "paper": CHUNG_SINH},
            {"session_id": sid["s4"], "procedure": "vneid", "paper_key": "k_phone", "paper": PHONE},
            {"session_id": sid["s5"], "procedure": "vneid", "paper_key": "k_card", "paper": CARD},
        ])  # fmt: skip


def section(html: str) -> str:
    start = html.index('id="missing-papers"')
    return html[start : html.index("</section>", start)]


def test_the_query_counts_sessions_per_paper_in_the_period_and_commune(site: AdminSite) -> None:
    seed_community(site)
    seed_missing(site)
    with site.db.connect() as connection:
        everywhere = missing_papers(connection, date(2026, 10, 25), date(2026, 11, 23))
        anh_son = missing_papers(connection, date(2026, 10, 25), date(2026, 11, 23), ANH_SON)
        august = missing_papers(connection, date(2026, 8, 1), date(2026, 8, 31))
        nowhere = missing_papers(connection, date(2026, 10, 25), date(2026, 11, 23), "")
    assert everywhere == [MissingPaperCount("vneid", PHONE, 2), MissingPaperCount("birth_registration", CHUNG_SINH, 1),
                          MissingPaperCount("vneid", CARD, 1)]  # fmt: skip
    assert anh_son == [MissingPaperCount("birth_registration", CHUNG_SINH, 1), MissingPaperCount("vneid", CARD, 1),
                       MissingPaperCount("vneid", PHONE, 1)]  # fmt: skip
    assert august == [MissingPaperCount("vneid", CARD, 1)]
    assert nowhere == []


async def test_the_teams_page_and_its_export_show_the_same_counts(site: AdminSite, client: httpx.AsyncClient) -> None:
    """An admin sees the province's papers, a commune filter narrows them; the CSV export has them too."""
    make_users(site)
    seed_community(site)
    seed_missing(site)
    await login(client, "chi.lan")
    page = await client.get("/admin/teams")
    assert page.status_code == 200
    shown = section(page.text)
    assert "<h2>Giấy tờ hay thiếu nhất</h2>" in shown
    assert "<th>Giấy tờ</th>" in shown
    assert f"<td>{PHONE}</td><td class=\"n\">2</td>" in shown
    assert shown.index(PHONE) < shown.index(CHUNG_SINH) < shown.index(CARD)
    only = section((await client.get(f"/admin/teams?commune={VINH_HUNG}")).text)
    assert f"<td>{PHONE}</td><td class=\"n\">1</td>" in only
    assert CARD not in only
    exported = (await client.get("/admin/export/teams.csv")).content.decode("utf-8-sig")
    assert "Giấy tờ hay thiếu nhất" in exported
    assert f"{PHONE},2" in exported
    august = section((await client.get("/admin/teams?from=2026-08-01&to=2026-08-31")).text)
    assert f"<td>{CARD}</td><td class=\"n\">1</td>" in august


async def test_a_commune_volunteer_sees_their_communes_papers_only(site: AdminSite, client: httpx.AsyncClient) -> None:
    make_users(site)
    seed_community(site)
    seed_missing(site)
    await login(client, "co.hoa")
    shown = section((await client.get("/admin/teams")).text)
    assert f"<td>{PHONE}</td><td class=\"n\">1</td>" in shown
    assert CHUNG_SINH in shown


async def test_no_papers_recorded_says_so(site: AdminSite, client: httpx.AsyncClient) -> None:
    make_users(site)
    await login(client, "chi.lan")
    assert "Không có số liệu trong khoảng thời gian này." in section((await client.get("/admin/teams")).text)
