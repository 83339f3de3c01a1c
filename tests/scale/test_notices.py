"""Notices between workers (bot.coord.notices) and the web chat's long-poll they wake.

In one process first: a poll held with ?wait= wakes when a push lands, odd waits answer at once.
Then two notice hubs on the real Redis (as two workers have), and one on a closed port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from bot.channels.web_updates import MAX_WAIT, Doorbell, parse_wait
from bot.channels.webchat import WebChat
from bot.coord import connect_redis
from bot.coord.notices import Notices, RedisNotices
from bot.core.messages import Outbound
from tests.channels.test_telegram import ScriptedEngine
from tests.channels.test_webchat import LiveServer, build_core, serve
from tests.live import free_port

USER = "longpoll-user-0001"


@pytest.fixture
async def live(sqlite_url: str) -> AsyncIterator[LiveServer]:
    async with serve(build_core(ScriptedEngine(Outbound("ok")), sqlite_url)) as server:
        yield server


def web_channel(live: LiveServer) -> WebChat:
    return next(c for c in live.web.state.channels if isinstance(c, WebChat))


@pytest.mark.parametrize("value", [None, "", "abc", "-3", "nan", "0"])
def test_an_odd_wait_means_no_wait(value: str | None) -> None:
    assert parse_wait(value) == 0.0


def test_a_long_wait_is_cut_to_the_bound() -> None:
    assert parse_wait("1e9") == MAX_WAIT
    assert parse_wait("inf") == MAX_WAIT
    assert parse_wait("2.5") == 2.5


async def test_a_held_poll_wakes_when_the_push_lands(live: LiveServer) -> None:
    """The page's poll waits; a volunteer's news pushed a moment later answers it at once."""
    chat = web_channel(live)
    async with httpx.AsyncClient(base_url=live.url, timeout=15) as http:
        started = time.monotonic()
        poll = asyncio.create_task(http.get("/chat/api/updates", params={"user": USER, "wait": "8"}))
        await asyncio.sleep(0.3)
        assert not poll.done()  # held, not answered empty
        assert chat.doorbell.waiting == 1
        assert await chat.push(USER, [Outbound("Chị Lan sẽ gọi cho bạn.")])
        response = await poll
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert [m["text"] for m in response.json()["messages"]] == ["Chị Lan sẽ gọi cho bạn."]
        assert elapsed < 2.0
        assert chat.doorbell.waiting == 0
        # Taken once: the next look finds nothing, and a wait that sees no news ends on time.
        started = time.monotonic()
        again = await http.get("/chat/api/updates", params={"user": USER, "wait": "0.5"})
        assert again.json() == {"messages": []}
        assert 0.4 < time.monotonic() - started < 3.0


async def test_news_already_waiting_is_answered_without_holding(live: LiveServer) -> None:
    chat = web_channel(live)
    await chat.push(USER, [Outbound("Tin 1")])
    async with httpx.AsyncClient(base_url=live.url, timeout=15) as http:
        started = time.monotonic()
        response = await http.get("/chat/api/updates", params={"user": USER, "wait": "8"})
        assert [m["text"] for m in response.json()["messages"]] == ["Tin 1"]
        assert time.monotonic() - started < 2.0


async def test_news_for_someone_else_does_not_end_the_wait(live: LiveServer) -> None:
    chat = web_channel(live)
    async with httpx.AsyncClient(base_url=live.url, timeout=15) as http:
        poll = asyncio.create_task(http.get("/chat/api/updates", params={"user": USER, "wait": "1.5"}))
        await asyncio.sleep(0.3)
        await chat.push("someone-else-0001", [Outbound("không phải của bạn")])
        await asyncio.sleep(0.3)
        assert not poll.done()
        assert (await poll).json() == {"messages": []}


async def test_too_many_held_polls_are_answered_at_once() -> None:
    taken: list[str] = []

    async def take(user: str) -> list[dict[str, str]]:
        taken.append(user)
        return []

    bell = Doorbell(Notices(), limit=0)
    started = time.monotonic()
    assert await bell.take(USER, 5.0, take) == []
    assert time.monotonic() - started < 0.5
    assert taken == [USER]


def closed_port() -> int:
    return free_port()  # nobody listens there once the probe closes


async def test_two_workers_hear_each_other_through_redis(redis: Redis, redis_url: str, redis_prefix: str) -> None:
    """A notice published in one worker reaches the other's subscribers, and its own only once."""
    clients = [connect_redis(redis_url) for _ in range(2)]
    hubs = [RedisNotices(client, redis_prefix) for client in clients if client is not None]
    heard: list[list[str | None]] = [[], []]
    for hub, box in zip(hubs, heard, strict=True):
        hub.subscribe("web", box.append)
        await hub.start()
    try:
        for hub in hubs:
            await asyncio.wait_for(hub.connected.wait(), 5)
        await hubs[0].publish("web", "abc-user-01")
        await hubs[0].publish("aliases", "1")  # another topic: nobody here listens to it
        deadline = time.monotonic() + 3
        while not heard[1] and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # a notice echoed back to its sender would have arrived by now
        assert heard == [["abc-user-01"], ["abc-user-01"]]
    finally:
        for hub in hubs:
            await hub.stop()
        for client in clients:
            if client is not None:
                await client.aclose()


async def test_a_closed_redis_port_costs_nothing_but_the_other_workers(caplog: pytest.LogCaptureFixture) -> None:
    """Redis unreachable: publishing neither raises nor stalls, and this worker still hears itself."""
    client = connect_redis(f"redis://127.0.0.1:{closed_port()}/0")
    assert client is not None
    hub = RedisNotices(client, "trolyso-test:closed:")
    heard: list[str | None] = []
    hub.subscribe("web", heard.append)
    await hub.start()
    try:
        started = time.monotonic()
        await hub.publish("web", "abc-user-02")
        await hub.publish("web", "abc-user-03")
        assert heard == ["abc-user-02", "abc-user-03"]
        assert time.monotonic() - started < 2.5
        assert not hub.connected.is_set()
        assert "Redis unreachable" in caplog.text
    finally:
        await hub.stop()
        await client.aclose()
