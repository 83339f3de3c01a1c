"""A quick burst from one person on Telegram — short lines typed within about 100 ms ("cho hoi",
"lam cccd", "o dau a") — while the Bot API takes 400 ms to accept each message the bot sends.

Telegram is not Zalo here (tests/scale/test_zalo_burst.py): its Bot API server sends a chat's
updates to the webhook one at a time, the next only once the one before was answered 2xx
(:class:`tests.fakes.telegram_api.WebhookQueues`), and the webhook answers once the turn's replies
have left. So a burst reaches the bot as a calm sequence: each message is saved the moment it comes
and none waits behind another's sends. What Telegram does not prevent is the webhook's own bound
(``ANSWER_WITHIN``, 10 s): a turn whose sends wait out a long flood wait (a 429's ``retry_after``)
is answered 200 at the bound, Telegram then sends the chat's next update at once, and that turn
must not wait for the one before's sends to be saved, or a worker killed then loses the message
(Telegram never delivers an update again once it had a 200).

Real HTTP both ways (the app under uvicorn, the fake Bot API under aiohttp), both libraries, on
SQLite and PostgreSQL. The engine echoes each message in two replies, so order is plain to see; the
state's turn count tells how often each message was processed. A kill is played as in
tests/scale/test_zalo_burst.py: the worker's requests and turns stop where they are."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.channels import telegram_common
from bot.channels.telegram_polling import run_polling
from bot.core.messages import Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from tests.channels.test_telegram import Live, ScriptedEngine, build_core, serve, settings_for
from tests.fakes.telegram_api import FakeTelegram, Updates, WebhookQueues
from tests.scale.test_exactly_once import fake, stored_turns, url  # noqa: F401  (fixtures)
from tests.scale.test_zalo_burst import saves_seen

BURST = ("cho hoi", "lam cccd", "o dau a", "can mang gi", "het bao nhieu tien")
USER = 880_001
SLOW_SEND = 0.4
"""Seconds the Bot API takes to accept each sendMessage."""
SAVED_WITHIN = 0.3
"""A turn counts as saved on arrival when its state is saved this soon after Telegram posted it
(the turn itself takes milliseconds; one reply's send alone takes SLOW_SEND)."""
BOUND = 0.5
"""The webhook's bound, scaled down from ANSWER_WITHIN's 10 s together with the flood wait."""
FLOOD_WAIT = 2
"""retry_after of the 429 the first reply gets: past BOUND, as a 20 s flood wait is past 10 s."""


class EchoEngine(ScriptedEngine):
    """Answers each message in two replies naming it, and counts its turns in the saved state."""

    def __init__(self) -> None:
        super().__init__(Outbound("{text}: 1/2"), Outbound("{text}: 2/2"))

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn:
        turn = await super().handle(inbound, state)
        return Turn(turn.messages, turn.state.model_copy(update={"turns": turn.state.turns + 1}))


def expected(texts: tuple[str, ...]) -> list[str]:
    return [f"{text}: {part}/2" for text in texts for part in (1, 2)]


def sent_texts(server: FakeTelegram, since: int = 0) -> list[str]:
    """The text of each message the chat got (Bot API calls and webhook responses), in order."""
    return [c.params["text"] for c in server.calls[since:] if c.method == "sendMessage" and c.status == 200]


def delivery_id(update: dict[str, Any]) -> str:
    return f"telegram:123456:{update['update_id']}"


def acks(live: Live, result: str) -> float:
    """How many webhook requests were answered with ``result`` (/metrics)."""
    registry = live.web.state.channels[0].ctx.metrics.registry
    labels = {"channel": "telegram", "result": result}
    return registry.get_sample_value("trolyso_webhook_requests_total", labels) or 0.0


def poster(live: Live) -> Any:
    async def post(update: dict[str, Any]) -> int:
        return (await live.post(update)).status_code

    return post


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_burst_reaches_the_bot_one_message_at_a_time_each_saved_on_arrival(
    lib: str, fake: FakeTelegram, url: str  # noqa: F811
) -> None:
    """Five messages within 100 ms, the Bot API slow to take replies: Telegram delivers them one by
    one, each is saved as it comes (none waits behind another's sends) and answered 200 after its
    replies left, the replies come in the order of the messages, and after a restart Telegram's
    redelivery of all five is answered with the stored replies, processing none again."""
    settings = settings_for(lib, fake, url)
    engine = EchoEngine()
    telegram = WebhookQueues()
    async with serve(settings, engine, fake) as live:
        fake.delay = SLOW_SEND
        saved_at = saves_seen(live.core)
        updates = [live.updates.text(text, USER) for text in BURST]
        telegram.add(*updates)
        await telegram.run(poster(live))
        assert acks(live, "ok") == len(BURST)  # each answered once its replies left
    by_id = {d.update_id: d for d in telegram.delivered}
    assert [d.status for d in telegram.delivered] == [200] * len(BURST)
    for update in updates:
        delivered = by_id[update["update_id"]]
        saved = saved_at[delivery_id(update)]
        assert saved - delivered.posted < SAVED_WITHIN, f"{update['message']['text']!r} waited to be saved"
        assert saved < delivered.answered
    assert sent_texts(fake) == expected(BURST)
    assert len(fake.named("sendMessage")) * SLOW_SEND >= 2.0, "the sends were not slow enough to test anything"
    assert stored_turns(url, f"telegram:{USER}") == len(BURST)

    fake.delay = 0.0
    before = len(fake.calls)
    telegram.add(*updates)  # the 200s were lost: Telegram delivers each again, after a restart
    async with serve(settings, engine, fake) as restarted:
        await telegram.run(poster(restarted))
    assert sent_texts(fake, before) == expected(BURST)  # the stored replies, in the same order
    assert stored_turns(url, f"telegram:{USER}") == len(BURST)  # processed once


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_burst_behind_a_long_flood_wait_is_saved_before_each_200(
    lib: str, fake: FakeTelegram, url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """The first reply of a burst hits a flood wait longer than the webhook's bound: each message
    is answered 200 at the bound, so Telegram sends the next at once. Each must be saved before its
    200 (not after the earlier messages' sends), and the replies still leave in the order the
    messages came; nothing is left behind for the chat afterwards."""
    monkeypatch.setattr(telegram_common, "ANSWER_WITHIN", BOUND)
    settings = settings_for(lib, fake, url)
    telegram = WebhookQueues()
    async with serve(settings, EchoEngine(), fake) as live:
        fake.delay = SLOW_SEND
        fake.flood_once("sendMessage", retry_after=FLOOD_WAIT)
        saved_at = saves_seen(live.core)
        updates = [live.updates.text(text, USER) for text in BURST]
        telegram.add(*updates)
        await telegram.run(poster(live))
        for update, delivered in zip(updates, telegram.delivered, strict=True):
            assert delivered.status == 200
            saved = saved_at.get(delivery_id(update), delivered.answered)
            assert saved < delivered.answered, f"{update['message']['text']!r} was answered 200 unsaved"
        assert (acks(live, "ok_unsaved"), acks(live, "ok_unsent")) == (0, len(BURST))
        channel = live.web.state.channels[0]
        await asyncio.wait(set(channel._tasks), timeout=30)
        assert (len(channel._turns), len(channel._sends)) == (0, 0)
    assert sent_texts(fake) == expected(BURST)
    assert stored_turns(url, f"telegram:{USER}") == len(BURST)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_worker_killed_after_a_flood_waited_burst_was_acknowledged_keeps_every_message(
    lib: str, fake: FakeTelegram, url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """As above, and the worker is killed once Telegram had its five 200s (a deploy during the
    flood wait): Telegram will not deliver any of them again, so each must already be saved. The
    replies not yet sent are kept until sent, as for any turn answered at the bound
    (tests/scale/test_late_replies.py sends them after a restart)."""
    monkeypatch.setattr(telegram_common, "ANSWER_WITHIN", BOUND)
    telegram = WebhookQueues()
    async with serve(settings_for(lib, fake, url), EchoEngine(), fake) as dying:
        fake.delay = SLOW_SEND
        fake.flood_once("sendMessage", retry_after=FLOOD_WAIT)
        telegram.add(*(dying.updates.text(text, USER) for text in BURST))
        await telegram.run(poster(dying))
        assert [d.status for d in telegram.delivered] == [200] * len(BURST)
        tasks = list(dying.web.state.channels[0]._tasks)  # killed: the turns stop where they are
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert stored_turns(url, f"telegram:{USER}") == len(BURST)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_worker_killed_while_answering_a_burst_answers_each_redelivery_in_order(
    lib: str, fake: FakeTelegram, url: str  # noqa: F811
) -> None:
    """The worker is killed while the first message's reply is on its way, before any 200: Telegram
    delivers that message again to the restarted worker, then the rest. The first is answered with
    its stored replies, the others are processed, all once and in the order they came."""
    settings = settings_for(lib, fake, url)
    engine = EchoEngine()
    telegram = WebhookQueues()
    async with serve(settings, engine, fake) as dying:
        fake.delay = 3.0
        saved_at = saves_seen(dying.core)
        updates = [dying.updates.text(text, USER) for text in BURST]
        telegram.add(*updates)
        delivering = asyncio.create_task(telegram.run(poster(dying)))
        await fake.wait_for(lambda: bool(fake.named("sendMessage")))
        assert list(saved_at) == [delivery_id(updates[0])]  # one at a time: only the first came
        tasks = [delivering, *dying.web.state.channels[0]._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    fake.delay = 0.0
    before = len(fake.calls)
    async with serve(settings, engine, fake) as restarted:
        await telegram.run(poster(restarted))
    assert sent_texts(fake, before) == expected(BURST)
    assert stored_turns(url, f"telegram:{USER}") == len(BURST)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_burst_over_long_polling_is_answered_in_order_once_across_a_kill(
    lib: str, fake: FakeTelegram, url: str  # noqa: F811
) -> None:
    """Long polling fetches the five messages at once and handles them one after another, each
    confirmed only once handled. Killed while the first reply is on its way, the restarted poller
    gets all five again: the first is answered with its stored replies, the others are processed,
    all once and in the order they came."""
    settings = settings_for(lib, fake, url)
    engine = EchoEngine()
    updates = Updates()
    for text in BURST:
        fake.push(updates.text(text, USER))
    fake.delay = 3.0
    core = build_core(settings, engine)
    polling = asyncio.create_task(run_polling(settings, app=core, poll_timeout=1))
    try:
        await fake.wait_for(lambda: bool(fake.named("sendMessage")), timeout=30)
        polling.cancel()  # killed: nothing handled is confirmed
        await asyncio.gather(polling, return_exceptions=True)
    finally:
        await core.close()
    assert stored_turns(url, f"telegram:{USER}") == 1
    fake.delay = 0.0
    before = len(fake.calls)
    core = build_core(settings, engine)
    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(settings, stop=stop, app=core, poll_timeout=1))
    try:
        await fake.wait_for(lambda: len(sent_texts(fake, before)) >= 2 * len(BURST), timeout=30)
        stop.set()
        await asyncio.wait_for(polling, 10)
    finally:
        await core.close()
    assert sent_texts(fake, before) == expected(BURST)
    assert stored_turns(url, f"telegram:{USER}") == len(BURST)
    assert fake.queue == []  # all confirmed
