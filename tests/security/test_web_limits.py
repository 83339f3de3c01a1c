"""Floods of the web chat: limited per browser id and per client address, answered 429 with
Retry-After and a kind message; X-Forwarded-For believed only from configured proxies; a person
typing never meets the limit; with Redis, every worker counts against one budget."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.ratelimit import RateLimiter, Rule, client_address, parse_proxies
from bot.settings import Settings
from bot.web.app import create_app
from tests.fakes.webchat import message_id

JSON = {"content-type": "application/json"}
REDIS_URL = os.environ.get("TROLYSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def make_client(tmp_path: Path) -> AsyncIterator[Any]:
    """Builds the app (web chat only) with settings, runs its lifespan, and gives a client that
    reaches it through httpx's ASGI transport from the address ``peer``."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(peer: str = "203.0.113.5", **settings: Any) -> httpx.AsyncClient:
            values = {"database_url": f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}", "channels": "web",
                      "admin_dashboard": False} | settings  # fmt: skip
            web = create_app(Settings(**values))
            await stack.enter_async_context(web.router.lifespan_context(web))
            transport = httpx.ASGITransport(app=web, client=(peer, 40000))
            return await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://testserver"))

        yield make


def _user() -> str:
    return f"flood-{uuid.uuid4().hex[:12]}"


async def test_a_flood_from_one_id_gets_429_with_retry_after_and_a_kind_message(make_client: Any) -> None:
    """Past web_rate_per_user, the API answers 429, Retry-After and a message the page shows."""
    client = await make_client(web_rate_per_user="5/minute")
    user = _user()
    answers = [await client.post("/chat/api/message", json={"user": user, "id": message_id(), "text": "xin chào"}) for _ in range(8)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "chờ" in refused.json()["error"] or "wait" in refused.json()["error"]
    other = await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "xin chào"})
    assert other.status_code == 200, "another person is not held back by one flooding id"


async def test_a_flood_of_ids_from_one_address_gets_429(make_client: Any) -> None:
    """Fresh ids for every message do not escape the per-address limit."""
    client = await make_client(web_rate_per_address="6/minute")
    codes = [(await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "hi"})).status_code
             for _ in range(9)]  # fmt: skip
    assert codes == [200] * 6 + [429] * 3
    english = await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "hi", "lang": "en"})
    assert english.status_code == 429


async def test_a_flood_of_malformed_messages_from_one_address_gets_429(make_client: Any) -> None:
    """Refused messages count against the address: garbage is no way around the limit, and a
    good message after it waits as well."""
    client = await make_client(web_rate_per_address="4/minute")
    codes = [(await client.post("/chat/api/message", content=b"{not json", headers=JSON)).status_code for _ in range(6)]
    assert codes == [400] * 4 + [429] * 2
    good = await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "xin chào"})
    assert good.status_code == 429


async def test_forwarded_for_is_ignored_from_a_client_that_is_not_a_trusted_proxy(make_client: Any) -> None:
    """A client cannot reset its count by inventing X-Forwarded-For addresses."""
    client = await make_client(web_rate_per_address="3/minute", trusted_proxies="10.0.0.1")
    codes = [(await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "hi"},
                                headers={"X-Forwarded-For": f"198.51.100.{i}"})).status_code
             for i in range(5)]  # fmt: skip
    assert codes == [200] * 3 + [429] * 2


async def test_behind_a_trusted_proxy_each_real_client_has_its_own_budget(make_client: Any) -> None:
    """From the configured proxy, the client address in X-Forwarded-For is the one counted."""
    client = await make_client(peer="10.0.0.1", web_rate_per_address="2/minute", trusted_proxies="10.0.0.0/8")
    for last in range(1, 4):
        for _ in range(2):
            response = await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "hi"},
                                         headers={"X-Forwarded-For": f"6.6.6.6, 198.51.100.{last}"})  # fmt: skip
            assert response.status_code == 200
    third = await client.post("/chat/api/message", json={"user": _user(), "id": message_id(), "text": "hi"},
                              headers={"X-Forwarded-For": "198.51.100.1"})  # fmt: skip
    assert third.status_code == 429


async def test_a_person_typing_and_pressing_buttons_never_meets_the_default_limits(make_client: Any) -> None:
    """Twenty messages and presses in a row, faster than anyone types, all get answers."""
    client = await make_client()
    user = _user()
    for i in range(20):
        body = {"user": user, "id": message_id(), **({"text": f"cccd {i}"} if i % 2 else {"payload": "m:0"})}
        assert (await client.post("/chat/api/message", json=body)).status_code == 200


def test_client_address_believes_only_trusted_proxies() -> None:
    """The peer's address, unless the peer is a trusted proxy; then the right-most untrusted hop."""
    proxies = parse_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_address("203.0.113.9", "1.2.3.4", proxies) == "203.0.113.9"
    assert client_address("127.0.0.1", "1.2.3.4", proxies) == "1.2.3.4"
    assert client_address("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", proxies) == "1.2.3.4"
    assert client_address("127.0.0.1", "not an address", proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"
    assert client_address(None, None, proxies) == "unknown"


async def test_the_limit_string_must_make_sense() -> None:
    """A malformed limit setting is a configuration error naming the setting."""
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="web_user"):
        Rule.parse("web_user", "lots")


@pytest.fixture
async def redis_url() -> str:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        message = f"Redis not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        await client.aclose()
    return REDIS_URL


async def test_with_redis_two_workers_share_one_budget(redis_url: str) -> None:
    """Two limiters on the same Redis (two workers) count against one budget."""
    prefix = f"trolyso-test:{uuid.uuid4().hex}"
    first, second = RateLimiter(redis_url, prefix), RateLimiter(redis_url, prefix)
    assert first.backend == "redis"
    rule = Rule.parse("shared", "4/minute")
    try:
        waits = [await (first if i % 2 else second).hit(rule, "203.0.113.7") for i in range(6)]
    finally:
        await first.close()
        await second.close()
    assert waits[:4] == [0.0] * 4
    assert all(w >= 1 for w in waits[4:])


async def test_when_redis_is_down_the_limits_still_hold_in_memory(caplog: pytest.LogCaptureFixture) -> None:
    """An unreachable Redis never turns a request into an error: counting goes on per worker."""
    limiter = RateLimiter("redis://127.0.0.1:9/0", f"trolyso-test:{uuid.uuid4().hex}")
    rule = Rule.parse("down", "2/minute")
    waits = [await limiter.hit(rule, "x") for _ in range(3)]
    await limiter.close()
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] >= 1
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)


async def test_with_redis_a_rule_counts_like_the_memory_windows(redis_url: str) -> None:
    """The shared windows count as the in-process ones: refused hits are not counted, every part
    of a rule must allow a hit, the wait is until the oldest hit leaves, and a reset forgets."""
    limiter = RateLimiter.for_tests(redis_url)
    rule = Rule.parse("same", "2/second;3/hour")
    try:
        assert [await limiter.hit(rule, "a") for _ in range(2)] == [0.0, 0.0]
        refused = [await limiter.hit(rule, "a") for _ in range(5)]
        assert all(w >= 1 for w in refused), "the second's part refuses (and says at least 1 s)"
        assert await limiter.hit(rule, "b") == 0.0, "another key has its own budget"
        await asyncio.sleep(1.05)
        assert await limiter.hit(rule, "a") == 0.0, "the refused hits did not push the window on"
        hour = await limiter.hit(rule, "a")
        assert 3590 < hour <= 3600, "now the hour's part refuses, until its oldest hit leaves"
        assert await limiter.wait(rule, "a") == pytest.approx(hour, abs=1), "wait() tells the same, counting nothing"
        await limiter.reset(rule, "a")
        assert await limiter.hit(rule, "a") == 0.0, "reset forgets (a right password forgets its failures)"
        assert await limiter.hit(Rule.parse("big", "2/minute"), "a", cost=3) == 60.0, "more than a window holds"
    finally:
        await limiter.close()


async def test_with_redis_many_workers_at_once_never_exceed_the_budget(redis_url: str) -> None:
    """Checking and counting are one step in Redis: 40 hits at once from four limiters (four
    workers) on a 10/minute budget let exactly 10 through."""
    prefix = f"trolyso-test:{uuid.uuid4().hex}"
    limiters = [RateLimiter(redis_url, prefix) for _ in range(4)]
    rule = Rule.parse("race", "10/minute")
    try:
        waits = await asyncio.gather(*(limiters[i % 4].hit(rule, "203.0.113.9") for i in range(40)))
    finally:
        for limiter in limiters:
            await limiter.close()
    assert sum(w == 0.0 for w in waits) == 10


async def test_with_redis_one_hit_against_two_budgets_is_one_step(redis_url: str) -> None:
    """Address and person together, as the web chat asks: all or nothing, the longest wait."""
    limiter = RateLimiter.for_tests(redis_url)
    address, person = Rule.parse("address", "3/minute"), Rule.parse("person", "1/minute")
    try:
        assert await limiter.hit_all(((address, ("10.0.0.1",)), (person, ("p1",)))) == 0.0
        assert 55 < await limiter.hit_all(((address, ("10.0.0.1",)), (person, ("p1",)))) <= 60
        assert await limiter.hit_all(((address, ("10.0.0.1",)), (person, ("p2",)))) == 0.0
        assert await limiter.hit_all(((address, ("10.0.0.1",)), (person, ("p3",)))) == 0.0, "refused: not counted"
        assert await limiter.hit_all(((address, ("10.0.0.1",)), (person, ("p4",)))) >= 1, "the address is spent"
    finally:
        await limiter.close()


async def test_with_redis_messages_at_once_go_together_and_count_as_if_alone(redis_url: str) -> None:
    """60 messages at once in one worker, each against its address and its person, as the web chat
    asks: a few script calls carry them all, and the counting is exactly that of one call each, in
    the order they came — a person's second message refused and not counted, the address's 20
    spent by the first 20 people."""
    limiter = RateLimiter.for_tests(redis_url)
    assert limiter._shared is not None
    address, person = Rule.parse("address", "20/minute"), Rule.parse("person", "1/minute")
    people = [f"p{n // 2}" for n in range(60)]  # each person twice in a row
    try:
        hits = [limiter.hit_all(((address, ("10.0.0.9",)), (person, (who,)))) for who in people]
        waits = await asyncio.gather(*hits)
        calls = limiter._shared.round_trips
        assert await limiter.hit_all(((address, ("10.0.0.9",)), (person, ("p-late",)))) >= 1
    finally:
        await limiter.close()
    assert [w == 0.0 for w in waits] == [n % 2 == 0 and n < 40 for n in range(60)]
    assert all(w >= 1 for w in waits[1::2])
    assert calls <= 3, calls  # not 60
