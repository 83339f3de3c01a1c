"""The Zalo webhook probed as an attacker and as Zalo itself would: the classes of input that
gave a 500 and a traceback (deep JSON, Unicode digits, 400-digit numbers), the URL check Zalo
sends when the webhook is saved, stale and forged events. Each is answered 4xx or 200 with one
log line and no traceback, against the real app on a loopback port."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.channels.zalo_harness import APP_ID, OA_KEY, USER, Running, fake_zalo, serving
from tests.fakes.zalo_api import sign


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Running]:
    async with fake_zalo() as fake, serving(fake, sqlite_url, None) as running:
        yield running


def _signed(bot: Running, body: bytes, stamp: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-ZEvent-Signature": sign(APP_ID, body, stamp, OA_KEY)}


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    traced = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not traced, [r.getMessage() for r in traced]


async def test_deeply_nested_unsigned_json_gets_403_without_parsing(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A deeply nested body with no signature is refused 403 before any JSON parsing, in one line."""
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {"Content-Type": "application/json"}
    response = await bot.http.post(f"{bot.url}/zalo/webhook", content=body[:16_000], headers=headers)
    assert response.status_code == 403
    _no_tracebacks(caplog)


async def test_deeply_nested_signed_json_gets_400(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    """Nesting that exhausts the parser's recursion, correctly signed, is a 400, not a 500."""
    stamp = str(int(time.time() * 1000))
    body = b'{"timestamp": "' + stamp.encode() + b'", "d": ' + b"[" * 6000 + b"]" * 6000 + b"}"
    response = await bot.http.post(f"{bot.url}/zalo/webhook", content=body, headers=_signed(bot, body, stamp))
    assert response.status_code == 400
    _no_tracebacks(caplog)


ODD_TIMESTAMPS = ["¹⁷⁰⁰⁰⁰⁰⁰⁰⁰⁰⁰⁰", "١٧٠٠٠٠٠٠٠٠٠٠٠", "9" * 400, "17e11", "-1700000000000", " 1700000000000"]


async def test_timestamps_that_are_no_time_get_4xx(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    """Unicode digits (they pass str.isdigit() and break int()), 400 digits, signs and exponents in
    the timestamp: a 400 or 403, never a 500; nothing is sent."""
    for stamp in ODD_TIMESTAMPS:
        event = bot.zalo.event(USER, "xin chào")
        event["timestamp"] = stamp
        raw = json.dumps(event, ensure_ascii=False).encode()
        response = await bot.http.post(f"{bot.url}/zalo/webhook", content=raw, headers=_signed(bot, raw, stamp))
        assert response.status_code in (400, 403), stamp
    await bot.channel.idle()
    assert bot.fake.calls == []
    _no_tracebacks(caplog)


ODD_VALUES: list[Any] = [10**400, -(10**400), 1.5, [1], {"id": {"id": 1}}, "x" * 5000, True, None]


@pytest.mark.parametrize("field", ["sender", "recipient", "message", "app_id", "event_name", "follower"])
async def test_fields_of_the_wrong_type_never_give_500(bot: Running, field: str, caplog: pytest.LogCaptureFixture) -> None:
    """A signed event with a 400-digit number, a float, a list or a huge string where an id or an
    object belongs is a 2xx/4xx, never a 500 or a traceback."""
    for value in ODD_VALUES:
        event = bot.zalo.event(USER, "xin chào", name="follow" if field == "follower" else "user_send_text")
        event[field] = value
        raw = json.dumps(event).encode()
        response = await bot.http.post(f"{bot.url}/zalo/webhook", content=raw,
                                       headers=_signed(bot, raw, event["timestamp"]))  # fmt: skip
        assert response.status_code < 500, (field, str(value)[:40])
    await bot.channel.idle()
    _no_tracebacks(caplog)


async def test_the_url_check_zalo_sends_when_saving_the_webhook_gets_200(bot: Running) -> None:
    """An unsigned small JSON object with no event (Zalo's check of a new webhook URL) gets 200 and
    nothing is done with it (GobyZNS partner docs: any status but 200 refuses the URL)."""
    for body in (b"{}", b"", b'{"test": true}'):
        response = await bot.http.post(f"{bot.url}/zalo/webhook", content=body,
                                       headers={"Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 200, body
    await bot.channel.idle()
    assert bot.fake.calls == []
    assert bot.stored_conversations() == []


async def test_an_unsigned_event_is_not_taken_for_a_url_check(bot: Running) -> None:
    """An unsigned body that carries an event gets 403: only an empty check is let through."""
    event = bot.zalo.event(USER, "xin chào")
    assert (await bot.zalo.post(event, signature=None)).status_code == 403
    assert (await bot.zalo.post(event, signature="mac=" + "f" * 64)).status_code == 403


async def test_a_correctly_signed_stale_event_gets_200_and_no_second_answer(bot: Running) -> None:
    """Zalo retries an unanswered event with its first timestamp: a signed stale event gets 200 (so
    Zalo stops and keeps the webhook on), and one already answered is not answered twice."""
    event = bot.zalo.event(USER, "xin chào", msg_id="m-retried", timestamp=int((time.time() - 5 * 3600) * 1000))
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    answered = len(bot.fake.sent)
    assert answered >= 1, "five hours late is still answered: Zalo was retrying"
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert len(bot.fake.sent) == answered


async def test_refusals_are_one_log_line(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    """A refused delivery is logged as one line naming the status and the reason."""
    caplog.set_level(logging.WARNING, logger="bot.channel.zalo")
    await bot.zalo.post(b"garbage", signature="mac=00")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.channel.zalo"]
    assert any(line.startswith("zalo webhook: 403 bad_signature") for line in lines), lines
    assert all("\n" not in line for line in lines)
    _no_tracebacks(caplog)
