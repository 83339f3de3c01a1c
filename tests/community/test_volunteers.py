"""Volunteers: one-time link codes (expired, reused, guessed), deactivation, assisted sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from bot.core.desk import LinkOutcome
from bot.helpdesk.sql import LINK_ATTEMPTS, SqlHelpDesk, hash_code
from bot.storage.tables import assist_sessions, link_codes, usage_events
from tests.community.conftest import ANH_SON, Clock, Person


async def test_a_code_links_once_and_only_the_hash_is_stored(desk: SqlHelpDesk, person: Callable[..., Person]) -> None:
    volunteer, code = desk.create_volunteer("Lê Thị Cúc", "Tổ xóm 3", ANH_SON, "0912000333", created_by="admin")
    with desk.db.connect() as conn:
        stored = conn.execute(sa.select(link_codes.c.code_hash)).scalars().all()
    assert stored == [hash_code(code)]
    assert code not in stored
    chat = person("601")
    await chat.say(code.lower().replace("-", "-"))  # sent alone, in lower case: still a code
    assert "Lê Thị Cúc" in chat.text
    assert "/hotro" in chat.text
    assert await desk.volunteer("telegram", "601") == volunteer
    other = person("602")
    await other.say(f"/lienket {code}")
    assert "đã được dùng" in other.text
    assert await desk.volunteer("telegram", "602") is None
    again = await desk.link("telegram", "601", code)  # the same account again: still fine
    assert again.outcome is LinkOutcome.LINKED


async def test_an_expired_code_is_refused(desk: SqlHelpDesk, clock: Clock, person: Callable[..., Person]) -> None:
    _volunteer, code = desk.create_volunteer("Hồ Văn Dũng", "Tổ xóm 4", ANH_SON, None, created_by="admin", code_hours=72)
    clock.advance(hours=72, seconds=1)
    chat = person("611")
    await chat.say(f"/lienket {code}")
    assert "hết hạn" in chat.text
    assert await desk.volunteer("telegram", "611") is None


async def test_a_new_code_replaces_the_old_one(desk: SqlHelpDesk) -> None:
    volunteer, first = desk.create_volunteer("Phan Văn Em", "Tổ xóm 5", ANH_SON, None, created_by="admin")
    second = desk.issue_code(volunteer.id)
    assert (await desk.link("zalo", "u1", first)).outcome is LinkOutcome.EXPIRED
    assert (await desk.link("zalo", "u1", second)).outcome is LinkOutcome.LINKED


async def test_guessing_is_throttled_per_account_for_an_hour(desk: SqlHelpDesk, clock: Clock,
                                                             person: Callable[..., Person]) -> None:  # fmt: skip
    _volunteer, code = desk.create_volunteer("Đặng Thị Gấm", "Tổ xóm 6", ANH_SON, None, created_by="admin")
    chat = person("621")
    for guess in range(LINK_ATTEMPTS):
        await chat.say(f"/lienket AAAA-{guess:04d}")
        assert "không hợp lệ" in chat.text
    await chat.say(f"/lienket {code}")  # even the right code waits: the account is throttled
    assert "quá nhiều" in chat.text
    assert await desk.volunteer("telegram", "621") is None
    assert (await desk.link("telegram", "622", code)).outcome is LinkOutcome.LINKED  # others are not
    clock.advance(hours=1, seconds=1)
    assert (await desk.link("telegram", "621", "AAAA-9999")).outcome is LinkOutcome.UNKNOWN


async def test_a_deactivated_volunteer_can_no_longer_claim_or_assist(desk: SqlHelpDesk, volunteer: Any) -> None:
    chat, created = await volunteer("631")
    assert desk.set_active(created.id, False)
    await chat.say("/hotro")
    assert chat.state is not None
    assert chat.state.assist is None
    assert "hd:yes" in chat.payloads  # treated as anybody asking for help
    await chat.press("hr:claim:1")
    assert "Chỉ tình nguyện viên" in chat.text


async def test_an_assisted_session_is_marked_and_ends_in_two_taps(desk: SqlHelpDesk, volunteer: Any) -> None:
    chat, created = await volunteer("641")
    await chat.say("/hotro")
    assert chat.state is not None
    assert chat.state.assist is not None
    turn = await chat.say("làm căn cước cho mẹ ở đâu")
    answered = [e for e in turn.events if e.kind == "answered"]
    assert answered
    assert answered[0].detail["assisted_by"] == str(created.id)
    assert answered[0].detail["commune"] == ANH_SON
    await chat.say("/ketthuc")
    assert {"av:online", "av:office", "av:unfinished"} <= set(chat.payloads)
    await chat.press("av:unfinished")
    assert "ar:no_vneid" in chat.payloads
    await chat.press("ar:no_vneid")
    assert "am:none" in chat.payloads, "which papers of the identity card's checklist were missing"
    turn = await chat.say("không thiếu giấy")
    assert chat.state is not None
    assert chat.state.assist is None
    assert chat.state.procedure is None
    assert [e.detail["outcome"] for e in turn.events if e.kind == "assist_finished"] == ["unfinished"]
    with desk.db.connect() as conn:
        session = conn.execute(sa.select(assist_sessions)).one()
    assert (session.volunteer_id, session.outcome, session.reason) == (created.id, "unfinished", "no_vneid")
    assert session.commune == ANH_SON
    assert "identity_card" in (session.procedures or "")
    assert session.ended_at is not None
    turn = await chat.say("làm căn cước ở đâu")  # after the session: no longer assisted
    assert all("assisted_by" not in e.detail for e in turn.events)


async def test_a_session_left_open_is_closed_when_the_next_begins(desk: SqlHelpDesk, volunteer: Any) -> None:
    chat, _ = await volunteer("651")
    await chat.say("/hotro")
    await chat.say("/hotro")
    with desk.db.connect() as conn:
        outcomes = conn.execute(sa.select(assist_sessions.c.outcome).order_by(assist_sessions.c.id)).scalars().all()
    assert outcomes == ["unknown", None]


async def test_ending_without_a_session_and_stray_outcome_buttons_are_harmless(person: Callable[..., Person]) -> None:
    chat = person("661")
    await chat.say("/ketthuc")
    assert "/hotro" in chat.text
    await chat.press("av:online")
    assert "không còn" in chat.text  # an old button, said kindly


async def test_a_citizen_typing_hotro_is_offered_help(person: Callable[..., Person]) -> None:
    chat = person("671")
    await chat.say("/hotro")
    assert "hd:yes" in chat.payloads


async def test_assisted_events_reach_the_usage_log_marked(desk: SqlHelpDesk, volunteer: Any) -> None:
    """Through the app's own conversation service and usage writer, into usage_events."""
    from bot.app import build_app
    from bot.core.messages import Inbound
    from bot.settings import Settings

    app = build_app(Settings(database_url=str(desk.db.url), usage_flush_seconds=0.05))
    await app.start()
    try:
        created, code = app.desk.create_volunteer("Vũ Văn Hải", "Tổ xóm 7", ANH_SON, None, created_by="admin") if app.desk else (None, "")
        assert created is not None
        for text in (f"/lienket {code}", "/hotro", "đăng ký khai sinh cho con"):
            await app.conversations.handle(Inbound("telegram", "681", text=text))
    finally:
        await app.close()
    with desk.db.connect() as conn:
        rows = conn.execute(sa.select(usage_events.c.kind, usage_events.c.assisted_by, usage_events.c.commune)
                            .where(usage_events.c.kind == "answered")).all()  # fmt: skip
    assert rows == [("answered", str(created.id), ANH_SON)]
