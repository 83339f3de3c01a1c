"""The reminder parts of a conversation over an in-memory book: the button under a checklist with
a deadline ahead, nothing stored before the tap, /nhacnho with cancel buttons, the way back into
the checklist, reminders shown at the next message, and erasure."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.reminders import ReminderTalk, add_months, due_date, notice_days
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.reminders.memory import MemoryReminderBook
from tests.conftest import TODAY


@pytest.fixture
def book() -> MemoryReminderBook:
    return MemoryReminderBook()


@pytest.fixture
def chat(engine: Engine, book: MemoryReminderBook) -> Engine:
    """The shared engine's copy with a reminder book of its own."""
    mine = copy.copy(engine)
    mine.reminders = ReminderTalk(book, mine.runner)
    return mine


async def say(engine: Engine, state: ConversationState | None, text: str = "", payload: str | None = None,
              channel: str = "telegram", user: str = "42") -> Turn:  # fmt: skip
    return await engine.handle(Inbound(channel, user, text, payload=payload), state)


async def finish_birth(engine: Engine, born: str, channel: str = "telegram") -> Turn:
    """The birth guide to its checklist: born in hospital on ``born``, married, combined."""
    turn = await say(engine, None, "huong dan dang ky khai sinh", channel=channel)
    for answer in ("benh vien", born, "co", "co"):
        turn = await say(engine, turn.state, answer, channel=channel)
    assert "flow_completed" in [e.kind for e in turn.events]
    return turn


def payloads(turn: Turn) -> list[str]:
    return [b.payload or "" for m in turn.messages for b in m.buttons]


async def test_a_checklist_with_a_deadline_ahead_offers_the_button(chat: Engine, book: MemoryReminderBook) -> None:
    """A birth ten days ago: the checklist offers "Nhắc tôi trước hạn"; nothing is stored yet."""
    turn = await finish_birth(chat, "13/11/2026")
    assert "r:set:birth_registration" in payloads(turn)
    assert "Nhắc tôi trước hạn" in " ".join(b.label for m in turn.messages for b in m.buttons)
    assert book.rows == {}


async def test_a_passed_deadline_offers_no_button(chat: Engine) -> None:
    """A birth 90 days ago has no deadline ahead: no reminder is offered."""
    turn = await finish_birth(chat, "25/8/2026")
    assert "r:set:birth_registration" not in payloads(turn)


async def test_without_a_book_nothing_is_offered(engine: Engine) -> None:
    """An engine without reminder storage (the benchmark, an app without a database) offers no button."""
    bare = copy.copy(engine)
    bare.reminders = ReminderTalk(None, bare.runner)
    turn = await finish_birth(bare, "13/11/2026")
    assert not any(p.startswith("r:") for p in payloads(turn))


async def test_the_tap_stores_only_what_the_reminder_needs(chat: Engine, book: MemoryReminderBook) -> None:
    """Channel, user id, guide, due date (birth + 60 days) and language — never the answers."""
    turn = await finish_birth(chat, "13/11/2026")
    turn = await say(chat, turn.state, payload="r:set:birth_registration")
    [row] = book.rows.values()
    assert (row.channel, row.user_id, row.flow, row.due, row.lang) == (
        "telegram", "42", "birth_registration", dt.date(2027, 1, 12), "vi")
    text = turn.messages[-1].text
    assert "12/01/2027" in text
    assert "09/01/2027" in text, "a few days before, then on the day"
    assert "reminder_set" in [e.kind for e in turn.events]
    again = await say(chat, turn.state, payload="r:set:birth_registration")
    assert len(book.rows) == 1, "a second tap keeps one reminder"
    assert again.messages


async def test_the_web_chat_is_told_the_reminder_waits_for_its_next_visit(chat: Engine) -> None:
    """The web chat cannot be written to first: the reply says the reminder shows when they come back."""
    turn = await finish_birth(chat, "13/11/2026", channel="web")
    turn = await say(chat, turn.state, payload="r:set:birth_registration", channel="web")
    assert "khi bạn quay lại" in turn.messages[-1].text


async def test_nhacnho_lists_and_cancels(chat: Engine, book: MemoryReminderBook) -> None:
    """/nhacnho lists each reminder with a cancel button; cancelling removes it from the list."""
    turn = await finish_birth(chat, "13/11/2026")
    turn = await say(chat, turn.state, payload="r:set:birth_registration")
    listed = await say(chat, turn.state, "/nhacnho")
    assert "Đăng ký khai sinh" in listed.messages[0].text
    assert "12/01/2027" in listed.messages[0].text
    [cancel] = [p for p in payloads(listed) if p.startswith("r:x:")]
    done = await say(chat, listed.state, payload=cancel)
    assert "Đã huỷ" in done.messages[0].text
    assert await book.of_person("telegram", "42") == []
    empty = await say(chat, done.state, "/nhacnho")
    assert "chưa có lời nhắc" in empty.messages[0].text


async def test_someone_else_cannot_cancel_it(chat: Engine, book: MemoryReminderBook) -> None:
    """A cancel button replayed by another person changes nothing."""
    turn = await finish_birth(chat, "13/11/2026")
    await say(chat, turn.state, payload="r:set:birth_registration")
    [row] = book.rows.values()
    other = await say(chat, None, payload=f"r:x:{row.id}", user="43")
    assert "đã kết thúc" in other.messages[0].text
    assert len(await book.of_person("telegram", "42")) == 1


async def test_erasing_my_data_deletes_my_reminders(chat: Engine, book: MemoryReminderBook) -> None:
    """/xoadulieu → yes deletes the person's reminders with the rest."""
    turn = await finish_birth(chat, "13/11/2026")
    turn = await say(chat, turn.state, payload="r:set:birth_registration")
    erased = await say(chat, turn.state, payload="erase:yes")
    assert erased.erase
    assert book.rows == {}


async def test_a_waiting_reminder_comes_first_in_the_next_reply(chat: Engine, book: MemoryReminderBook) -> None:
    """A reminder the channel could not push shows before the answer to the next message, once."""
    turn = await finish_birth(chat, "13/11/2026", channel="web")
    turn = await say(chat, turn.state, payload="r:set:birth_registration", channel="web")
    [row] = book.rows.values()
    book.hold(row.id)
    later = await say(chat, turn.state, "xin chao", channel="web")
    assert later.messages[0].text.startswith("⏰ Nhắc hạn")
    assert f"r:b:{row.id}:birth_registration" in payloads(later)
    again = await say(chat, later.state, "xin chao", channel="web")
    assert not again.messages[0].text.startswith("⏰")


async def test_the_button_back_opens_the_checklist(chat: Engine, book: MemoryReminderBook) -> None:
    """From a reminder: the checklist when the conversation still has it, counted as came back."""
    turn = await finish_birth(chat, "13/11/2026")
    turn = await say(chat, turn.state, payload="r:set:birth_registration")
    [row] = book.rows.values()
    back = await say(chat, turn.state, payload=f"r:b:{row.id}:birth_registration")
    assert "Giấy chứng sinh" in back.messages[0].text
    assert row.id in book.returned


async def test_the_button_back_restarts_an_expired_guide(chat: Engine, book: MemoryReminderBook) -> None:
    """After the conversation expired, the reminder's button starts the guide again."""
    back = await say(chat, None, payload="r:b:7:birth_registration")
    assert "Bé sinh ở đâu?" in "\n".join(m.text for m in back.messages)
    assert back.state.flow is not None


def test_the_due_date_follows_each_guide(chat: Engine) -> None:
    """Birth + 60 days, transfer papers + 30 days, a stay of N months from today; none when passed."""
    flows, runner = chat.runner.flows.flows, chat.runner
    birth = due_date(runner, flows["birth_registration"], {"born_where": "home", "birth_date": "2026-11-20"}, TODAY)
    assert birth is not None
    assert birth[0] == dt.date(2027, 1, 19)
    vehicle = due_date(runner, flows["vehicle_registration"], {"vehicle_case": "used", "transfer_date": "2026-11-20"}, TODAY)
    assert vehicle is not None
    assert vehicle[0] == dt.date(2026, 12, 20)
    stay = due_date(runner, flows["temporary_residence"], {"months": "6"}, TODAY)
    assert stay is not None
    assert stay[0] == dt.date(2027, 5, 23)
    assert due_date(runner, flows["temporary_residence"], {"months": "0"}, TODAY) is None
    assert due_date(runner, flows["birth_registration"], {"born_where": "abroad"}, TODAY) is None


def test_months_and_notice_days() -> None:
    """31 January + 1 month is 28 February; a due date near today gets only the on-the-day notice."""
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 14) == dt.date(2028, 1, 30)
    assert notice_days(dt.date(2026, 12, 10), TODAY) == [dt.date(2026, 12, 7), dt.date(2026, 12, 10)]
    assert notice_days(dt.date(2026, 11, 25), TODAY) == [dt.date(2026, 11, 25)]
