"""A reply lost in a crash: the turn's replies are stored with its delivery id, and a redelivery of
an update already handled gets them again (processing exactly once, replies at least once).

The worker "dies" where a kill would hurt most: right after its turn was saved (before the usage
events and the replies), or after the turn and before anything was sent — the task is cancelled
there, as a killed process would be, and nothing reaches the platform. The platform then delivers
the update again, to a restarted worker over the same database."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.conversations import conversation_key
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.errors import ConflictError
from bot.settings import Settings
from bot.storage import deliveries
from bot.storage.db import create_db_engine
from bot.storage.deliveries import DuplicateDelivery, delivering
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.tables import deliveries as deliveries_table
from tests.channels.test_telegram import Live, serve_core, settings_for
from tests.fakes.telegram_api import FakeTelegram
from tests.scale.test_exactly_once import fake, stored_turns, url  # noqa: F401  (fixtures)
from tests.usage.helpers import CollectingSink

TTL = timedelta(hours=1)
REPLIES = [
    Outbound("Làm CCCD ở Công an xã 👇", (Button("Hướng dẫn", "fl:cccd"), Button("Cổng DVC", url="https://dichvucong.gov.vn"))),
    Outbound("Số điện thoại của bạn?", expects="phone"),
]


# --- the store --------------------------------------------------------------------------------
async def test_a_redelivery_gets_the_replies_stored_with_the_turn(url: str) -> None:  # noqa: F811
    """A turn saved with its replies; after a restart the same delivery is refused with those replies."""
    engine = create_db_engine(url)
    store = SqlStateStore(engine, TTL)
    try:
        with delivering("telegram:1:42"):
            _state, version = await store.load("telegram:7")
            deliveries.keep(REPLIES)
            await store.save("telegram:7", ConversationState(turns=1), version)
    finally:
        await store.close()
        engine.dispose()
    engine = create_db_engine(url)  # the restarted worker
    store = SqlStateStore(engine, TTL)
    try:
        with delivering("telegram:1:42"), pytest.raises(DuplicateDelivery) as refused:
            await store.load("telegram:7")
        assert refused.value.replies == REPLIES
        state, _version = await store.load("telegram:7")
        assert state is not None
        assert state.turns == 1
    finally:
        await store.close()
        engine.dispose()


async def test_a_worker_that_lost_the_race_gets_the_winners_replies(url: str) -> None:  # noqa: F811
    """Two workers load the same update; the one whose save comes second is handed the first one's replies."""
    engines = [create_db_engine(url) for _ in range(2)]
    a, b = (SqlStateStore(engine, TTL) for engine in engines)
    try:
        version = await a.save("zalo:9", ConversationState(turns=1), 0)
        with delivering("zalo:app:m:9"):
            _state, seen_by_b = await b.load("zalo:9")
        with delivering("zalo:app:m:9"):
            _state, seen_by_a = await a.load("zalo:9")
            deliveries.keep(REPLIES)
            await a.save("zalo:9", ConversationState(turns=2), seen_by_a)
        with delivering("zalo:app:m:9"):
            deliveries.keep([Outbound("never sent")])
            try:
                await b.save("zalo:9", ConversationState(turns=9), seen_by_b)
            except DuplicateDelivery as exc:
                replies = exc.replies
            except ConflictError:  # the version check may speak first: the retried turn's load is refused
                with pytest.raises(DuplicateDelivery) as refused:
                    await b.load("zalo:9")
                replies = refused.value.replies
            else:
                raise AssertionError("the second save of one delivery committed")
        assert replies == REPLIES
        state, now = await a.load("zalo:9")
        assert state is not None
        assert (state.turns, now) == (2, version + 1)
    finally:
        for store, engine in zip((a, b), engines, strict=True):
            await store.close()
            engine.dispose()


async def test_stored_replies_are_emptied_after_a_day_and_the_id_kept_two(url: str) -> None:  # noqa: F811
    """The hourly purge empties replies older than 24 hours (they may hold personal data) and
    deletes ids older than 48; a redelivery in between is still refused, with nothing to send."""
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    stored = deliveries.encode(REPLIES)
    try:
        with engine.begin() as connection:
            for name, hours in (("fresh", 23), ("day", 25), ("old", 49)):
                deliveries.record(connection, name, now - timedelta(hours=hours), stored)
        assert deliveries.purge(engine, now) == 1
        with engine.connect() as connection:
            rows = dict(connection.execute(sa.select(deliveries_table.c.id, deliveries_table.c.replies)).all())
        assert rows == {"fresh": stored, "day": None}
        store = SqlStateStore(engine, TTL)
        try:
            with delivering("day"), pytest.raises(DuplicateDelivery) as refused:
                await store.load("telegram:1")
            assert refused.value.replies == []
        finally:
            await store.close()
    finally:
        engine.dispose()


async def test_an_erasure_takes_the_replies_stored_for_that_person(url: str) -> None:  # noqa: F811
    """Erasing a web chat conversation empties the replies stored with its messages (named after it),
    keeps their ids (a late resend is still not applied), and leaves another person's alone."""
    engine = create_db_engine(url)
    store = SqlStateStore(engine, TTL)
    try:
        for key in ("web:person01", "web:person012"):
            with delivering(f"{key}:m0000001"):
                _state, version = await store.load(key)
                deliveries.keep(REPLIES)
                await store.save(key, ConversationState(turns=1), version)
        await store.delete("web:person01")
        with engine.connect() as connection:
            rows = dict(connection.execute(sa.select(deliveries_table.c.id, deliveries_table.c.replies)).all())
        assert rows == {"web:person01:m0000001": None, "web:person012:m0000001": deliveries.encode(REPLIES)}
        with delivering("web:person01:m0000001"), pytest.raises(DuplicateDelivery) as refused:
            await store.load("web:person01")
        assert refused.value.replies == []
    finally:
        await store.close()
        engine.dispose()


def test_stored_replies_another_release_cannot_read_are_not_sent() -> None:
    """Replies stored in a shape this code does not know are dropped, never half-sent."""
    assert deliveries.decode(deliveries.encode(REPLIES)) == REPLIES
    for garbage in ("", "{", '{"t": 1}', "[1]", '[{"x": 1}]', '[{"t": "a", "b": [[1, 2, 3, 4]], "e": null}]'):
        assert deliveries.decode(garbage) == []


async def test_replies_of_a_turn_answered_in_an_outage_are_kept_and_written_back(sqlite_url: str) -> None:
    """With SQLite's write lock held elsewhere the turn is answered from memory; its redelivery gets
    the same replies from memory, and after the write-back from the database (a restarted worker)."""
    settings = Settings(database_url=sqlite_url, channels="web", secret_key="k" * 32)  # type: ignore[arg-type]
    inbound = Inbound("telegram", "77", "lam cccd o dau")
    app = build_app(settings)
    try:
        await app.conversations.handle(Inbound("telegram", "77", "xin chao"))  # the row exists
        database = make_url(sqlite_url).database
        assert database is not None
        locker = sqlite3.connect(database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, as a purge or a backup holds it
        try:
            with delivering("telegram:1:900"):
                first = await app.conversations.handle(inbound)
            assert isinstance(app.store, ResilientStore)
            assert app.store.unsaved == 1
            with delivering("telegram:1:900"), pytest.raises(DuplicateDelivery) as refused:
                await app.conversations.handle(inbound)
            assert refused.value.replies == first
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        for _ in range(100):
            if not app.store.unsaved:
                break
            await asyncio.sleep(0.1)
        assert app.store.unsaved == 0
    finally:
        await app.close()
    restarted = build_app(settings)
    try:
        with delivering("telegram:1:900"), pytest.raises(DuplicateDelivery) as refused:
            await restarted.conversations.handle(inbound)
        assert refused.value.replies == first
        state, _version = await restarted.store.load("telegram:77")
        assert state is not None
        assert state.turns == 2
    finally:
        await restarted.close()


# --- through the Telegram webhook, with the app as `trolyso serve` builds it ----------------------
def dies_after_saving(server: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is killed the moment its turn's state is committed."""
    store = server.core.conversations.store
    save = store.save

    async def save_then_die(*args: Any) -> int:
        await save(*args)
        raise asyncio.CancelledError  # as a SIGKILL would stop it: nothing after this line runs

    monkeypatch.setattr(store, "save", save_then_die)


def dies_before_sending(server: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is killed after the turn (state, usage events) and before a reply leaves."""
    ctx = server.web.state.channels[0].ctx
    converse = ctx.converse

    async def converse_then_die(inbound: Inbound) -> list[Outbound]:
        await converse(inbound)
        raise asyncio.CancelledError

    monkeypatch.setattr(ctx, "converse", converse_then_die)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
@pytest.mark.parametrize("death", [dies_after_saving, dies_before_sending], ids=lambda f: f.__name__)
async def test_a_worker_killed_between_save_and_send_loses_no_reply(
    lib: str, death: Callable[[Live, pytest.MonkeyPatch], None], fake: FakeTelegram, url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:  # fmt: skip
    """Telegram gets no answer from the dying worker and delivers the update again to the restarted
    one: the citizen gets the reply, the turn counts once, its usage events are never counted twice."""
    settings = settings_for(lib, fake, url, secret_key="k" * 32, usage_spool_path=str(tmp_path / "spool.jsonl"))
    usage = CollectingSink()
    key = conversation_key("telegram", "4242")
    async with serve_core(build_app(settings, usage=usage), fake) as dying:
        update = dying.updates.text("lam cccd o dau", 4242)
        death(dying, monkeypatch)
        assert await dying.say(update) == []  # nothing left the dying worker
        assert stored_turns(url, key) == 1
    events = [event.kind for k, _channel, event in usage.recorded if k == key]
    assert bool(events) == (death is dies_before_sending)
    monkeypatch.undo()
    async with serve_core(build_app(settings, usage=usage), fake) as restarted:
        replies = await restarted.say(update)
        assert any("Công an" in r.text for r in replies), replies
        assert stored_turns(url, key) == 1
        assert [event.kind for k, _channel, event in usage.recorded if k == key] == events
        fresh = await restarted.say(restarted.updates.text("lam cccd o dau", 5151) | {"update_id": 99_999})
        assert replies == fresh  # the stored reply is the one the turn gave, word for word
