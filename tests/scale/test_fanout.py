"""Two real workers on PostgreSQL and Redis: a push made in one reaches the page polling the other,
promptly through Redis, and still (by the poll's last look) with Redis unreachable."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bot.helpdesk.sql import SqlHelpDesk
from bot.storage.db import create_db_engine
from tests.community.conftest import ANH_SON
from tests.fakes.telegram_api import FakeTelegram, Updates
from tests.live import free_port
from tests.scale.pair import TELEGRAM_SECRET, Worker, two_workers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


def telegram_settings(fake: FakeTelegram) -> dict[str, str]:
    return {"channels": "web,telegram", "telegram_token": "123456:TEST", "telegram_webhook_secret": TELEGRAM_SECRET,
            "telegram_api_base": fake.url, "admin_dashboard": "false"}  # fmt: skip


async def open_request(http: httpx.AsyncClient, worker: Worker, user: str) -> int:
    """A citizen asks for a person, typing as people do; the request's number."""
    reply: dict[str, object] = {}
    for step in ({"text": "toi muon gap nguoi that"}, {"payload": "hd:yes"}, {"text": "0912 345 678"},
                 {"text": "anh son"}, {"payload": f"hc:{ANH_SON}"}, {"payload": "hn:skip"}, {"payload": "ht:any"}):  # fmt: skip
        response = await worker.say(http, user, **step)
        assert response.status_code == 200, response.text
        reply = response.json()
    found = re.search(r"#(\d+)", str(reply))
    assert found is not None, reply
    return int(found.group(1))


async def volunteer_claims(http: httpx.AsyncClient, worker: Worker, database_url: str, ticket: int, chat: int) -> None:
    """A volunteer links their Telegram account and presses "Nhận" under the request, on ``worker``."""
    db = create_db_engine(database_url)
    try:
        _volunteer, code = SqlHelpDesk(db).create_volunteer("Lê Văn Bảo", "Tổ xóm 5", ANH_SON, "0966000555",
                                                            created_by="admin")  # fmt: skip
    finally:
        db.dispose()
    updates = Updates(first_id=chat * 10)
    assert (await worker.telegram(http, updates.text(f"/lienket {code}", chat))).status_code == 200
    assert (await worker.telegram(http, updates.press(f"hr:claim:{ticket}", chat))).status_code == 200


async def test_a_push_in_one_worker_wakes_the_poll_in_the_other(
    postgres_database: str, redis: Redis, redis_url: str, redis_prefix: str, fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    settings = {**telegram_settings(fake_telegram), "redis_url": redis_url, "redis_prefix": redis_prefix}
    async with two_workers(postgres_database, tmp_path, **settings) as (a, b), httpx.AsyncClient(timeout=20) as http:
        citizen = "fanout-citizen-01"
        ticket = await open_request(http, b, citizen)
        await asyncio.sleep(1.0)  # both workers' listeners are subscribed well before this
        poll = asyncio.create_task(http.get(f"{b.url}/chat/api/updates", params={"user": citizen, "wait": "10"}))
        await asyncio.sleep(0.5)
        assert not poll.done()  # B holds the poll: nothing for the citizen yet
        await volunteer_claims(http, a, postgres_database, ticket, chat=901)
        claimed = time.monotonic()
        response = await poll
        took = time.monotonic() - claimed
        assert response.status_code == 200
        news = response.json()["messages"]
        assert len(news) == 1, news
        assert "Lê Văn Bảo" in news[0]["text"]
        assert "0966 000 555" in news[0]["text"]
        assert took < 2.0, f"B heard of A's push after {took:.2f} s"
        # Taken once: neither worker has it any more.
        for worker in (a, b):
            again = await http.get(f"{worker.url}/chat/api/updates", params={"user": citizen})
            assert again.json() == {"messages": []}


async def test_with_redis_unreachable_the_news_still_arrives_by_polling(
    postgres_database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = {**telegram_settings(fake_telegram), "redis_url": closed}
    async with two_workers(postgres_database, tmp_path, **settings) as (a, b), httpx.AsyncClient(timeout=20) as http:
        citizen = "fanout-citizen-02"
        ticket = await open_request(http, b, citizen)
        poll = asyncio.create_task(http.get(f"{b.url}/chat/api/updates", params={"user": citizen, "wait": "3"}))
        await asyncio.sleep(0.3)
        await volunteer_claims(http, a, postgres_database, ticket, chat=902)
        response = await poll  # no notice can reach B: the hold ends and its last look finds the news
        assert response.status_code == 200
        news = response.json()["messages"]
        assert len(news) == 1, news
        assert "Lê Văn Bảo" in news[0]["text"]
        # A page that asks without waiting gets it too (here: nothing left, it was taken once).
        again = await http.get(f"{a.url}/chat/api/updates", params={"user": citizen})
        assert again.json() == {"messages": []}
    assert "Traceback" not in a.output() + b.output()
