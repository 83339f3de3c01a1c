"""The community teams in the dashboard: volunteers and their one-time link codes, the help
request queue, and who may see and change what (an admin everything, a commune's dashboard
volunteer that commune only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from bot.admin.community_queries import STATUSES
from bot.admin.schema import admin_audit
from bot.admin.site import AdminSite
from bot.admin.texts import LABELS, VI, label
from bot.app import communes
from bot.core.commune_names import commune_key
from bot.core.desk import ASSIST_OUTCOMES, ASSIST_REASONS, GOOD_TIMES, REQUEST_OUTCOMES, LinkOutcome
from bot.helpdesk.sql import SqlHelpDesk, hash_code
from bot.storage.tables import (
    assist_sessions,
    help_requests,
    link_codes,
    volunteers,
)
from tests.admin.conftest import PASSWORD, csrf_of, login

ANH_SON = "nghean.xa-anh-son"
VINH_HUNG = "nghean.phuong-vinh-hung"
CODE = re.compile(r'<strong class="mono">([A-Z0-9]{4}-[A-Z0-9]{4})</strong>')
SECRET_NEED = "xin giấy xác nhận cư trú cho bà ngoại"
"""The need of a Vinh Hưng request: never on an Anh Sơn volunteer's screen."""


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Seeded:
    """Ids of what :func:`seed_community` stored."""

    volunteers: dict[str, int]
    requests: dict[str, int]


def seed_community(site: AdminSite) -> Seeded:
    """Five volunteers (three in Anh Sơn in two teams, one in Vinh Hưng, one for the province),
    nine help requests and six assisted sessions, at known times (the clock is 23/11 05:00 UTC).

    In the 30 days to 23/11: Anh Sơn has requests r1-r5 (r1, r5 closed after 10 and 50 minutes,
    r2 taken after 30, r3 open and escalated, r4 cancelled) and sessions s1, s2, s3, s6; Vinh Hưng
    has r6 (open), r7 (closed after 20 minutes) and s4; the province has r8 (open, escalated).
    r0 (1/9) and s5 (1/8) are older."""
    desk = SqlHelpDesk(site.db, clock=site.clock)
    people = {}
    for key, name, team, commune, phone in (
        ("v1", "Nguyễn Thị Hoa", "Tổ CNS Anh Sơn", ANH_SON, "0912345678"),
        ("v2", "Trần Văn Nam", "Tổ CNS Anh Sơn", ANH_SON, "0987654321"),
        ("v3", "Lê Văn Bình", "Đoàn thanh niên Anh Sơn", ANH_SON, None),
        ("v4", "Phạm Thu", "Tổ CNS Vinh Hưng", VINH_HUNG, "0911222333"),
        ("v5", "Hồ Văn Tỉnh", "Tổ hỗ trợ tỉnh", None, "0933444555"),
    ):
        people[key] = desk.create_volunteer(name, team, commune, phone, "seed")[0].id
    v = people

    def request(
        key: str, created: datetime, commune: str | None, status: str, **extra: object
    ) -> dict[str, object]:
        row: dict[str, object] = {
            "request_key": key, "created_at": created, "channel": "zalo", "user_id": f"u-{key}",
            "phone": f"090000000{key[1]}", "commune": commune, "need": f"việc của {key}", "good_time": "morning",
            "procedure": None, "lang": "vi", "status": status, "claimed_by": None, "claimed_at": None,
            "closed_at": None, "outcome": None, "escalated_at": None,
        }  # fmt: skip
        row.update(extra)
        return row

    rows = [
        request("r0", utc(9, 1, 3), ANH_SON, "closed", claimed_by=v["v1"], claimed_at=utc(9, 1, 3, 5),
                closed_at=utc(9, 1, 4), outcome="done"),
        request("r1", utc(11, 22, 1), ANH_SON, "closed", procedure="identity_card", need="làm CCCD cho mẹ",
                claimed_by=v["v1"], claimed_at=utc(11, 22, 1, 10), closed_at=utc(11, 22, 2), outcome="done"),
        request("r2", utc(11, 22, 2), ANH_SON, "claimed", procedure="vneid", claimed_by=v["v2"],
                claimed_at=utc(11, 22, 2, 30)),
        request("r3", utc(11, 22, 3), ANH_SON, "open", procedure="birth_registration", need="khai sinh cho cháu",
                escalated_at=utc(11, 22, 5)),
        request("r4", utc(11, 21, 3), ANH_SON, "cancelled", closed_at=utc(11, 21, 4)),
        request("r5", utc(11, 20, 3), ANH_SON, "closed", claimed_by=v["v1"], claimed_at=utc(11, 20, 3, 50),
                closed_at=utc(11, 20, 5), outcome="office"),
        request("r6", utc(11, 22, 4), VINH_HUNG, "open", need=SECRET_NEED),
        request("r7", utc(11, 21, 4), VINH_HUNG, "closed", claimed_by=v["v4"], claimed_at=utc(11, 21, 4, 20),
                closed_at=utc(11, 21, 6), outcome="unreachable"),
        request("r8", utc(11, 22, 4, 30), None, "open", escalated_at=utc(11, 22, 6, 30)),
    ]  # fmt: skip
    sessions = [
        {"volunteer_id": v["v1"], "commune": ANH_SON, "team": "Tổ CNS Anh Sơn", "started_at": utc(11, 21, 2),
         "ended_at": utc(11, 21, 3), "outcome": "online", "procedures": "identity_card,vneid"},
        {"volunteer_id": v["v2"], "commune": ANH_SON, "team": "Tổ CNS Anh Sơn", "started_at": utc(11, 22, 2),
         "ended_at": utc(11, 22, 3), "outcome": "unfinished", "reason": "no_vneid", "procedures": "vneid"},
        {"volunteer_id": v["v3"], "commune": ANH_SON, "team": "Đoàn thanh niên Anh Sơn", "started_at": utc(11, 22, 3),
         "ended_at": utc(11, 22, 4), "outcome": "office", "reason": "papers", "procedures": "birth_registration"},
        {"volunteer_id": v["v4"], "commune": VINH_HUNG, "team": "Tổ CNS Vinh Hưng", "started_at": utc(11, 21, 1),
         "ended_at": utc(11, 21, 2), "outcome": "online", "procedures": "identity_card"},
        {"volunteer_id": v["v1"], "commune": ANH_SON, "team": "Tổ CNS Anh Sơn", "started_at": utc(8, 1, 2),
         "ended_at": utc(8, 1, 3), "outcome": "online", "procedures": "vneid"},
        {"volunteer_id": v["v1"], "commune": ANH_SON, "team": "Tổ CNS Anh Sơn", "started_at": utc(11, 23, 4)},
    ]  # fmt: skip
    with site.db.begin() as connection:
        connection.execute(help_requests.insert(), rows)
        connection.execute(assist_sessions.insert(), [{"channel": "zalo", "ended_at": None, "outcome": None,
                                                       "reason": None, "procedures": None, **s} for s in sessions])  # fmt: skip
        ids = {
            key: id_
            for key, id_ in connection.execute(sa.select(help_requests.c.request_key, help_requests.c.id))
        }
    return Seeded(people, ids)


def make_users(site: AdminSite) -> None:
    """An admin, a volunteer of Anh Sơn (named as people write it) and one of Vinh Hưng (by id)."""
    site.accounts.create("chi.lan", PASSWORD, "admin")
    site.accounts.create("co.hoa", PASSWORD, "volunteer", "Xã Anh Sơn")
    site.accounts.create("anh.vinh", PASSWORD, "volunteer", VINH_HUNG)


@pytest.fixture
def desk_site(site: AdminSite) -> AdminSite:
    make_users(site)
    return site


@pytest.fixture
def seeded_desk(desk_site: AdminSite) -> Seeded:
    return seed_community(desk_site)


def audit_actions(site: AdminSite) -> list[tuple[str, str, str | None]]:
    with site.db.connect() as connection:
        rows = connection.execute(sa.select(admin_audit.c.username, admin_audit.c.action, admin_audit.c.detail)
                                  .order_by(admin_audit.c.id)).all()  # fmt: skip
    return [(u, a, d) for u, a, d in rows if a not in ("login", "logout")]


def count(site: AdminSite, table: sa.Table) -> int:
    with site.db.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def request_ids(html: str) -> list[int]:
    """The requests a list shows, in its order."""
    return [int(n) for n in re.findall(r'<td[^>]*><a href="/admin/requests/(\d+)">', html)]


# --- volunteers -----------------------------------------------------------------------------------
async def test_creating_a_volunteer_shows_the_code_once(
    desk_site: AdminSite, client: httpx.AsyncClient
) -> None:
    """The new volunteer's link code is on the answer to the form only; the database keeps its
    hash; the code links a chat account; the audit log names the volunteer, not the code."""
    await login(client, "chi.lan")
    page = await client.get("/admin/volunteers")
    assert page.status_code == 200
    assert f'<option value="{ANH_SON}"' in page.text, "communes are chosen from the book"
    assert page.text.count("<option value=") == len(communes().all()) + 1, (
        "every commune and the province level"
    )
    response = await client.post("/admin/volunteers/new", data={
        "csrf": csrf_of(page.text), "name": " Nguyễn Thị Hoa ", "team": "Tổ CNS Anh Sơn", "commune": ANH_SON,
        "phone": "0912.345.678"})  # fmt: skip
    assert response.status_code == 200
    found = CODE.findall(response.text)
    assert len(found) == 1
    code = found[0]
    assert f"/lienket {code}" in response.text
    assert "72 giờ" in response.text
    assert "0912 345 678" in response.text
    with desk_site.db.connect() as connection:
        stored = connection.execute(sa.select(volunteers)).one()
        codes = connection.execute(sa.select(link_codes.c.code_hash)).scalars().all()
    assert (stored.name, stored.team, stored.commune, stored.phone) == ("Nguyễn Thị Hoa", "Tổ CNS Anh Sơn",
                                                                        ANH_SON, "0912345678")  # fmt: skip
    assert codes == [hash_code(code)]
    assert code not in (await client.get("/admin/volunteers")).text, "never shown again"
    assert audit_actions(desk_site) == [("chi.lan", "volunteer_created",
                                         f"#{stored.id} Nguyễn Thị Hoa (Tổ CNS Anh Sơn, {ANH_SON})")]  # fmt: skip
    linked = await SqlHelpDesk(desk_site.db, clock=desk_site.clock).link("telegram", "42", code)
    assert linked.outcome is LinkOutcome.LINKED
    listed = await client.get("/admin/volunteers")
    assert re.search(r"Nguyễn Thị Hoa</td><td>Tổ CNS Anh Sơn</td><td>Xã Anh Sơn</td>", listed.text)
    assert re.search(r'<td class="n">1</td>\s*<td>Đang dùng</td>', listed.text), "one linked account"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "12345", "“12345” không phải số điện thoại Việt Nam"),
    ("phone", "0912 345 678 hoặc 0987 654 321", "không phải số điện thoại Việt Nam"),
    ("name", "  ", "Hãy nhập họ tên tình nguyện viên."),
    ("team", "x" * 121, "Tên dài tối đa 120 ký tự."),
    ("commune", "nghean.xa-khong-co", "Hãy chọn xã/phường trong danh sách."),
])  # fmt: skip
async def test_a_bad_form_is_refused_and_nothing_stored(desk_site: AdminSite, client: httpx.AsyncClient, field: str,
                                                        value: str, message: str) -> None:  # fmt: skip
    """A wrong phone, a missing name, a long team or an unknown commune: a friendly message,
    the form filled in as typed, no volunteer, no code, nothing audited."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/volunteers")).text)
    data = {"name": "Trần Văn Nam", "team": "Tổ CNS Anh Sơn", "commune": ANH_SON, "phone": "0987654321"}
    response = await client.post("/admin/volunteers/new", data={**data, field: value, "csrf": token})
    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert not CODE.search(response.text)
    if field != "name":
        assert 'value="Trần Văn Nam"' in response.text, "what was typed stays in the form"
    assert count(desk_site, volunteers) == 0
    assert count(desk_site, link_codes) == 0
    assert audit_actions(desk_site) == []


async def test_a_volunteer_without_phone_or_commune(desk_site: AdminSite, client: httpx.AsyncClient) -> None:
    """The phone is optional and the province level is no commune."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/volunteers")).text)
    response = await client.post("/admin/volunteers/new", data={"csrf": token, "name": "Hồ Văn Tỉnh",
                                                                 "team": "Tổ hỗ trợ tỉnh", "commune": "", "phone": ""})  # fmt: skip
    assert response.status_code == 200
    assert CODE.search(response.text)
    with desk_site.db.connect() as connection:
        assert connection.execute(sa.select(volunteers.c.commune, volunteers.c.phone)).one() == (None, None)
    assert "<td>Cấp tỉnh</td>" in response.text


async def test_deactivating_and_new_codes(desk_site: AdminSite, client: httpx.AsyncClient) -> None:
    """A new code replaces the old one; a deactivated volunteer's code no longer links; both
    changes and the reactivation are audited."""
    desk = SqlHelpDesk(desk_site.db, clock=desk_site.clock)
    volunteer, first = desk.create_volunteer("Trần Văn Nam", "Tổ CNS Anh Sơn", ANH_SON, None, "seed")
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/volunteers")).text)
    renewed = await client.post(f"/admin/volunteers/{volunteer.id}/code", data={"csrf": token})
    assert renewed.status_code == 200
    second = CODE.findall(renewed.text)
    assert len(second) == 1
    assert second[0] != first
    assert (await desk.link("zalo", "old", first)).outcome is LinkOutcome.EXPIRED
    third = CODE.findall(
        (await client.post(f"/admin/volunteers/{volunteer.id}/code", data={"csrf": token})).text
    )[0]

    off = await client.post(f"/admin/volunteers/{volunteer.id}/active", data={"csrf": token, "active": "0"})
    assert off.status_code == 303
    assert [r.active for r in desk.list_volunteers()] == [False]
    assert "<td>Đã khóa</td>" in (await client.get("/admin/volunteers")).text
    assert (await desk.link("zalo", "new", third)).outcome is not LinkOutcome.LINKED
    on = await client.post(f"/admin/volunteers/{volunteer.id}/active", data={"csrf": token, "active": "1"})
    assert on.status_code == 303
    assert [r.active for r in desk.list_volunteers()] == [True]
    missing = await client.post("/admin/volunteers/9999/active", data={"csrf": token, "active": "0"})
    assert missing.status_code == 404
    name = f"#{volunteer.id} Trần Văn Nam"
    assert audit_actions(desk_site) == [("chi.lan", "volunteer_code_issued", name),
                                        ("chi.lan", "volunteer_code_issued", name),
                                        ("chi.lan", "volunteer_deactivated", name),
                                        ("chi.lan", "volunteer_activated", name)]  # fmt: skip


async def test_changes_need_the_csrf_token(desk_site: AdminSite, seeded_desk: Seeded,
                                          client: httpx.AsyncClient) -> None:  # fmt: skip
    """Without the session's token no volunteer is made, deactivated or re-coded, no request closed."""
    await login(client, "chi.lan")
    v1, r3 = seeded_desk.volunteers["v1"], seeded_desk.requests["r3"]
    for path, data in (("/admin/volunteers/new", {"name": "X", "team": "Y", "commune": ""}),
                       (f"/admin/volunteers/{v1}/active", {"active": "0"}), (f"/admin/volunteers/{v1}/code", {}),
                       (f"/admin/requests/{r3}/close", {"outcome": "done"})):  # fmt: skip
        assert (await client.post(path, data={**data, "csrf": "forged"})).status_code == 403
    assert count(desk_site, volunteers) == 5
    assert all(r.active for r in SqlHelpDesk(desk_site.db).list_volunteers())
    with desk_site.db.connect() as connection:
        assert (
            connection.execute(sa.select(help_requests.c.status).where(help_requests.c.id == r3)).scalar()
            == "open"
        )
    assert audit_actions(desk_site) == []


async def test_a_commune_volunteer_sees_their_volunteers_only(desk_site: AdminSite, seeded_desk: Seeded,
                                                              client: httpx.AsyncClient) -> None:  # fmt: skip
    """A dashboard volunteer lists their commune's volunteers with their phones, read-only; they
    cannot add, re-code or deactivate anyone."""
    await login(client, "co.hoa")
    page = await client.get("/admin/volunteers")
    assert page.status_code == 200
    for name in ("Nguyễn Thị Hoa", "Trần Văn Nam", "Lê Văn Bình", "0912 345 678"):
        assert name in page.text
    for other in ("Phạm Thu", "0911 222 333", "Hồ Văn Tỉnh", "Vinh Hưng"):
        assert other not in page.text
    assert "/admin/volunteers/new" not in page.text
    assert "/code" not in page.text
    token = csrf_of(page.text)
    v1 = seeded_desk.volunteers["v1"]
    for path, data in (("/admin/volunteers/new", {"name": "X", "team": "Y", "commune": ANH_SON}),
                       (f"/admin/volunteers/{v1}/active", {"active": "0"}), (f"/admin/volunteers/{v1}/code", {})):  # fmt: skip
        assert (await client.post(path, data={**data, "csrf": token})).status_code == 403
    assert count(desk_site, volunteers) == 5
    assert all(r.active for r in SqlHelpDesk(desk_site.db).list_volunteers())


# --- help requests --------------------------------------------------------------------------------
async def test_the_queue_for_an_admin(
    desk_site: AdminSite, seeded_desk: Seeded, client: httpx.AsyncClient
) -> None:
    """Waiting requests: escalated first, then oldest first, with phone, time to take and who took
    it; the status and commune filters narrow the list."""
    r = seeded_desk.requests
    await login(client, "chi.lan")
    queue = await client.get("/admin/requests")
    assert queue.status_code == 200
    assert request_ids(queue.text) == [r["r3"], r["r8"], r["r2"], r["r6"]]
    assert "0900 000 003" in queue.text
    assert SECRET_NEED in queue.text
    row = re.search(rf'/admin/requests/{r["r2"]}">.*?</tr>', queue.text, re.S)
    assert row is not None
    assert "Trần Văn Nam" in row.group()
    assert re.search(r'<td class="n"[^>]*>30</td>', row.group()), "taken 30 minutes after it was made"
    assert "Đã nhận" in row.group()
    escalated = re.search(rf'/admin/requests/{r["r8"]}">.*?</tr>', queue.text, re.S)
    assert escalated is not None
    assert "đã chuyển lên tỉnh" in escalated.group()
    assert "Cấp tỉnh" in escalated.group()
    closed = await client.get("/admin/requests?status=closed")
    assert request_ids(closed.text) == [r["r1"], r["r7"], r["r5"], r["r0"]], "ended ones newest first"
    assert "Không liên lạc được" in closed.text
    assert request_ids((await client.get(f"/admin/requests?status=all&commune={VINH_HUNG}")).text) == [
        r["r6"],
        r["r7"],
    ]
    assert request_ids((await client.get("/admin/requests?commune=-")).text) == [r["r8"]]


async def test_a_commune_volunteer_sees_their_requests_only(desk_site: AdminSite, seeded_desk: Seeded,
                                                            client: httpx.AsyncClient) -> None:  # fmt: skip
    """A volunteer of Anh Sơn lists Anh Sơn's requests with their phones; another commune's request
    is not found, by list, page or form, and none of its data shows."""
    r = seeded_desk.requests
    await login(client, "co.hoa")
    queue = await client.get("/admin/requests")
    assert queue.status_code == 200
    assert request_ids(queue.text) == [r["r3"], r["r2"]]
    assert "0900 000 003" in queue.text
    assert request_ids((await client.get("/admin/requests?status=all")).text) == [r["r3"], r["r2"], r["r1"], r["r4"],
                                                                                  r["r5"], r["r0"]]  # fmt: skip
    own = await client.get(f"/admin/requests/{r['r3']}")
    assert own.status_code == 200
    assert "khai sinh cho cháu" in own.text
    for path in (f"/admin/requests/{r['r6']}", f"/admin/requests/{r['r8']}", "/admin/requests/99999"):
        response = await client.get(path)
        assert response.status_code == 404
        assert SECRET_NEED not in response.text
        assert "0900 000 006" not in response.text
    assert (await client.get(f"/admin/requests?commune={VINH_HUNG}")).status_code == 403
    token = csrf_of(queue.text)
    refused = await client.post(f"/admin/requests/{r['r6']}/close", data={"csrf": token, "outcome": "done"})
    assert refused.status_code == 404
    with desk_site.db.connect() as connection:
        assert (
            connection.execute(
                sa.select(help_requests.c.status).where(help_requests.c.id == r["r6"])
            ).scalar()
            == "open"
        )
    assert audit_actions(desk_site) == []


async def test_closing_a_request(
    desk_site: AdminSite, seeded_desk: Seeded, client: httpx.AsyncClient
) -> None:
    """A commune volunteer closes their commune's request with an outcome, audited; closing it
    again changes nothing; a made-up outcome is refused."""
    r3 = seeded_desk.requests["r3"]
    await login(client, "co.hoa")
    page = await client.get(f"/admin/requests/{r3}")
    token = csrf_of(page.text)
    assert f'action="/admin/requests/{r3}/close"' in page.text
    bad = await client.post(f"/admin/requests/{r3}/close", data={"csrf": token, "outcome": "whatever"})
    assert bad.status_code == 400
    done = await client.post(f"/admin/requests/{r3}/close", data={"csrf": token, "outcome": "office"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/requests/{r3}?done=closed"
    with desk_site.db.connect() as connection:
        row = connection.execute(sa.select(help_requests).where(help_requests.c.id == r3)).one()
    assert (row.status, row.outcome, row.closed_at) == ("closed", "office", desk_site.clock())
    shown = await client.get(done.headers["location"])
    assert "Đã đóng yêu cầu." in shown.text
    assert "Hướng dẫn ra bộ phận một cửa" in shown.text
    assert "/close" not in shown.text, "no form for an ended request"
    again = await client.post(f"/admin/requests/{r3}/close", data={"csrf": token, "outcome": "done"})
    assert again.headers["location"] == f"/admin/requests/{r3}?done=ended"
    assert audit_actions(desk_site) == [("co.hoa", "request_closed", f"#{r3} office")]


async def test_an_admin_closes_any_commune_request(desk_site: AdminSite, seeded_desk: Seeded,
                                                   client: httpx.AsyncClient) -> None:  # fmt: skip
    """An admin closes an escalated province-level request, which no commune volunteer may see."""
    r8 = seeded_desk.requests["r8"]
    await login(client, "chi.lan")
    token = csrf_of((await client.get(f"/admin/requests/{r8}")).text)
    assert (
        await client.post(f"/admin/requests/{r8}/close", data={"csrf": token, "outcome": "done"})
    ).status_code == 303
    with desk_site.db.connect() as connection:
        assert (
            connection.execute(sa.select(help_requests.c.status).where(help_requests.c.id == r8)).scalar()
            == "closed"
        )
    assert audit_actions(desk_site) == [("chi.lan", "request_closed", f"#{r8} done")]


async def test_the_pages_in_english(
    desk_site: AdminSite, seeded_desk: Seeded, client: httpx.AsyncClient
) -> None:
    """The new pages and their labels follow the dashboard's language."""
    await login(client, "chi.lan")
    await client.get("/admin/lang?to=en")
    queue = await client.get("/admin/requests")
    assert "<h1>Help requests</h1>" in queue.text
    assert "Taken" in queue.text
    assert "In the morning" in queue.text
    assert "<h1>Volunteers</h1>" in (await client.get("/admin/volunteers")).text
    assert "Median minutes to take" in (await client.get("/admin/teams")).text


def test_every_help_desk_code_has_its_words() -> None:
    """Each status, outcome, reason and good time has a label, in Vietnamese too."""
    codes = {
        *STATUSES,
        *REQUEST_OUTCOMES,
        "expired",
        *ASSIST_OUTCOMES,
        "unknown",
        *ASSIST_REASONS,
        *GOOD_TIMES,
    }
    assert codes <= LABELS.keys()
    assert set(LABELS.values()) <= VI.keys()
    assert label("claimed") == "Đã nhận"
    assert label(None) == "—"


def test_a_dashboard_users_commune_is_read_as_the_help_desks() -> None:
    """A volunteer's commune may be written as an id, a full name or a bare name."""
    book = communes()
    assert commune_key(book, ANH_SON) == ANH_SON
    assert commune_key(book, "Xã Anh Sơn") == ANH_SON
    assert commune_key(book, "xa anh son") == ANH_SON
    assert commune_key(book, "Vinh Hưng") == VINH_HUNG
    assert commune_key(book, "Xã Không Có") == "Xã Không Có", "unknown: unchanged, matching nothing"
    assert commune_key(book, None) is None
