"""What truly needs the database — sending a help request, taking one — while it cannot be reached:
a plain "cannot save this right now, send it again in a minute", never the generic apology, at
once rather than after SQLite's 5 s busy timeout, and the conversation kept so that sending the
same message again works. PostgreSQL is cut with the proxy of test_outage; SQLite's write lock is
held by another connection, as `trolyso db purge` or a backup would."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.app import App, build_app
from bot.core.messages import Inbound, Outbound
from bot.settings import Settings
from bot.storage.db import create_db_engine
from bot.storage.tables import help_requests
from tests.community.conftest import ANH_SON
from tests.scale.proxy import Proxy
from tests.scale.test_outage import APOLOGY, proxy  # noqa: F401 - the fixture

PLAIN_VI = "Xin lỗi, lúc này hệ thống chưa lưu được"
PLAIN_EN = "Sorry, the system cannot save this right now"
SENT = re.compile(r"Đã gửi:? yêu cầu #\d+")
"""The request went out (to the commune's team, or to the province when the commune has none)."""


def text(replies: Sequence[Outbound]) -> str:
    return "\n".join(r.text for r in replies)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[[str], App]:
    def make(url: str) -> App:
        settings = Settings(database_url=url, usage_spool_path=str(tmp_path / "spool.jsonl"), channels="web",
                            usage_write_timeout_seconds=1.0, secret_key="k" * 32)  # type: ignore[arg-type]  # fmt: skip
        return build_app(settings)

    return make


async def say(app: App, user: str, words: str = "", payload: str | None = None, channel: str = "web",
              lang: str | None = None) -> list[Outbound]:  # fmt: skip
    return await app.conversations.handle(Inbound(channel, user, words, payload=payload, lang_hint=lang))


async def up_to_the_last_step(app: App, user: str, lang: str | None = None) -> None:
    """A citizen asks for a call, typing as people do, up to "when is a good time to call you?"."""
    typed = (("i want to talk to a real person", "yes", "no") if lang == "en"
             else ("toi muon gap nguoi that", "co", "khong"))  # fmt: skip
    for words, payload in ((typed[0], None), (typed[1], None), ("0912 345 678", None),
                           ("anh son", None), ("", f"hc:{ANH_SON}"), (typed[2], None)):  # fmt: skip
        replies = await say(app, user, words, payload, lang=lang)
    assert "?" in text(replies), text(replies)


def requests_of(url: str, user: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.select(sa.func.count()).select_from(help_requests).where(help_requests.c.user_id == user)
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


@contextlib.contextmanager
def write_lock(url: str) -> Iterator[None]:
    """Another process's write transaction on the SQLite file (a purge, a backup)."""
    database = make_url(url).database
    assert database is not None
    locker = sqlite3.connect(database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


@contextlib.asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    await app.start()
    try:
        yield app
    finally:
        await app.close()


async def linked_volunteer(app: App, chat: str) -> None:
    assert app.desk is not None
    # In a thread: through the proxy, which runs in this event loop.
    _volunteer, code = await asyncio.to_thread(app.desk.create_volunteer, "Lê Văn Bảo", "Tổ xóm 5", ANH_SON,
                                               "0966000555", created_by="admin")  # fmt: skip
    replies = await say(app, chat, f"/lienket {code}", channel="telegram")
    assert "Lê Văn Bảo" in text(replies)


async def test_sqlite_locked_a_request_waits_and_goes_out_when_sent_again(
    sqlite_url: str, make_app: Callable[[str], App]
) -> None:
    async with running(make_app(sqlite_url)) as app:
        await up_to_the_last_step(app, "lan-0001")
        with write_lock(sqlite_url):
            started = time.perf_counter()
            replies = await say(app, "lan-0001", "luc nao cung duoc")
            took = time.perf_counter() - started
        assert APOLOGY not in text(replies)
        assert PLAIN_VI in text(replies)
        assert "gửi lại sau một phút" in text(replies)
        assert took < 2.0, f"the citizen waited {took:.1f} s"
        assert requests_of(sqlite_url, "lan-0001") == 0
        again = await say(app, "lan-0001", "luc nao cung duoc")  # the same words, the lock gone
        assert SENT.search(text(again)), text(again)
        assert requests_of(sqlite_url, "lan-0001") == 1


async def test_sqlite_locked_in_english_and_a_pressed_button_comes_back(
    sqlite_url: str, make_app: Callable[[str], App]
) -> None:
    async with running(make_app(sqlite_url)) as app:
        await up_to_the_last_step(app, "mai-0001", lang="en")
        with write_lock(sqlite_url):
            replies = await say(app, "mai-0001", payload="ht:any", lang="en")
        assert PLAIN_EN in text(replies), text(replies)
        assert [(b.label, b.payload) for r in replies for b in r.buttons] == [("Try again", "ht:any")]
        again = await say(app, "mai-0001", payload="ht:any", lang="en")
        assert "Sent: request #" in text(again), text(again)


async def test_sqlite_locked_a_claim_waits_and_pressing_again_takes_it(
    sqlite_url: str, make_app: Callable[[str], App]
) -> None:
    async with running(make_app(sqlite_url)) as app:
        await up_to_the_last_step(app, "lan-0002")
        sent = text(await say(app, "lan-0002", "luc nao cung duoc"))
        ticket = int(sent.split("#", 1)[1].split()[0].rstrip(".,"))
        await linked_volunteer(app, "901")
        with write_lock(sqlite_url):
            started = time.perf_counter()
            replies = await say(app, "901", payload=f"hr:claim:{ticket}", channel="telegram")
            took = time.perf_counter() - started
        assert APOLOGY not in text(replies)
        assert PLAIN_VI in text(replies)
        assert [b.payload for r in replies for b in r.buttons] == [f"hr:claim:{ticket}"]
        assert took < 2.0, f"the volunteer waited {took:.1f} s"
        again = await say(app, "901", payload=f"hr:claim:{ticket}", channel="telegram")
        assert "0912 345 678" in text(again), text(again)  # the citizen's number, to call


@pytest.mark.postgres
@pytest.mark.slow
async def test_postgres_unreachable_a_request_and_a_claim_wait_for_it(
    proxy: tuple[Proxy, str],  # noqa: F811 - the fixture imported above
    make_app: Callable[[str], App],
) -> None:
    server, url = proxy
    direct = url.replace(f"127.0.0.1:{server.port}/", f"{server.target[0]}:{server.target[1]}/")
    async with running(make_app(url)) as app:
        await up_to_the_last_step(app, "pg-citizen-1")
        await server.stop()
        try:
            started = time.perf_counter()
            replies = await say(app, "pg-citizen-1", "luc nao cung duoc")
            took = time.perf_counter() - started
        finally:
            await server.start()
        assert APOLOGY not in text(replies)
        assert PLAIN_VI in text(replies), text(replies)
        assert took < 5.0
        assert requests_of(direct, "pg-citizen-1") == 0
        sent = text(await say(app, "pg-citizen-1", "luc nao cung duoc"))
        assert SENT.search(sent), sent
        ticket = int(sent.split("#", 1)[1].split()[0].rstrip(".,"))
        await linked_volunteer(app, "902")
        await server.stop()
        try:
            replies = await say(app, "902", payload=f"hr:claim:{ticket}", channel="telegram")
        finally:
            await server.start()
        assert APOLOGY not in text(replies)
        assert PLAIN_VI in text(replies), text(replies)
        again = await say(app, "902", payload=f"hr:claim:{ticket}", channel="telegram")
        assert "0912 345 678" in text(again), text(again)
    assert requests_of(direct, "pg-citizen-1") == 1
