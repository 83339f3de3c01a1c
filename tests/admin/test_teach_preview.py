"""Teaching a phrasing shows first what the assistant will answer, for the phrasing and the ways
people type it, now and once taught; only "Lưu" teaches. A guess is pre-selected only when sure."""

from __future__ import annotations

import re
from html import unescape

import httpx

from bot.admin.site import AdminSite
from bot.admin.teaching import preview, variants
from bot.core.matcher import ANSWER_AT, Decision
from tests.admin.conftest import csrf_of, login
from tests.admin.data import D2, insert, row
from tests.admin.test_inbox import answer_of
from tests.admin.test_vietnamese import leaks, visible

NEW = "ông cụ vừa về trời"
"""Not understood at all today ("passed away", said kindly); the death registration once taught."""
UNSURE = "nhà em có người vừa đi xa mãi mãi"
"""Half recognised ("gone far for ever"): the matcher asks back, its best guess (the temporary absence) is wrong."""
SURE = "ông bà mất cần làm gì"
"""Answered with confidence now (taught elsewhere, or the knowledge base grew since it was asked)."""


def preview_rows(html: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="cards" id="preview">.*?</table>', html, re.S)
    assert table, "no preview table"
    cells = re.findall(r"<tr[^>]*>\s*<td[^>]*><q>(.*?)</q></td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table.group(0), re.S)
    return [(unescape(q), re.sub(r"<[^>]+>", "", now).strip(), re.sub(r"<[^>]+>", "", after).strip()) for q, now, after in cells]


def test_variants_are_what_people_type() -> None:
    assert variants("Cụ nhà em  mất hôm qua?") == ["Cụ nhà em mất hôm qua?", "cu nha em mat hom qua",
                                                  "cho em hỏi Cụ nhà em mất hôm qua ạ"]  # fmt: skip
    assert variants("abc") == ["abc", "cho em hỏi abc ạ"], "no duplicate when nothing to fold"


def test_the_preview_leaves_the_live_matcher_alone(seeded: AdminSite) -> None:
    """A matcher of its own answers 'after'; the running assistant still does not know the phrasing."""
    assert seeded.matcher is not None
    kb = seeded.kb
    assert kb is not None
    rows = preview(kb, [], "death_registration", [NEW])
    assert [r.text for r in rows] == variants(NEW)
    assert all(r.now.decision is not Decision.ANSWER and r.after.answers("death_registration") for r in rows)
    assert seeded.matcher.match(NEW).decision is not Decision.ANSWER


async def test_assign_shows_a_preview_and_only_saving_teaches(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Gán opens the preview (phrasing, unaccented, in a question: now not understood, then the death
    registration); nothing is stored until Lưu, which teaches the running assistant."""
    insert(seeded.db, [row(D2, "zalo", None, f"q{i}", "not_understood", None, NEW, hour=4 + i) for i in range(2)])
    engine = seeded.core.engine
    await login(client, "chi.lan")
    inbox = await client.get("/admin/inbox?days=30")
    page = await client.post("/admin/inbox/preview", data={
        "csrf": csrf_of(inbox.text), "procedure": "death_registration", "text": NEW, "back": "days=30"})  # fmt: skip
    assert page.status_code == 200
    assert "Kiểm tra trước khi dạy" in page.text
    rows = preview_rows(page.text)
    assert [q for q, _now, _after in rows] == [NEW, "ong cu vua ve troi", f"cho em hỏi {NEW} ạ"]
    assert all(now == "Chưa hiểu" and after == "Đăng ký khai tử" for _q, now, after in rows), rows
    assert "<strong>Đăng ký khai tử</strong>" in page.text, "a change is marked"
    assert leaks(visible(page.text)) == [], "Vietnamese only"
    assert seeded.aliases.all() == [], "nothing taught by looking"
    assert await answer_of(engine, NEW) is None
    save = re.search(r'<form method="post" action="/admin/inbox/assign".*?</form>', page.text, re.S)
    assert save
    assert "Lưu: dạy trợ lý" in save.group(0)
    fields = re.findall(r'name="(\w+)" value="([^"]*)"', save.group(0))
    form: dict[str, list[str]] = {}
    for key, value in fields:
        form.setdefault(key, []).append(unescape(value))
    saved = await client.post("/admin/inbox/assign", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/admin/inbox?days=30&taught=")
    assert [(a.procedure, a.text) for a in seeded.aliases.all()] == [("death_registration", NEW)]
    assert await answer_of(engine, "ong cu vua ve troi") == "death_registration"


async def test_a_phrasing_that_would_break_an_answer_shows_it(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Teaching the identity card's own words for VNeID would not make them VNeID's: the assistant
    would ask back, or no longer understand them, instead of answering the identity card. The
    preview shows it and warns."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/inbox")).text)
    page = await client.post("/admin/inbox/preview", data={"csrf": token, "procedure": "vneid", "text": "làm căn cước"})
    assert page.status_code == 200
    rows = preview_rows(page.text)
    assert rows[0][0] == "làm căn cước"
    assert rows[0][1] == "Thẻ căn cước (trước đây là CCCD)"
    assert rows[0][2].startswith("Hỏi lại: ") or rows[0][2] == "Chưa hiểu", rows
    assert "Kể cả khi đã dạy, trợ lý vẫn chưa tự trả lời “làm căn cước” bằng thủ tục này." in page.text
    assert leaks(visible(page.text)) == []
    assert seeded.aliases.all() == []


async def test_odd_previews_get_a_kind_answer(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """No procedure, a made-up one, no phrasing, no CSRF token: a short message, nothing stored."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/inbox")).text)
    for data in ({"csrf": token, "text": NEW}, {"csrf": token, "procedure": "dog_licence", "text": NEW},
                 {"csrf": token, "procedure": "vneid", "text": "   "}):  # fmt: skip
        response = await client.post("/admin/inbox/preview", data=data)
        assert response.status_code == 400
        assert "Hãy chọn một thủ tục." in response.text
    assert (await client.post("/admin/inbox/preview", data={"procedure": "vneid", "text": NEW})).status_code == 403
    assert seeded.aliases.all() == []


async def test_only_a_confident_guess_is_preselected(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """The inbox pre-selects the death registration for a question the matcher now answers surely,
    and nothing for one it only half recognises (its guess, the accommodation notice, is wrong)."""
    assert seeded.matcher is not None
    sure, unsure = seeded.matcher.match(SURE), seeded.matcher.match(UNSURE)
    assert sure.decision is Decision.ANSWER
    assert sure.score >= ANSWER_AT
    assert unsure.decision is Decision.CLARIFY
    assert unsure.candidates[0].score < ANSWER_AT
    insert(seeded.db, [row(D2, "web", None, "s1", "did_you_mean", None, SURE),
                       row(D2, "web", None, "s2", "did_you_mean", None, UNSURE)])  # fmt: skip
    await login(client, "chi.lan")
    page = (await client.get("/admin/inbox")).text
    groups = {re.search(r'class="question"><q>([^<]+)', g).group(1): g  # type: ignore[union-attr]
              for g in re.findall(r'<section class="card group">.*?</section>', page, re.S)}  # fmt: skip
    chosen = {text: re.findall(r'<option value="([^"]*)" selected>', group) for text, group in groups.items()}
    assert chosen[SURE] == ["death_registration"]
    assert chosen[UNSURE] == [""], "nothing chosen for the admin"
