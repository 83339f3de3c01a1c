"""Zalo as Zalo documents it (sources in tests/fakes/zalo_api.py and bot/channels/zalo_api.py):
answers name the message they answer and pushes the user; the rate limit (-32) waits for the next
minute with the rest of the turn kept in the database; the quota is read and counted; pushes
Zalo would refuse (-230) are not sent; text is cut by UTF-16 units."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.channels.zalo import LATER
from bot.channels.zalo_api import MAX_TEXT, render, utf16_units
from bot.core.messages import Outbound
from bot.storage.db import create_db_engine
from bot.storage.tables import outbox
from tests.channels.zalo_harness import USER, Running, fake_zalo, serving


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Running]:
    async with fake_zalo() as fake, serving(fake, sqlite_url, None) as running:
        yield running


def _waiting(bot: Running) -> int:
    db = create_db_engine(bot.database_url)
    try:
        with db.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(outbox)
                                          .where(outbox.c.channel == LATER)).scalar_one())  # fmt: skip
    finally:
        db.dispose()


async def test_an_answer_names_the_message_it_answers(bot: Running) -> None:
    """Every message of a turn carries recipient.message_id of the person's message (a free reply)."""
    event = bot.zalo.event(USER, "xin chào", msg_id="m-answer-me")
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert bot.fake.sent
    assert all(c.body["recipient"] == {"message_id": "m-answer-me"} for c in bot.fake.sent)


async def test_a_push_names_the_user(bot: Running) -> None:
    """A push (no message to answer) is addressed by user_id."""
    assert await bot.channel.push(USER, [Outbound("Tình nguyện viên Lan sẽ gọi cho bạn.")])
    assert [c.body["recipient"] for c in bot.fake.sent] == [{"user_id": USER}]


async def test_a_reply_zalo_will_not_take_by_message_id_goes_to_the_user(bot: Running) -> None:
    """When Zalo refuses the message id (unknown, too old), the answer is sent to the user instead."""
    event = bot.zalo.event(USER, "xin chào", msg_id="m-known")
    bot.fake.inbound.pop("m-known")  # Zalo no longer knows the message
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert bot.fake.sent
    assert bot.fake.sent[0].body["recipient"] == {"user_id": USER}


async def test_the_rate_limit_waits_for_the_next_minute_and_loses_nothing(bot: Running) -> None:
    """Past Zalo's per-minute limit (-32) the rest waits in the database, not retried at once, and
    goes out when the minute turns, in order."""
    bot.fake.per_minute = 1
    bot.channel.minute = lambda: 0.3
    for text in ("xin chào", "/start"):
        assert (await bot.zalo.post(bot.zalo.event(USER, text))).status_code == 200
        await asyncio.sleep(0.05)
    for _ in range(100):
        if _waiting(bot):
            break
        await asyncio.sleep(0.02)
    assert _waiting(bot) >= 1, "the refused message waits in the database"
    refused = [c for c in bot.fake.calls if not c.accepted and c.path.endswith("/message/cs")]
    assert len(refused) == 1, "no burst of retries into the limit"
    bot.fake.next_minute()
    bot.fake.per_minute = None
    for _ in range(200):
        if not _waiting(bot) and len(bot.fake.sent) >= 2:
            break
        await asyncio.sleep(0.02)
    await bot.channel.idle()
    assert _waiting(bot) == 0
    assert len(bot.fake.sent) >= 2


async def test_the_quota_is_counted_on_metrics_and_warned_about(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    """data.quota's remain/total show on /metrics; under a tenth left, the log warns once."""
    bot.fake.quota = {"remain": 5, "total": 100, "quota_type": "reply"}
    with caplog.at_level(logging.WARNING, logger="bot.channel.zalo"):
        await bot.say("xin chào")
        await bot.say("xin chào")
    metrics = (await bot.http.get(f"{bot.url}/metrics")).text
    assert 'trolyso_zalo_quota{kind="remain"} 5.0' in metrics
    assert 'trolyso_zalo_quota{kind="total"} 100.0' in metrics
    warnings = [r for r in caplog.records if "quota" in r.getMessage()]
    assert len(warnings) == 1


async def test_pushes_zalo_would_refuse_are_not_sent(bot: Running) -> None:
    """After a -230 (no interaction for 7 days) further pushes are skipped without a call until the
    person writes again; a person last heard 8 days ago is not pushed to at all."""
    bot.fake.inactive = {USER}
    assert not await bot.channel.push(USER, [Outbound("Tin 1")])
    calls = len(bot.fake.calls)
    assert not await bot.channel.push(USER, [Outbound("Tin 2")])
    assert len(bot.fake.calls) == calls, "no second call Zalo would refuse"
    bot.fake.inactive = set()
    await bot.say("xin chào")  # they write again: pushes may go
    assert await bot.channel.push(USER, [Outbound("Tin 3")])
    bot.channel._last_heard["999000"] = time.time() - 8 * 86400
    calls = len(bot.fake.calls)
    assert not await bot.channel.push("999000", [Outbound("Tin 4")])
    assert len(bot.fake.calls) == calls
    assert "trolyso_zalo_push_skipped_total 2.0" in (await bot.http.get(f"{bot.url}/metrics")).text


def test_text_is_cut_by_utf16_units_emoji_included() -> None:
    """1,500 emoji (3,000 UTF-16 units, 1,500 code points) become pieces of at most 2,000 units."""
    text = "😀" * 1500 + " cuối"
    pieces = [m["text"] for m in render(Outbound(text), "vi", "Thêm ▶", "Thêm:")]
    assert len(pieces) >= 2
    assert all(utf16_units(p) <= MAX_TEXT for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


async def test_a_long_emoji_answer_is_accepted_by_zalo(bot: Running) -> None:
    """The fake refuses texts over 2,000 UTF-16 units, as Zalo does; a long emoji answer gets through."""
    assert await bot.channel.push(USER, [Outbound("🙂" * 1200)])
    assert len(bot.fake.sent) == 2
