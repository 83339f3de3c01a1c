"""The reminder sender against the fake Telegram Bot API and the fake Zalo OA, through the real
app's channels: sent once at a decent hour, a blocked user retried then dropped, a 429 waited
out, a restart mid-send, two workers at once, and Zalo's reply window falling back to the
person's next message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app import App, build_app
from bot.reminders.sender import LEASE, MAX_ATTEMPTS, ReminderSender
from bot.reminders.sql import SqlReminderBook
from bot.settings import Settings
from bot.web.app import create_app
from tests.channels.zalo_harness import USER as ZALO_USER
from tests.channels.zalo_harness import fake_zalo, serving
from tests.fakes.telegram_api import FakeTelegram, as_outbound
from tests.live import served

# Far from the real date, so the app's own scheduled run (on the real clock) never sends these.
SET_ON = date(2030, 3, 1)
DUE = date(2030, 3, 20)
BEFORE = datetime(2030, 3, 17, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, three days before
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def telegram_app(fake: FakeTelegram, sqlite_url: str) -> AsyncIterator[App]:
    """The whole app with its Telegram channel (aiogram) pointed at the fake Bot API."""
    settings = Settings(database_url=sqlite_url, channels="telegram", telegram_token="123456:TEST",  # type: ignore[arg-type]
                        telegram_webhook_secret="s3cret", telegram_api_base=fake.url)  # fmt: skip
    core = build_app(settings)
    try:
        async with served(create_app(settings, app=core)):
            yield core
    finally:
        await core.close()


def parts(core: App) -> tuple[SqlReminderBook, ReminderSender]:
    assert core.reminder_book is not None
    assert core.reminder_sender is not None
    return core.reminder_book, core.reminder_sender


async def test_a_due_reminder_is_sent_once_with_a_way_back(fake: FakeTelegram, telegram_app: App) -> None:
    """Three days before: one message with a button back to the checklist; not again the same day."""
    book, sender = parts(telegram_app)
    row = await book.add("telegram", "700001", "birth_registration", DUE, "vi", SET_ON)
    assert await sender.send_due(BEFORE) == 1
    assert await sender.send_due(BEFORE + timedelta(hours=2)) == 0
    [call] = fake.sent
    assert call.params["chat_id"] == 700001
    message = as_outbound(call)
    assert "⏰ Nhắc hạn" in message.text
    assert "còn 3 ngày" in message.text
    assert f"r:b:{row.id}:birth_registration" in [b.payload for b in message.buttons]


async def test_nothing_goes_out_at_night(fake: FakeTelegram, telegram_app: App) -> None:
    """At 21:00 and at 07:59 in Vietnam nothing is sent; at 08:00 it is."""
    book, sender = parts(telegram_app)
    await book.add("telegram", "700002", "birth_registration", DUE, "vi", SET_ON)
    evening = datetime(2030, 3, 17, 14, 0, tzinfo=UTC)  # 21:00
    early = datetime(2030, 3, 18, 0, 59, tzinfo=UTC)  # 07:59
    assert await sender.send_due(evening) == 0
    assert await sender.send_due(early) == 0
    assert await sender.send_due(early + timedelta(minutes=1)) == 1


async def test_a_blocked_user_is_retried_then_dropped(fake: FakeTelegram, telegram_app: App) -> None:
    """A bot blocked by the user: retried with growing pauses, dropped after the last attempt,
    each outcome counted on /metrics."""
    book, sender = parts(telegram_app)
    await book.add("telegram", "700003", "birth_registration", DUE, "vi", SET_ON)
    now = BEFORE
    for attempt in range(1, MAX_ATTEMPTS + 1):
        fake.fail_next["sendmessage"] = BLOCKED
        assert await sender.send_due(now) == 0
        assert len(fake.named("sendMessage")) == attempt
        assert await sender.send_due(now + timedelta(minutes=1)) == 0, "not before the pause is over"
        now += timedelta(minutes=5 * 2 ** (attempt - 1))
    assert await book.of_person("telegram", "700003") == []
    assert await sender.send_due(now + timedelta(days=3)) == 0, "dropped: not even on the due date"
    assert len(fake.named("sendMessage")) == MAX_ATTEMPTS


async def test_a_429_is_waited_out(fake: FakeTelegram, telegram_app: App) -> None:
    """Telegram's flood control answers 429 once: the message still arrives, once."""
    book, sender = parts(telegram_app)
    await book.add("telegram", "700004", "birth_registration", DUE, "vi", SET_ON)
    fake.flood_once("sendMessage", 1)
    assert await sender.send_due(BEFORE) == 1
    assert len(fake.sent) == 1
    assert len(fake.named("sendMessage")) == 2


async def test_a_restart_mid_send_sends_each_reminder_once(fake: FakeTelegram, telegram_app: App) -> None:
    """A worker that claimed rows and died: nobody sends them while its lease holds; after it,
    the restarted worker sends each once; those already sent are never sent again."""
    book, _sender = parts(telegram_app)
    for user in ("700011", "700012", "700013"):
        await book.add("telegram", user, "birth_registration", DUE, "vi", SET_ON)
    day = BEFORE.date()
    [first, *_rest] = await book.claim_due(day, BEFORE, LEASE)  # the worker that dies right after
    await book.sent(first.id, day)  # …having sent the first one
    restarted = ReminderSender(SqlReminderBook(telegram_app.db), telegram_app.conversations.notifier,
                               telegram_app.engine.runner.flows)  # fmt: skip
    assert await restarted.send_due(BEFORE + timedelta(minutes=1)) == 0, "the dead worker's lease still holds"
    assert await restarted.send_due(BEFORE + LEASE + timedelta(minutes=1)) == 2
    assert await restarted.send_due(BEFORE + timedelta(hours=3)) == 0
    assert sorted(c.params["chat_id"] for c in fake.sent) == [700012, 700013]
    assert await restarted.send_due(datetime(2030, 3, 20, 2, 0, tzinfo=UTC)) == 3, "on the day, each once more"


async def test_two_workers_at_once_send_each_reminder_once(fake: FakeTelegram, telegram_app: App) -> None:
    """Two senders on one database, at the same moment: every person gets exactly one message."""
    book, sender = parts(telegram_app)
    users = [str(700100 + i) for i in range(6)]
    for user in users:
        await book.add("telegram", user, "birth_registration", DUE, "vi", SET_ON)
    other = ReminderSender(SqlReminderBook(telegram_app.db), telegram_app.conversations.notifier,
                           telegram_app.engine.runner.flows)  # fmt: skip
    counts = await asyncio.gather(sender.send_due(BEFORE), other.send_due(BEFORE))
    assert sum(counts) == 6
    assert sorted(str(c.params["chat_id"]) for c in fake.sent) == users


async def test_outcomes_are_on_metrics(fake: FakeTelegram, sqlite_url: str) -> None:
    """/metrics counts reminders sent and failed by channel."""
    import httpx

    settings = Settings(database_url=sqlite_url, channels="telegram", telegram_token="123456:TEST",  # type: ignore[arg-type]
                        telegram_webhook_secret="s3cret", telegram_api_base=fake.url)  # fmt: skip
    core = build_app(settings)
    try:
        async with served(create_app(settings, app=core)) as url, httpx.AsyncClient(base_url=url) as http:
            book, sender = parts(core)
            await book.add("telegram", "700200", "birth_registration", DUE, "vi", SET_ON)
            await book.add("telegram", "700201", "birth_registration", DUE, "vi", SET_ON)
            fake.fail_next["sendmessage"] = BLOCKED
            await sender.send_due(BEFORE)
            text = (await http.get("/metrics")).text
    finally:
        await core.close()
    assert 'trolyso_reminders_total{channel="telegram",outcome="sent"} 1.0' in text
    assert 'trolyso_reminders_total{channel="telegram",outcome="retry"} 1.0' in text


async def test_zalo_sends_within_the_window(sqlite_url: str) -> None:
    """On Zalo the reminder goes out as a consultation message to the follower."""
    async with fake_zalo() as fake, serving(fake, sqlite_url, None) as running:
        book, sender = parts(running.core)
        await book.add("zalo", ZALO_USER, "vehicle_registration", DUE, "vi", SET_ON)
        assert await sender.send_due(BEFORE) == 1
        [call] = fake.sent
        assert call.body["recipient"]["user_id"] == ZALO_USER
        assert "Nhắc hạn" in call.body["message"]["text"]


async def test_zalo_outside_the_window_shows_it_at_the_next_message(sqlite_url: str) -> None:
    """Zalo refuses with -230 (no interaction for 7 days): the reminder is not retried but shown
    first in the reply to the person's next message."""
    async with fake_zalo() as fake, serving(fake, sqlite_url, None) as running:
        book, sender = parts(running.core)
        await book.add("zalo", ZALO_USER, "vehicle_registration", DUE, "vi", SET_ON)
        fake.fail_next.append({"error": -230, "message": "User has not interacted with the OA in the last 7 days"})
        assert await sender.send_due(BEFORE) == 0
        assert await sender.send_due(BEFORE + timedelta(hours=1)) == 0
        tried = [c for c in fake.calls if c.path == "/v3.0/oa/message/cs"]
        assert len(tried) == 1, "tried once, not retried"
        assert fake.sent == []
        replies = await running.say("xin chào")
        assert "Nhắc hạn" in replies[0].text
        assert "sang tên xe" in replies[0].text
        again = await running.say("xin chào")
        assert "Nhắc hạn" not in again[0].text
