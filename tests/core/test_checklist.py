"""Ticking a checklist's papers by button and by typed text, what /checklist shows first, and the
ticks kept with the conversation across sessions (old stored states included)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.conversations import Conversations
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore


async def finished(engine: Engine) -> Turn:
    """The birth guide done: born in hospital, long ago, married, combined — two papers."""
    turn = await engine.handle(Inbound("test", "u", "huong dan dang ky khai sinh"))
    for answer in ("benh vien", "3/5/2026", "co", "co"):
        turn = await engine.handle(Inbound("test", "u", answer), turn.state)
    return turn


def tick_buttons(turn: Turn) -> dict[str, str]:
    return {b.label: b.payload or "" for m in turn.messages for b in m.buttons if (b.payload or "").startswith("ck:")}


async def test_the_finished_guide_offers_ticking(engine: Engine) -> None:
    """Under the checklist: "Đánh dấu giấy tờ đã có", which shows the papers with a button each."""
    turn = await finished(engine)
    [start] = [p for p in tick_buttons(turn).values()]
    shown = await engine.handle(Inbound("test", "u", payload=start), turn.state)
    text = shown.messages[0].text
    assert "Còn thiếu 2 giấy (trên 2)" in text
    assert "1. ☐ Tờ khai đăng ký khai sinh" in text
    assert list(tick_buttons(shown)) == ["☑ 1: đã có", "☑ 2: đã có"]


async def test_a_button_ticks_and_unticks(engine: Engine) -> None:
    """☑ marks a paper as had; ↩ puts it back as missing."""
    turn = await finished(engine)
    shown = await engine.handle(Inbound("test", "u", "/checklist"), turn.state)
    ticked = await engine.handle(Inbound("test", "u", payload=tick_buttons(shown)["☑ 2: đã có"]), shown.state)
    assert "2. ☑ Giấy chứng sinh" in ticked.messages[0].text
    assert "Còn thiếu 1 giấy" in ticked.messages[0].text
    back = await engine.handle(Inbound("test", "u", payload=tick_buttons(ticked)["↩ 2: còn thiếu"]), ticked.state)
    assert "2. ✖ Giấy chứng sinh" in back.messages[0].text
    assert "checklist_tick" in [e.kind for e in back.events]


async def test_typed_ticks_by_name_and_number(engine: Engine) -> None:
    """"có rồi giấy chứng sinh" and "co roi 1" tick; all ticked, the next steps are shown."""
    turn = await finished(engine)
    by_name = await engine.handle(Inbound("test", "u", "có rồi giấy chứng sinh"), turn.state)
    assert "Còn thiếu 1 giấy (trên 2): Tờ khai đăng ký khai sinh" in by_name.messages[0].text
    by_number = await engine.handle(Inbound("test", "u", "co roi 1"), by_name.state)
    assert "Bạn đã có đủ 2 giấy tờ. Việc tiếp theo:" in by_number.messages[0].text
    assert "UBND cấp xã" in by_number.messages[0].text
    missing = await engine.handle(Inbound("test", "u", "vẫn thiếu tờ khai"), by_number.state)
    assert "1. ✖ Tờ khai" in missing.messages[0].text


async def test_words_that_name_no_paper_are_a_question(engine: Engine) -> None:
    """"thiếu sổ hộ khẩu" names no paper of this checklist: it is answered as a question instead."""
    turn = await finished(engine)
    other = await engine.handle(Inbound("test", "u", "co roi, lam can cuoc o dau"), turn.state)
    assert "checklist_tick" not in [e.kind for e in other.events]
    assert other.state.ticks == {}


async def test_a_tick_for_a_forgotten_checklist_is_stale(engine: Engine) -> None:
    """A tick button from a checklist the conversation no longer has gets the kind stale reply."""
    turn = await engine.handle(Inbound("test", "u", payload="ck:birth_registration:abcdef12:y"))
    assert "stale_button" in [e.kind for e in turn.events]


def test_old_stored_states_load_without_ticks() -> None:
    """A state saved before ticks existed loads with none; ticks survive a JSON round trip."""
    old = ConversationState.model_validate_json('{"lang": "vi", "checklists": {"birth_registration": {"born_where": "home"}}}')
    assert old.ticks == {}
    old.ticks["birth_registration"] = {"abcdef12": "have"}
    assert ConversationState.model_validate_json(old.model_dump_json()).ticks == old.ticks


async def test_ticks_are_kept_across_two_sessions(engine: Engine, tmp_path: Path) -> None:
    """Ticked in one session, the app restarted, ticked again in the next: both ticks are there."""
    url = f"sqlite:///{tmp_path / 'chat.sqlite3'}"
    upgrade(url)

    def session() -> Conversations:
        return Conversations(engine, SqlStateStore(create_db_engine(url), ttl=timedelta(hours=72)))

    first = session()
    for text in ("huong dan dang ky khai sinh", "benh vien", "3/5/2026", "co", "co", "có rồi giấy chứng sinh"):
        replies = await first.handle(Inbound("telegram", "77", text))
    assert "Còn thiếu 1 giấy" in replies[0].text
    second = session()  # a new process over the same database
    shown = await second.handle(Inbound("telegram", "77", "/checklist"))
    assert "2. ☑ Giấy chứng sinh" in shown[0].text
    done = await second.handle(Inbound("telegram", "77", "đã có tờ khai"))
    assert "Bạn đã có đủ 2 giấy tờ" in done[0].text
