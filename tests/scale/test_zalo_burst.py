"""A quick burst from one person on Zalo — short lines typed within about 100 ms ("cho hỏi",
"làm cccd", "ở đâu ạ") — while Zalo's API takes 400 ms to accept each reply. Each message's turn
runs after the one before (order is kept), but it must not wait for the one before's replies to be
sent: a message not saved within the webhook's bound (1.5 s) is acknowledged unsaved, and a worker
killed then loses what the person said, since Zalo never delivers again an event it had a 200 for.

Real HTTP to the fake Zalo, on SQLite and PostgreSQL; a kill is played as in
:mod:`tests.scale.test_zalo_exactly_once` (the worker's turns stop where they are)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bot.app import App
from bot.channels.zalo import ACK_WAIT
from bot.storage import deliveries
from tests.channels.zalo_harness import APP_ID, USER, Running, fake_zalo, serving
from tests.fakes.zalo_api import FakeZalo, to_outbound
from tests.scale.test_exactly_once import stored_turns, url  # noqa: F401  (fixture)

BURST = ("cho hỏi", "làm cccd", "ở đâu ạ", "cần mang gì", "hết bao nhiêu tiền")
TYPED_APART = 0.02
"""Seconds between the burst's messages as Zalo delivers them (five within 100 ms)."""
SLOW_SEND = 0.4
"""Seconds Zalo's API takes to accept each message: the burst's five replies (a message each) take
2 s to send, past the webhook's 1.5 s bound."""


def saves_seen(core: App) -> dict[str, float]:
    """When each delivery's turn was saved (delivery id -> loop time), as the store's save returns."""
    store = core.conversations.store
    save = store.save
    seen: dict[str, float] = {}

    async def timed(*args: Any) -> int:
        version = int(await save(*args))
        delivery = deliveries.handling()
        if delivery is not None:
            seen[delivery.id] = asyncio.get_running_loop().time()
        return version

    store.save = timed  # type: ignore[method-assign]
    return seen


async def burst(running: Running, events: list[dict[str, Any]]) -> list[tuple[httpx.Response, float]]:
    """Zalo delivers ``events`` TYPED_APART seconds apart, each on its own request; each answer
    with the loop time it came."""

    async def post(event: dict[str, Any]) -> tuple[httpx.Response, float]:
        response = await running.zalo.post(event)
        return response, asyncio.get_running_loop().time()

    posts = []
    for event in events:
        posts.append(asyncio.create_task(post(event)))
        await asyncio.sleep(TYPED_APART)
    return list(await asyncio.gather(*posts))


def delivery_id(event: dict[str, Any]) -> str:
    return f"zalo:{APP_ID}:m:{event['message']['msg_id']}"


def replies_by_message(zalo: FakeZalo, since: int = 0) -> list[tuple[str, str]]:
    """(the person's message id it answers, text) of each reply Zalo accepted, in the order sent."""
    calls = [c for c in zalo.calls[since:] if c.path == "/v3.0/oa/message/cs" and c.accepted]
    return [(c.body["recipient"]["message_id"], to_outbound(c.body["message"]).text) for c in calls]


def acks(running: Running, result: str) -> float:
    registry = running.channel.ctx.metrics.registry
    return registry.get_sample_value("trolyso_webhook_requests_total", {"channel": "zalo", "result": result}) or 0.0


async def test_a_burst_is_saved_before_each_200_and_answered_in_order(url: str) -> None:  # noqa: F811
    """Four messages within 100 ms, Zalo slow to take replies: each 200 comes after its own turn is
    saved (none acknowledged unsaved), the replies leave grouped in the order the messages came,
    each message is processed once, and after a restart Zalo's redelivery of any of them is answered
    with the stored replies, processing none again."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None) as running:
            zalo.delay = SLOW_SEND
            saved_at = saves_seen(running.core)
            events = [running.zalo.event(USER, text) for text in BURST]
            answers = await burst(running, events)
            assert [response.status_code for response, _at in answers] == [200] * len(BURST)
            assert acks(running, "ok_unsaved") == 0
            for event, (_response, at) in zip(events, answers, strict=True):
                assert delivery_id(event) in saved_at, f"{event['message']['text']!r} was acknowledged unsaved"
                assert saved_at[delivery_id(event)] < at
            await running.channel.idle()
        first = replies_by_message(zalo)
        order = [msg_id for msg_id, _text in first]
        ids = [event["message"]["msg_id"] for event in events]
        assert set(order) == set(ids), "a message of the burst was not answered"
        assert order == sorted(order, key=ids.index), "replies left out of the order the messages came"
        assert len(first) * SLOW_SEND > ACK_WAIT, "the sends were not slow enough to test anything"
        assert stored_turns(url, f"zalo:{USER}") == len(BURST)

        before = len(zalo.calls)
        async with serving(zalo, url, None) as restarted:  # Zalo delivers each of them again
            zalo.delay = 0.0
            for event in events:
                assert (await restarted.zalo.post(event)).status_code == 200
                await restarted.channel.idle()
            assert acks(restarted, "duplicate") == len(BURST)
        assert replies_by_message(zalo, before) == first  # the stored replies, in the same order
        assert stored_turns(url, f"zalo:{USER}") == len(BURST)  # processed once


async def test_a_worker_killed_after_a_slow_burst_was_acknowledged_keeps_every_message(url: str) -> None:  # noqa: F811
    """Zalo's API holds the first reply of a burst for 3 s: every message still has its 200 within
    the bound, each saved before it, so a worker killed right after loses none of what the person
    said (Zalo will not deliver any of them again). The replies not yet sent are kept until sent,
    as for any turn acknowledged unsent (tests/scale/test_late_replies.py sends them after a restart)."""
    async with fake_zalo() as zalo, serving(zalo, url, None) as dying:
        zalo.delay = 3.0
        events = [dying.zalo.event(USER, text) for text in BURST]
        answers = await burst(dying, events)
        assert [response.status_code for response, _at in answers] == [200] * len(BURST)
        assert acks(dying, "ok_unsaved") == 0
        tasks = list(dying.channel._tasks)  # killed: the turns stop where they are
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert stored_turns(url, f"zalo:{USER}") == len(BURST)


async def test_a_worker_killed_before_answering_a_burst_answers_each_redelivery_in_order(url: str) -> None:  # noqa: F811
    """The worker saved the whole burst and was killed while the first reply was on its way, before
    any 200: Zalo delivers all of them again, and the restarted worker answers each with its stored
    replies, in the order the messages came, processing none twice."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            zalo.delay = 3.0
            saved_at = saves_seen(dying.core)
            events = [dying.zalo.event(USER, text) for text in BURST]
            posts = []
            for event in events:
                posts.append(asyncio.create_task(dying.zalo.post(event)))
                await asyncio.sleep(TYPED_APART)
            for _ in range(150):  # the burst's turns are saved within a moment, not after the sends
                if len(saved_at) == len(BURST):
                    break
                await asyncio.sleep(0.01)
            assert len(saved_at) == len(BURST), "a message waited for the previous one's replies to be sent"
            assert not any(post.done() for post in posts), "Zalo heard 200 before the replies left"
            tasks = [*posts, *dying.channel._tasks]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        before = len(zalo.calls)
        async with serving(zalo, url, None) as restarted:
            zalo.delay = 0.0
            for event in events:
                assert (await restarted.zalo.post(event)).status_code == 200
            await restarted.channel.idle()
        again = replies_by_message(zalo, before)
        order = [msg_id for msg_id, _text in again]
        ids = [event["message"]["msg_id"] for event in events]
        assert set(order) == set(ids)
        assert order == sorted(order, key=ids.index)
        assert stored_turns(url, f"zalo:{USER}") == len(BURST)
