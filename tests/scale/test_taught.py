"""A phrasing taught in one worker's dashboard is answered by the other worker within a second or
two: a notice through Redis makes it look at once. Without Redis the periodic look still gets it."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from redis.asyncio import Redis

from bot.admin.accounts import Accounts
from bot.admin.schema import learned_aliases
from bot.storage.db import create_db_engine
from tests.admin.conftest import csrf_of
from tests.live import free_port
from tests.scale.pair import Worker, two_workers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

QUESTION = "ông cụ vừa về trời"
"""Not understood until taught ("passed away", said kindly: no procedure comes near)."""
TYPED = "ong cu vua ve troi"
"""How a citizen types it on worker B: no accents."""
PASSWORD = "mat-khau-dai-1"


def fresh_admin(database_url: str) -> str:
    """An admin account, and no phrasing taught yet (the session's database is shared by tests)."""
    db = create_db_engine(database_url)
    try:
        with db.begin() as connection:
            connection.execute(sa.delete(learned_aliases))
        username = f"quantri{uuid.uuid4().hex[:6]}"
        Accounts(db).create(username, PASSWORD, "admin")
    finally:
        db.dispose()
    return username


async def answered(http: httpx.AsyncClient, worker: Worker) -> bool:
    """Whether ``worker`` answers the typed question with the death registration procedure."""
    response = await worker.say(http, f"asker-{uuid.uuid4().hex[:12]}", text=TYPED)
    assert response.status_code == 200, response.text
    text = response.json()["messages"][0]["text"]
    return bool(text.startswith("📋 Đăng ký khai tử"))


async def teach(worker: Worker, username: str) -> None:
    """What an admin does: log in, open the inbox, assign the question to a procedure."""
    async with httpx.AsyncClient(base_url=worker.url, timeout=20) as admin:
        form = await admin.get("/admin/login")
        login = await admin.post("/admin/login", data={"username": username, "password": PASSWORD,
                                                       "csrf": csrf_of(form.text), "next": "/admin"})  # fmt: skip
        assert login.status_code == 303, login.text
        inbox = await admin.get("/admin/inbox")
        assert inbox.status_code == 200
        taught = await admin.post("/admin/inbox/assign", data={
            "csrf": csrf_of(inbox.text), "procedure": "death_registration", "text": QUESTION, "back": ""})  # fmt: skip
        assert taught.status_code == 303, taught.text


async def first_answer_after(http: httpx.AsyncClient, worker: Worker, limit: float) -> float:
    """Seconds until ``worker`` answers with the taught phrasing (asking every 0.1 s), at most ``limit``."""
    started = time.monotonic()
    while not await answered(http, worker):
        assert time.monotonic() - started < limit, f"not answered within {limit} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_taught_on_a_answered_on_b_at_once(
    postgres_database: str, redis: Redis, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    username = fresh_admin(postgres_database)
    settings = {"redis_url": redis_url, "redis_prefix": redis_prefix,
                "admin_alias_refresh_seconds": "600"}  # the periodic look cannot be what helps here  # fmt: skip
    async with two_workers(postgres_database, tmp_path, **settings) as (a, b), httpx.AsyncClient(timeout=20) as http:
        assert not await answered(http, a)
        assert not await answered(http, b)
        await teach(a, username)
        assert await answered(http, a)  # the worker taught answers at once
        assert await first_answer_after(http, b, limit=2.0) < 2.0


async def test_with_redis_unreachable_the_periodic_look_still_teaches_b(
    postgres_database: str, tmp_path: Path
) -> None:
    username = fresh_admin(postgres_database)
    settings = {"redis_url": f"redis://127.0.0.1:{free_port()}/0", "admin_alias_refresh_seconds": "2"}
    async with two_workers(postgres_database, tmp_path, **settings) as (a, b), httpx.AsyncClient(timeout=20) as http:
        assert not await answered(http, b)
        await teach(a, username)
        assert await first_answer_after(http, b, limit=10.0) < 10.0
