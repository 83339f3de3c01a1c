"""The assisted session's outcome records which papers of the checklist were missing when the
citizen could not finish: pressed one by one ("Xong"), typed ("1, 3", "thiếu giấy khai sinh"),
or none ("không thiếu giấy"); stored with the outcome, with the guide's line and nothing personal."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from bot.core.assist_papers import Paper, read_missing
from bot.core.checklist import paper_key
from bot.data.models import Text
from bot.helpdesk.sql import SqlHelpDesk
from bot.storage.tables import assist_missing_papers, assist_sessions

PAPERS = [Paper("birth_registration", paper_key(t), t) for t in (
    Text(vi="Tờ khai đăng ký khai sinh", en="Birth registration form"),
    Text(vi="Giấy chứng sinh do cơ sở y tế cấp", en="Birth certificate from the clinic"),
    Text(vi="Giấy chứng nhận kết hôn của cha mẹ", en="The parents' marriage certificate"),
)]  # fmt: skip


@pytest.mark.parametrize("typed", ["abc", "9", "0", "1, 9", "giấy phép lái xe", "làm căn cước ở đâu", ""])
def test_typed_words_that_name_no_paper_are_no_answer(typed: str) -> None:
    """Words or numbers that are not on the list record nothing: the question is asked again."""
    assert read_missing(typed, PAPERS) is None


@pytest.mark.parametrize(("typed", "wanted"), [
    ("không thiếu giấy", []),
    ("ko thieu", []),
    ("bỏ qua", []),
    ("1, 3", [0, 2]),
    ("1 va 3", [0, 2]),
    ("2", [1]),
    ("thiếu giấy chứng sinh", [1]),
    ("con thieu giay chung nhan ket hon va to khai", [2, 0]),
    ("3, 3", [2]),
])  # fmt: skip
def test_typed_missing_papers(typed: str, wanted: list[int]) -> None:
    assert read_missing(typed, PAPERS) == [PAPERS[i] for i in wanted]


async def _unfinished(chat: Any) -> None:
    """A session in which the volunteer runs the birth guide, then ends it: not finished, papers."""
    await chat.say("/hotro")
    await chat.say("huong dan dang ky khai sinh")
    for answer in ("benh vien", "hôm qua", "có", "có"):
        await chat.say(answer)
    assert "✅" in chat.text, chat.text
    await chat.say("/ketthuc")
    await chat.press("av:unfinished")
    await chat.press("ar:papers")


def _stored(desk: SqlHelpDesk) -> tuple[Any, list[Any]]:
    with desk.db.connect() as conn:
        session = conn.execute(sa.select(assist_sessions)).one()
        papers = conn.execute(sa.select(assist_missing_papers).order_by(assist_missing_papers.c.id)).all()
    return session, papers


async def test_odd_typed_answers_ask_again_and_keep_the_question(desk: SqlHelpDesk, volunteer: Any) -> None:
    """"abc" and a number not on the list ask again with the list; a question asked meanwhile is
    answered and the list comes back; nothing is stored until an answer fits."""
    chat, _created = await volunteer("651")
    await _unfinished(chat)
    assert "Giấy tờ nào trong danh sách còn thiếu?" in chat.text
    assert {"am:t:1", "am:done", "am:none"} <= set(chat.payloads)
    await chat.say("abc")
    assert "chưa hiểu" in chat.text
    assert "am:done" in chat.payloads
    await chat.say("15")
    assert "am:done" in chat.payloads
    await chat.say("lệ phí làm căn cước bao nhiêu")
    assert "70.000" in chat.text or "miễn phí" in chat.text
    assert "am:done" in chat.payloads, "the question comes back after the side question"
    session, papers = _stored(desk)
    assert session.ended_at is None
    assert papers == []
    assert chat.state is not None
    assert chat.state.assist is not None


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_typed_numbers_are_stored_with_the_outcome(desk: SqlHelpDesk, volunteer: Any) -> None:
    """"1, 2" records the first two papers of the checklist with the outcome; no personal data."""
    chat, created = await volunteer("652")
    await _unfinished(chat)
    offered = [line for line in chat.text.splitlines() if line[:2] in ("1.", "2.")]
    await chat.say("1, 2")
    assert "Đã ghi giấy còn thiếu" in chat.text
    assert chat.state is not None
    assert chat.state.assist is None
    assert chat.state.awaiting is None
    session, papers = _stored(desk)
    assert (session.volunteer_id, session.outcome, session.reason) == (created.id, "unfinished", "papers")
    assert [p.procedure for p in papers] == ["birth_registration"] * 2
    assert [f"{n}. ☐ {p.paper}" for n, p in enumerate(papers, 1)] == offered
    assert {c.name for c in assist_missing_papers.columns} == {"id", "session_id", "procedure", "paper_key", "paper"}


async def test_buttons_toggle_and_done_records_the_pressed(desk: SqlHelpDesk, volunteer: Any) -> None:
    """A press marks a paper ☑, a second press clears it; "Xong" stores those marked; a stale
    "Xong" afterwards stores nothing more."""
    chat, _created = await volunteer("653")
    await _unfinished(chat)
    await chat.press("am:t:1")
    await chat.press("am:t:2")
    await chat.press("am:t:1")
    assert "1. ☐" in chat.text
    assert "2. ☑" in chat.text
    await chat.press("am:done")
    _session, papers = _stored(desk)
    assert len(papers) == 1
    await chat.press("am:done")
    assert "không còn dùng được" in chat.text
    assert len(_stored(desk)[1]) == 1


async def test_no_paper_missing(desk: SqlHelpDesk, volunteer: Any) -> None:
    chat, _created = await volunteer("654")
    await _unfinished(chat)
    await chat.say("không thiếu giấy")
    session, papers = _stored(desk)
    assert session.outcome == "unfinished"
    assert session.ended_at is not None
    assert papers == []


async def test_papers_ticked_missing_in_the_session_come_pressed(desk: SqlHelpDesk, volunteer: Any) -> None:
    """A paper ticked "còn thiếu" on the checklist during the session is already ☑."""
    chat, _created = await volunteer("655")
    await chat.say("/hotro")
    await chat.say("huong dan dang ky khai sinh")
    for answer in ("benh vien", "hôm qua", "có", "có", "thiếu 1"):
        await chat.say(answer)
    await chat.say("/ketthuc")
    await chat.press("av:unfinished")
    await chat.press("ar:papers")
    assert "1. ☑" in chat.text
    await chat.press("am:done")
    assert len(_stored(desk)[1]) == 1


async def test_a_session_with_no_guide_asks_no_papers(desk: SqlHelpDesk, volunteer: Any) -> None:
    """Without a procedure helped with there is no checklist: the outcome ends in two taps."""
    chat, _created = await volunteer("656")
    await chat.say("/hotro")
    await chat.say("/ketthuc")
    await chat.press("av:unfinished")
    await chat.press("ar:device")
    assert "am:done" not in chat.payloads
    session, papers = _stored(desk)
    assert session.ended_at is not None
    assert papers == []
