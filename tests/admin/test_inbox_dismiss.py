"""Dismissing junk in the inbox: several groups at once, undone at once or restored later from the
"Dismissed" view; the usage events and every count stay as they were."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from bot.admin.site import AdminSite
from bot.storage.tables import usage_events
from tests.admin.conftest import csrf_of, login
from tests.admin.data import D1, D2, SO_DO, TAN_PHU, insert, row
from tests.admin.test_one_number import kpis, number_in

JUNK = ("asdfgh", "alo alo", "😀😀")
"""What people send that no procedure will ever answer: each its own inbox group."""


@pytest.fixture
def junk(seeded: AdminSite) -> AdminSite:
    insert(seeded.db, [row(D2, "web", TAN_PHU, f"j{i}", "not_understood", None, text, hour=5 + i)
                       for i, text in enumerate(JUNK)])  # fmt: skip
    return seeded


def questions(html: str) -> list[str]:
    """The groups listed, by their main text, in page order."""
    return re.findall(r'class="question">(?:<q>)?([^<]+)<', html)


def undo_ids(html: str) -> list[str]:
    form = re.search(r'<form method="post" action="/admin/inbox/restore" class="ok undo".*?</form>', html, re.S)
    assert form, "no undo button after dismissing"
    return re.findall(r'name="id" value="(\d+)"', form.group(0))


def events_stored(site: AdminSite) -> int:
    with site.db.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(usage_events)).scalar_one())


def breakdown(html: str) -> tuple[int, int, int]:
    return number_in(html, "inbox-count"), number_in(html, "inbox-waiting"), number_in(html, "inbox-dismissed")


async def test_several_at_once_then_undo(junk: AdminSite, client: httpx.AsyncClient) -> None:
    """Two junk groups ticked and dismissed with one button leave the inbox; the usage log and the
    overview's count do not change; "Hoàn tác" brings both back."""
    stored = events_stored(junk)
    await login(client, "chi.lan")
    page = (await client.get("/admin/inbox?days=30")).text
    assert set(JUNK) <= set(questions(page))
    assert "Bỏ qua các mục đã chọn" in page
    assert breakdown(page) == (6, 6, 0)
    response = await client.post("/admin/inbox/dismiss", data={
        "csrf": csrf_of(page), "back": "days=30", "item": [JUNK[0], JUNK[1]]})  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/inbox?days=30&dismissed=")
    after = (await client.get(response.headers["location"])).text
    assert JUNK[0] not in questions(after)
    assert JUNK[1] not in questions(after)
    assert JUNK[2] in questions(after)
    assert any(q in SO_DO for q in questions(after))
    assert "Đã bỏ qua các câu hỏi đã chọn" in after
    assert breakdown(after) == (6, 4, 2), "still counted, now as dismissed"
    assert events_stored(junk) == stored, "no usage event deleted"
    assert kpis((await client.get("/admin")).text)["Chưa hiểu"] == "6"
    ids = undo_ids(after)
    assert len(ids) == 2
    undone = await client.post("/admin/inbox/restore", data={"csrf": csrf_of(after), "back": "days=30", "id": ids})
    assert undone.status_code == 303
    assert parse_qs(urlsplit(undone.headers["location"]).query) == {"days": ["30"], "restored": ["2"]}
    back = (await client.get(undone.headers["location"])).text
    assert set(JUNK) <= set(questions(back))
    assert "Đã khôi phục" in back
    assert breakdown(back) == (6, 6, 0)
    actions = [(e.username, e.action) for e in junk.accounts.audit_log()]
    assert ("chi.lan", "inbox_dismissed") in actions
    assert ("chi.lan", "inbox_restored") in actions


async def test_restored_from_the_dismissed_view(junk: AdminSite, client: httpx.AsyncClient) -> None:
    """A group dismissed a while ago is listed under "Đã bỏ qua" and restored from there alone."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/inbox")).text)
    await client.post("/admin/inbox/dismiss", data={"csrf": token, "back": "", "item": list(JUNK)})
    dismissed = (await client.get("/admin/inbox?view=dismissed")).text
    assert sorted(questions(dismissed)) == sorted(JUNK)
    assert 'aria-current="page">Đã bỏ qua (3)' in dismissed
    assert "Bỏ qua các mục đã chọn" not in dismissed, "nothing to dismiss twice"
    forms = re.findall(r'<section class="card group">.*?</section>', dismissed, re.S)
    alo = next(f for f in forms if JUNK[1] in f)
    ids = re.findall(r'name="id" value="(\d+)"', alo)
    assert "Khôi phục" in alo
    assert len(ids) == 1
    response = await client.post("/admin/inbox/restore", data={"csrf": token, "back": "view=dismissed", "id": ids})
    assert response.headers["location"] == "/admin/inbox?view=dismissed&restored=1"
    assert sorted(questions((await client.get(response.headers["location"])).text)) == sorted([JUNK[0], JUNK[2]])
    assert JUNK[1] in questions((await client.get("/admin/inbox")).text)


async def test_a_dismissed_group_takes_all_its_phrasings(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Ticking a group dismisses every way it was asked, so it stays out under any commune filter;
    a question asked the same way later stays out too."""
    await login(client, "chi.lan")
    page = (await client.get("/admin/inbox")).text
    shown = next(q for q in questions(page) if q in SO_DO)
    await client.post("/admin/inbox/dismiss", data={"csrf": csrf_of(page), "back": "", "item": shown})
    assert sorted(seeded.dismissals.keys()) == sorted(["lam so do o dau", "lam so do o dau vay a",
                                                       "cho em hoi lam so do o dau"])  # fmt: skip
    for url in ("/admin/inbox", f"/admin/inbox?commune={TAN_PHU}", "/admin/inbox?commune=-"):
        assert not any(q in SO_DO for q in questions((await client.get(url)).text)), url
    insert(seeded.db, [row(D2, "zalo", None, "p9", "not_understood", None, SO_DO[1].upper(), hour=9)])
    assert not any(q.casefold() in SO_DO for q in questions((await client.get("/admin/inbox")).text))


async def test_odd_requests_get_a_kind_answer(junk: AdminSite, client: httpx.AsyncClient) -> None:
    """Nothing ticked, no CSRF token, made-up ids: a short message or nothing done, never an error."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/inbox")).text)
    empty = await client.post("/admin/inbox/dismiss", data={"csrf": token, "back": "days=30", "item": "  "})
    assert empty.status_code == 400
    assert "Hãy đánh dấu ít nhất một câu hỏi để bỏ qua." in empty.text
    forged = await client.post("/admin/inbox/dismiss", data={"back": "", "item": JUNK[0]})
    assert forged.status_code == 403
    assert junk.dismissals.keys() == {}
    nothing = await client.post("/admin/inbox/restore", data={"csrf": token, "id": ["abc", "-1"]})
    assert nothing.status_code == 400
    gone = await client.post("/admin/inbox/restore", data={"csrf": token, "back": "page=x&taught=1", "id": "999"})
    assert gone.headers["location"] == "/admin/inbox?restored=0"
    odd = await client.get("/admin/inbox?dismissed=1,x,,2&view=nonsense&page=-3")
    assert odd.status_code == 200
    assert undo_ids(odd.text) == ["1", "2"]


async def test_a_volunteer_cannot_dismiss(junk: AdminSite, client: httpx.AsyncClient) -> None:
    """The inbox shows citizens' words: admins only, its actions too."""
    await login(client, "anh.tuan")
    token = csrf_of((await client.get("/admin/password")).text)
    response = await client.post("/admin/inbox/dismiss", data={"csrf": token, "item": JUNK[0]})
    assert response.status_code == 403
    assert junk.dismissals.keys() == {}


SPELLINGS = ("làm CCCD ở đâu", "Lam cccd o dau???", "LÀM   cccd, ở ĐÂU!", "làm cccd ở đâuuu")
"""One junk question (for this test's sake) typed four ways: accents, case, spaces, punctuation, a
letter held down."""


async def test_a_new_spelling_of_a_dismissed_question_stays_out(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Dismissed once, the question stays out however it is typed later, when the spelling that was
    dismissed is no longer among the days shown: the dismissal is kept by the text folded as the
    matcher folds it (accents, case, spaces, punctuation), one row for all."""
    insert(seeded.db, [row(D1, "web", TAN_PHU, "s0", "not_understood", None, SPELLINGS[0], hour=6)])
    await login(client, "chi.lan")
    page = (await client.get("/admin/inbox?days=30")).text
    assert SPELLINGS[0] in questions(page)
    await client.post("/admin/inbox/dismiss", data={"csrf": csrf_of(page), "back": "", "item": SPELLINGS[0]})
    assert list(seeded.dismissals.keys()) == ["lam cccd o dau"]
    insert(seeded.db, [row(D2, "zalo", None, f"s{n}", "not_understood", None, text, hour=7 + n)
                       for n, text in enumerate(SPELLINGS[1:], 1)])  # fmt: skip
    page = (await client.get("/admin/inbox?days=2")).text  # 22-23/11: the new spellings only
    assert "sổ đỏ" in page, "the page lists the other questions"
    assert not [q for q in questions(page) if "cccd" in q.casefold()], "a new spelling came back"
    assert seeded.dismissals.dismiss(SPELLINGS[1:], "chi.lan") == [], "the same question: no second row"
    assert list(seeded.dismissals.keys()) == ["lam cccd o dau"]


def test_text_with_no_letters_is_kept_as_typed(seeded: AdminSite) -> None:
    """A sticker's emoji or a row of "???" folds to nothing: it is kept by its own (cased, spaced) text."""
    made = seeded.dismissals.dismiss(["😀😀", "???", "  ??? ", ""], "chi.lan")
    assert len(made) == 2
    assert sorted(seeded.dismissals.keys()) == ["???", "😀😀"]
