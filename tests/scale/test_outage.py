"""Answers through a database outage: questions and flows go on from memory, states are written back.

PostgreSQL is made unreachable by cutting a TCP proxy in front of the shared server (never by
stopping the server, which other test runs use); SQLite by another connection holding its write
lock, as `trolyso db purge` or a backup would."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.app import App, build_app
from bot.core.messages import Inbound, Outbound
from bot.core.ports import BaseUsageSink
from bot.errors import StorageError
from bot.settings import Settings
from bot.storage.db import create_db_engine
from bot.storage.resilient import ResilientStore
from bot.storage.tables import conversations, usage_events
from tests.scale.proxy import Proxy
from tests.usage.helpers import CollectingSink

GUIDE, LOST = "Hướng dẫn từng bước", "Mất thẻ"


def press(replies: Sequence[Outbound], label: str) -> str:
    for reply in replies:
        for button in reply.buttons:
            if button.label.startswith(label) and button.payload:
                return button.payload
    raise AssertionError(f"no button {label!r} in {[b.label for r in replies for b in r.buttons]}")


def text(replies: Sequence[Outbound]) -> str:
    return "\n".join(r.text for r in replies)


APOLOGY = "Xin lỗi, hệ thống vừa gặp lỗi"


async def turn(app: App, user: str, words: str = "", payload: str | None = None) -> list[Outbound]:
    """One turn as a channel runs it; a StorageError is what the citizen would see as an apology."""
    try:
        return await app.conversations.handle(Inbound("web", user, words, payload=payload))
    except StorageError:
        return [Outbound(APOLOGY)]


def stored_states(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(conversations.c.key, conversations.c.version)).all()
        return {row.key: row.version for row in rows}
    finally:
        engine.dispose()


def stored_events(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(usage_events)).scalar_one())
    finally:
        engine.dispose()


async def written_back(store: ResilientStore) -> None:
    """Wait (at most 10 s) until the store's background write-back has emptied its cache of unsaved states."""
    for _ in range(100):
        if not store.unsaved:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{store.unsaved} states still unsaved")


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[[str, BaseUsageSink], App]:
    def make(url: str, usage: BaseUsageSink) -> App:
        settings = Settings(database_url=url, usage_spool_path=str(tmp_path / "spool.jsonl"),
                            usage_write_timeout_seconds=1.0, secret_key="k" * 32)  # type: ignore[arg-type]  # fmt: skip
        return build_app(settings, usage=usage)

    return make


async def test_a_sqlite_write_lock_held_elsewhere_costs_no_answer(
    sqlite_url: str, make_app: Callable[[str, BaseUsageSink], App]
) -> None:
    """While another process holds the write lock, questions are answered at once and a flow goes on;
    the states reach the file when the lock is released."""
    counted = CollectingSink()
    app = make_app(sqlite_url, counted)
    await app.start()
    try:
        first = await turn(app, "lan", "lam cccd")
        saved = stored_states(sqlite_url)["web:lan"]
        database = make_url(sqlite_url).database
        assert database is not None
        locker = sqlite3.connect(database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, as a purge or a backup holds it
        try:
            started = time.perf_counter()
            answers = [await turn(app, f"new{n}", "lam cccd o dau") for n in range(5)]
            took = time.perf_counter() - started
            step = await turn(app, "lan", payload=press(first, GUIDE))
            step = await turn(app, "lan", payload=press(step, LOST))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert all(APOLOGY not in text(a) and "Thẻ căn cước" in text(a) for a in answers)
        assert took < 2.0  # not five busy timeouts of 5 s, nor even of 0.1 s each after the first
        assert "Thẻ bị mất hay bị hỏng?" in text(step)
        assert isinstance(app.store, ResilientStore)
        assert app.store.unsaved == 6
        await written_back(app.store)
        states = stored_states(sqlite_url)
        assert set(states) == {"web:lan", *(f"web:new{n}" for n in range(5))}
        assert states["web:lan"] == saved + 1  # its two turns under the lock, written back as one save
        done = await turn(app, "lan", "bi mat roi")
        assert "Người làm thẻ sinh năm nào?" in text(done)  # the guide went on: lost → the year of birth
    finally:
        await app.close()
    assert stored_events(sqlite_url) == len(counted.recorded)


@pytest.fixture
async def proxy(postgres_database: str) -> AsyncIterator[tuple[Proxy, str]]:
    """A proxy to the test PostgreSQL database, and the database URL through it (emptied)."""
    url = make_url(postgres_database)
    engine = create_db_engine(postgres_database)
    with engine.begin() as connection:
        for table in ("conversations", "usage_events", "usage_daily", "deliveries"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()
    server = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await server.start()
    try:
        yield (
            server,
            url.set(host="127.0.0.1", port=server.port)
            .update_query_dict({"connect_timeout": "2"})
            .render_as_string(hide_password=False),
        )
    finally:
        await server.stop()


@pytest.mark.postgres
@pytest.mark.slow
async def test_postgres_unreachable_under_load_costs_no_answer_and_no_event(
    proxy: tuple[Proxy, str], make_app: Callable[[str, BaseUsageSink], App]
) -> None:
    """PostgreSQL cut off for 3 s while 40 citizens ask questions and walk a flow: no apology, every
    flow resumes, and every usage event reaches the database once."""
    server, url = proxy
    counted = CollectingSink()
    app = make_app(url, counted)
    await app.start()
    people = [f"p{n}" for n in range(40)]
    results: dict[str, list[str]] = {}
    outage = asyncio.Event()

    async def citizen(user: str, offset: float) -> None:
        seen = results.setdefault(user, [])
        replies = await turn(app, user, "lam cccd")
        seen.append(text(replies))
        await outage.wait()
        await asyncio.sleep(offset)
        replies = await turn(app, user, payload=press(replies, GUIDE))
        seen.append(text(replies))
        replies = await turn(app, user, payload=press(replies, LOST))
        seen.append(text(replies))
        seen.append(text(await turn(app, f"{user}-q", "gplx het han lam sao")))
        await asyncio.sleep(3.5 - offset)  # after the database is back
        seen.append(text(await turn(app, user, "bi mat roi")))

    try:
        walkers = [asyncio.create_task(citizen(p, n * 0.07)) for n, p in enumerate(people)]
        await asyncio.sleep(0.5)
        await server.stop()
        outage.set()
        await asyncio.sleep(3.0)
        await server.start()
        await asyncio.gather(*walkers)
        assert isinstance(app.store, ResilientStore)
        await written_back(app.store)
    finally:
        await app.close()
    transcript = [line for lines in results.values() for line in lines]
    assert not [line for line in transcript if APOLOGY in line]
    assert all("Người làm thẻ sinh năm nào?" in results[p][-1] for p in people)  # lost → the year of birth
    direct = url.replace(f"127.0.0.1:{server.port}/", f"{server.target[0]}:{server.target[1]}/")
    states = stored_states(direct)  # not through the proxy: it runs in this (now blocked) event loop
    assert len(states) == 80
    assert stored_events(direct) == len(counted.recorded)
