"""The Zalo OA channel over real HTTP: signed events into the real server (uvicorn on 127.0.0.1),
replies out through the channel's client to a fake Zalo that records them."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.channels.zalo_api import MAX_QUERY, MAX_TEXT, MORE, PRESS, read_query, render
from bot.channels.zalo_events import signature, signature_matches
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.errors import ConfigError
from bot.settings import Settings
from bot.testing import load_scripts, run_script
from bot.web.app import create_app
from tests.channels.zalo_harness import APP_ID, APP_SECRET, OA_ID, OA_KEY, USER, Running, fake_zalo, serving
from tests.fakes.zalo_api import FakeZalo, sign

CONTRACT = load_scripts(Path(__file__).parent / "contract") + load_scripts(
    Path(__file__).parents[1] / "conversations", "talk_*.yaml"
)  # how citizens go on talking (issue 11): every channel, not only the engine


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with fake_zalo() as zalo:
        yield zalo


@pytest.fixture
async def bot(fake: FakeZalo, sqlite_url: str, engine: Engine) -> AsyncIterator[Running]:
    async with serving(fake, sqlite_url, engine) as running:
        yield running


# --- (1) the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("script", CONTRACT, ids=lambda s: s.path.stem)
async def test_contract_script_through_zalo(bot: Running, script) -> None:  # type: ignore[no-untyped-def]
    """Each contract script passes end to end through the webhook, the engine and message/cs."""
    await run_script(script, bot.send, USER, channel="zalo")
    assert bot.fake.sent, "nothing reached the fake Zalo"
    for call in bot.fake.sent:
        assert call.headers["access_token"] == "access-0"
        assert call.user == USER
        assert set(call.body["recipient"]) == {"message_id"}, "an answer names the message it answers"
        assert len(call.body["message"]["text"].encode("utf-16-le")) // 2 <= MAX_TEXT
        assert len(call.body["message"].get("attachment", {}).get("payload", {}).get("buttons", [])) <= 5


async def test_button_press_arrives_as_payload_not_text(bot: Running) -> None:
    """A pressed button's query text comes back to the engine as the payload it carried."""
    greeting = await bot.say("/start")
    menu = next(b for b in greeting[0].buttons if b.label == "Tất cả thủ tục")
    assert menu.payload == PRESS + "m:0"
    replies = await bot.say(menu.payload)
    assert "Các thủ tục mình có thể hướng dẫn" in replies[0].text


# --- (2) refusing what is not Zalo's --------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status"),
    [("forged", 403), ("missing", 403), ("other key", 403), ("stale", 200), ("future", 200)],
)
async def test_unauthentic_events_are_refused_and_leave_no_trace(
    bot: Running, case: str, status: int
) -> None:
    """Forged or unsigned events get 403; signed events too old or too far ahead get 200 (Zalo
    stops retrying) but no answer; nothing is stored, sent or marked seen."""
    now = int(time.time() * 1000)
    stamp = {"stale": now - 25 * 3600 * 1000, "future": now + 3600 * 1000}.get(case)
    event = bot.zalo.event(USER, "xin chào", msg_id="m-once", timestamp=stamp)
    raw = json.dumps(event).encode()
    header = {
        "forged": "mac=" + "0" * 64, "missing": None, "other key": "mac=" + signature(APP_ID, raw, event["timestamp"], APP_SECRET),
    }.get(case, "auto")  # fmt: skip
    response = await bot.zalo.post(raw if header != "auto" else event, signature=header)
    assert response.status_code == status
    await bot.channel.idle()
    assert bot.fake.calls == []
    assert bot.stored_conversations() == []
    fresh = bot.zalo.event(USER, "xin chào", msg_id="m-once")  # the same msg_id, now genuine
    assert (await bot.zalo.post(fresh)).status_code == 200
    await bot.channel.idle()
    assert bot.fake.sent


async def test_the_accepted_event_age_is_a_setting(fake: FakeZalo, sqlite_url: str, engine: Engine) -> None:
    """With zalo_max_event_age_seconds=60, a genuine event two minutes old is acknowledged, not answered."""
    async with serving(fake, sqlite_url, engine, zalo_max_event_age_seconds=60) as bot:
        old = bot.zalo.event(USER, "xin chào", timestamp=int((time.time() - 120) * 1000))
        assert (await bot.zalo.post(old)).status_code == 200
        await bot.channel.idle()
        assert fake.calls == []
        assert (await bot.zalo.post(bot.zalo.event(USER, "xin chào"))).status_code == 200
        await bot.channel.idle()
    assert len(fake.sent) >= 1


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"event_name": "user_send_text"}', b"\xff\xfe"])
async def test_malformed_unsigned_bodies_get_403(bot: Running, body: bytes) -> None:
    """A body without a valid signature is refused with 403 before it is parsed; nothing is sent."""
    response = await bot.zalo.post(body, signature="mac=" + "0" * 64)
    assert response.status_code == 403
    assert bot.fake.calls == []


@pytest.mark.parametrize("body", [
    b'{"timestamp": "1700000000000", "x": [1, 2',  # cut short
    b'{"timestamp": "1700000000000", "event_name": "user_send_text"}',  # no app_id
    b'{"timestamp": "1700000000000", "app_id": "%s", "event_name": 5}',  # a number for a name
    b'{"timestamp": "1700000000000", "d": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # deeper than the parser goes
])  # fmt: skip
async def test_malformed_signed_bodies_get_400(bot: Running, body: bytes) -> None:
    """A correctly signed body that is not a Zalo event is refused with 400; nothing is sent."""
    body = body.replace(b"%s", APP_ID.encode())
    response = await bot.zalo.post(body, signature=sign(APP_ID, body, "1700000000000", OA_KEY))
    assert response.status_code == 400
    assert bot.fake.calls == []


async def test_oversized_body_gets_413(bot: Running) -> None:
    """A body over max_body_bytes is refused with 413 before the webhook reads it."""
    event = bot.zalo.event(USER, "a" * 20_000)
    assert (await bot.zalo.post(event)).status_code == 413
    assert bot.fake.calls == []


@pytest.mark.parametrize("name", ["user_submit_info", "user_seen_message", "a_future_event_type"])
async def test_unknown_and_unused_events_get_200_and_no_reply(bot: Running, name: str) -> None:
    """Events the bot does not act on are acknowledged (so Zalo keeps the webhook) and ignored."""
    response = await bot.zalo.post(bot.zalo.event(USER, "x", name=name))
    assert response.status_code == 200
    await bot.channel.idle()
    assert bot.fake.calls == []


async def test_a_new_follower_gets_the_greeting(bot: Running) -> None:
    """A follow event (the person is in follower.id) is answered with the greeting, as /start."""
    event = bot.zalo.event("", name="follow")
    del event["sender"], event["message"]
    event["follower"] = {"id": USER}
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert [c.body["recipient"] for c in bot.fake.sent] == [{"user_id": USER}]
    assert "Xin chào" in bot.fake.sent[0].body["message"]["text"]


# --- (3) answering within Zalo's 2 seconds --------------------------------------------------------


async def test_webhook_answers_in_time_when_zalo_is_slow_to_take_the_reply(fake: FakeZalo, sqlite_url: str,
                                                                         engine: Engine) -> None:  # fmt: skip
    """The webhook waits for the turn's replies to leave, but no longer than zalo_ack_wait_seconds:
    a slow message/cs call gets Zalo its 200 in time, and the reply goes on in the background."""
    async with serving(fake, sqlite_url, engine, zalo_ack_wait_seconds=0.5) as bot:
        fake.delay = 2.0
        started = time.monotonic()
        response = await bot.zalo.post(bot.zalo.event(USER, "/start"))
        answered = time.monotonic()
        assert response.status_code == 200
        assert answered - started < 1.5
        assert fake.sent == []
        await bot.channel.idle()
        assert fake.sent
        assert all(call.answered is not None and call.answered > answered for call in fake.sent)
        registry = bot.channel.ctx.metrics.registry
        assert registry.get_sample_value("trolyso_webhook_requests_total", {"channel": "zalo", "result": "ok_unsent"}) == 1


async def test_webhook_answers_once_the_reply_has_left(bot: Running) -> None:
    """Zalo never delivers again an event it had a 200 for: the 200 comes after the reply was sent."""
    bot.fake.delay = 0.3
    response = await bot.zalo.post(bot.zalo.event(USER, "/start"))
    assert response.status_code == 200
    assert bot.fake.sent


async def test_shutdown_waits_for_turns_in_progress(fake: FakeZalo, sqlite_url: str, engine: Engine) -> None:
    """Stopping the server lets a turn already acknowledged finish sending its reply."""
    async with serving(fake, sqlite_url, engine, zalo_ack_wait_seconds=0.2) as bot:
        fake.delay = 1.0
        assert (await bot.zalo.post(bot.zalo.event(USER, "/start"))).status_code == 200
        assert fake.sent == []
    assert fake.sent


# --- (4) echoes and redeliveries -------------------------------------------------------------------


async def test_oa_echoes_are_ignored(bot: Running) -> None:
    """The OA's own sends echoed back (oa_send_*, or sent by the OA's id) get no reply."""
    echo = bot.zalo.event(USER, "Xin chào!", name="oa_send_text", sender=OA_ID)
    assert (await bot.zalo.post(echo)).status_code == 200
    assert (await bot.zalo.post(bot.zalo.event(USER, "xin chào", sender=OA_ID))).status_code == 200
    await bot.channel.idle()
    assert bot.fake.calls == []


async def test_events_for_another_oa_of_the_app_are_ignored(bot: Running) -> None:
    """A message to a different OA of the same Zalo app is acknowledged and not answered."""
    event = bot.zalo.event(USER, "xin chào")
    event["recipient"] = {"id": "888"}
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert bot.fake.calls == []


async def test_a_redelivered_event_is_handled_once(bot: Running) -> None:
    """Zalo's retry of an event already taken (same msg_id and body) gets 200 and no second reply."""
    event = bot.zalo.event(USER, "lam cccd o dau")
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    first = len(bot.fake.sent)
    assert first > 0
    assert (await bot.zalo.post(event)).status_code == 200
    await bot.channel.idle()
    assert len(bot.fake.sent) == first


# --- (5) Zalo's size limits ------------------------------------------------------------------------


class LongAnswers:
    """An engine whose every answer is about 4,700 characters with ten buttons."""

    TEXT = "\n\n".join(f"Đoạn {i}: " + "thủ tục hành chính " * 22 for i in range(11))
    BUTTONS = tuple(Button(f"Lựa chọn {i}", f"p:choice_{i}") for i in range(1, 11))

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn:
        return Turn([Outbound(self.TEXT, self.BUTTONS)], state or ConversationState())


async def test_long_reply_is_split_and_extra_buttons_page_behind_more(
    fake: FakeZalo, sqlite_url: str
) -> None:
    """A 4,700-character reply goes out in pieces of ≤ 2,000; its 10 buttons show 4 + "More", page by page."""
    async with serving(fake, sqlite_url, LongAnswers()) as bot:
        before = len(fake.sent)
        replies = await bot.say("hello")
        raw = [c.body["message"] for c in fake.sent[before:]]
    assert len(raw) == 5  # three pieces of text, then the pages two "More" presses revealed
    assert all(len(m["text"]) <= MAX_TEXT for m in raw)
    assert [("attachment" in m) for m in raw] == [False, False, True, True, True]
    assert " ".join(m["text"] for m in raw[:3]).split() == LongAnswers.TEXT.split()
    first = raw[2]["attachment"]["payload"]["buttons"]
    assert [b["title"] for b in first] == [
        "Lựa chọn 1",
        "Lựa chọn 2",
        "Lựa chọn 3",
        "Lựa chọn 4",
        "Xem thêm ▶",
    ]
    assert all(b["type"] == "oa.query.hide" and len(b["payload"]) <= MAX_QUERY for b in first)
    assert [len(m["attachment"]["payload"]["buttons"]) for m in raw[3:]] == [
        5,
        2,
    ]  # 5-8 and "More", then 9-10
    assert replies[-1].buttons == tuple(
        replace(b, payload=PRESS + (b.payload or "")) for b in LongAnswers.BUTTONS
    )


async def test_a_button_revealed_by_more_works(bot: Running) -> None:
    """In the seven-button procedure menu, a button shown only after "More" opens its procedure."""
    replies = await bot.say(PRESS + "m:0")
    wire = bot.fake.sent[0].body["message"]["attachment"]["payload"]["buttons"]
    assert len(wire) == 5
    assert wire[-1]["payload"].startswith(MORE)
    hidden = replies[0].buttons[5]
    assert hidden.label == "Thông báo lưu trú"
    answer = await bot.say(hidden.payload or "")
    assert "Thông báo lưu trú" in answer[0].text


def test_buttons_too_long_for_one_more_payload_go_in_follow_up_messages() -> None:
    """When the hidden buttons would not fit a 1,000-character payload, they follow in messages of ≤ 5."""
    buttons = tuple(Button("Một lựa chọn rất dài " * 5 + str(i), f"p:{'x' * 55}{i:02d}") for i in range(12))
    messages = render(Outbound("Chọn một:", buttons), "vi", "Xem thêm ▶", "Thêm lựa chọn:")
    counts = [len(m["attachment"]["payload"]["buttons"]) for m in messages]
    assert len(messages) > 1
    assert max(counts) <= 5
    payloads = [b["payload"] for m in messages for b in m["attachment"]["payload"]["buttons"]]
    assert all(len(p) <= MAX_QUERY for p in payloads)
    shown = {p for p in payloads if not p.startswith(MORE)}
    revealed = {PRESS + (b.payload or "") for p in payloads if p.startswith(MORE)
                for b in getattr(read_query(p), "buttons", ())}  # fmt: skip
    assert shown | revealed == {PRESS + (b.payload or "") for b in buttons}


def test_typed_text_that_looks_like_a_marker_is_not_trusted() -> None:
    """Malformed or oversized marker payloads are read as typed text."""
    assert read_query("#more:{not json") is None
    assert read_query(PRESS + "x" * 65) is None
    assert read_query("#b:") is None
    assert read_query("xin chào") is None


# --- (6) Zalo refusing a send ---------------------------------------------------------------------


async def test_outside_the_reply_window_is_logged_and_shown(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A -230 refusal (the person has not interacted recently) is logged clearly and kept in status()."""
    bot.fake.fail_next.append({"error": -230, "message": "User has not interacted with the OA"})
    with caplog.at_level(logging.WARNING, logger="bot.channel.zalo"):
        await bot.say("xin chào")
    error = bot.channel.status()["last_error"]
    assert (error["code"], error["kind"]) == (-230, "window")
    assert any("outside the reply window" in r.getMessage() for r in caplog.records)


async def test_a_busy_zalo_is_retried(bot: Running) -> None:
    """A -32 (rate limited) answer is retried after a pause and the message goes through."""
    bot.fake.fail_next.append({"error": -32, "message": "Rate limit"})
    replies = await bot.say("/start")
    assert "Xin chào" in replies[0].text
    assert bot.channel.status()["failed"] == 0


def test_the_channel_refuses_to_start_without_credentials(sqlite_url: str) -> None:
    """Switching the zalo channel on without its app id, secret and token is a ConfigError naming them."""
    settings = Settings(database_url=sqlite_url, channels="zalo", zalo_app_id=APP_ID)
    with pytest.raises(ConfigError, match="TROLYSO_ZALO_APP_SECRET, TROLYSO_ZALO_ACCESS_TOKEN"):
        create_app(settings)


# --- (7) the signature -------------------------------------------------------------------------------


def test_signature_matches_the_facts_test_vector() -> None:
    """sha256(app_id + raw body + timestamp + OA secret key) gives the documented mac, with or without 'mac='."""
    raw = (b'{"app_id":"1234567890","event_name":"user_send_text","sender":{"id":"111"},"recipient":{"id":"999"},'
           b'"message":{"msg_id":"m1","text":"xin chao"},"timestamp":"1700000000000"}')  # fmt: skip
    mac = "97e422e99708c49d64733a14b1ee57293f0c8ceef1466fbd3530f6d7196edad3"
    assert signature("1234567890", raw, "1700000000000", "oa-secret-key") == mac
    assert sign("1234567890", raw, "1700000000000", "oa-secret-key") == f"mac={mac}"  # the fake's own signer
    for header in (f"mac={mac}", mac, f"mac={mac.upper()}"):
        assert signature_matches(header, "1234567890", raw, "1700000000000", "oa-secret-key")
    assert not signature_matches(f"mac={mac}", "1234567890", raw + b" ", "1700000000000", "oa-secret-key")
    assert not signature_matches(None, "1234567890", raw, "1700000000000", "oa-secret-key")
