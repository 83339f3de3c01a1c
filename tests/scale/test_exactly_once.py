"""Exactly once across restarts and workers: a delivery id is stored with the state it produced."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.conversations import Conversations
from bot.core.engine import Engine
from bot.core.messages import Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.errors import ConflictError
from bot.storage import deliveries
from bot.storage.db import create_db_engine
from bot.storage.deliveries import DuplicateDelivery, delivering
from bot.storage.sql import SqlStateStore
from bot.storage.tables import channel_tokens, unsent_replies
from bot.storage.tables import deliveries as deliveries_table
from tests.channels.test_telegram import ScriptedEngine, serve, settings_for
from tests.fakes.telegram_api import FakeTelegram

TTL = timedelta(hours=1)
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def url(request: pytest.FixtureRequest, fresh_database: Callable[[str], str]) -> str:
    """A migrated database with no conversations, deliveries, stored channel tokens or kept replies."""
    found = fresh_database(request.param)
    engine = create_db_engine(found)
    with engine.begin() as connection:  # the session's PostgreSQL database keeps other tests' rows
        connection.execute(sa.delete(deliveries_table))
        connection.execute(sa.delete(channel_tokens))
        connection.execute(sa.delete(unsent_replies))
    engine.dispose()
    return found


@pytest.fixture
async def workers(url: str) -> AsyncIterator[list[SqlStateStore]]:
    """Two workers' stores over one database, each with its own engine and connections."""
    engines = [create_db_engine(url) for _ in range(2)]
    stores = [SqlStateStore(engine, TTL) for engine in engines]
    yield stores
    for store, engine in zip(stores, engines, strict=True):
        await store.close()
        engine.dispose()


async def test_a_delivery_seen_before_a_restart_is_refused_after_it(url: str) -> None:
    """The delivery id saved with the state survives a restart: the next load of it is refused."""
    engine = create_db_engine(url)
    store = SqlStateStore(engine, TTL)
    with delivering("telegram:1:42"):
        state, version = await store.load("telegram:7")
        saved = await store.save("telegram:7", ConversationState(turns=1), version)
    await store.close()
    engine.dispose()
    engine = create_db_engine(url)  # the restarted worker
    store = SqlStateStore(engine, TTL)
    try:
        with delivering("telegram:1:42"), pytest.raises(DuplicateDelivery):
            await store.load("telegram:7")
        with delivering("telegram:1:43"):
            state, version = await store.load("telegram:7")
        assert state is not None
        assert state.turns == 1
        assert version == saved
    finally:
        await store.close()
        engine.dispose()


async def test_state_and_seen_commit_together(workers: list[SqlStateStore]) -> None:
    """A save that loses the version race records no delivery; the retry records it with the state."""
    a, b = workers
    first = await a.save("zalo:1", ConversationState(turns=1), 0)
    with delivering("zalo:app:m:1"):
        _state, version = await b.load("zalo:1")
    await a.save("zalo:1", ConversationState(turns=2), first)  # another message got in first
    with delivering("zalo:app:m:1"):
        with pytest.raises(ConflictError, match="changed by another worker"):
            await b.save("zalo:1", ConversationState(turns=9), version)
        _state, version = await b.load("zalo:1")  # not recorded: the retry goes ahead
        assert await b.save("zalo:1", ConversationState(turns=3), version) == first + 2
    with delivering("zalo:app:m:1"), pytest.raises(DuplicateDelivery):
        await a.load("zalo:1")


async def test_a_delivery_raced_by_two_workers_is_saved_by_one(workers: list[SqlStateStore]) -> None:
    """Both workers load the same update at once; one save commits, the other hears it was a duplicate."""
    results = []
    for new_conversation in (True, False):
        key = f"telegram:{new_conversation}"
        first = None
        if not new_conversation:
            first = await workers[0].save(key, ConversationState(turns=1), 0)
        with delivering(f"telegram:1:{new_conversation}"):
            loaded = [await store.load(key) for store in workers]
            outcomes = []
            for store, (_state, version) in zip(workers, loaded, strict=True):
                try:
                    outcomes.append(await store.save(key, ConversationState(turns=5), version))
                except DuplicateDelivery:
                    outcomes.append("duplicate")
                except ConflictError:  # the version check may speak first; the retry then sees it
                    outcomes.append("conflict")
        results.append((first, outcomes))
        with delivering(f"telegram:1:{new_conversation}"), pytest.raises(DuplicateDelivery):
            await workers[1].load(key)
    (_none, new), (first, old) = results
    assert isinstance(new[0], int)
    assert new[0] > 0
    assert new[1] in ("duplicate", "conflict")
    assert first is not None
    assert old[0] == first + 1
    assert old[1] in ("duplicate", "conflict")


async def test_the_same_update_to_two_workers_is_answered_once(
    workers: list[SqlStateStore], engine: Engine
) -> None:
    """The same message handled by two workers' conversation services at once: one answer, one turn."""
    services = [Conversations(engine, store) for store in workers]
    inbound = Inbound("telegram", "99", "cccd")

    async def handle(service: Conversations) -> object:
        with delivering("telegram:1:500"):
            try:
                return await service.handle(inbound)
            except DuplicateDelivery:
                return "duplicate"

    answers = await asyncio.gather(*(handle(s) for s in services))
    assert sorted(map(type, answers), key=str) == sorted([list, str], key=str)
    state, _version = await workers[0].load("telegram:99")
    assert state is not None
    assert state.turns == 1


async def test_old_deliveries_are_purged_after_the_platforms_stop_retrying(url: str) -> None:
    """Ids older than 48 hours go; newer ones stay."""
    now = record_old_and_new(url)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            assert not deliveries.record(connection, "new", now)
        assert deliveries.purge(engine, now) == 1
    finally:
        engine.dispose()
    assert stored_deliveries(url) == ["new"]


def test_db_purge_forgets_old_deliveries_too(url: str, tmp_path: Path) -> None:
    """`trolyso db purge` (an admin's or cron's, beside the server's hourly job) forgets ids older
    than 48 hours and keeps newer ones."""
    record_old_and_new(url)
    env = {**os.environ, "TROLYSO_DATABASE_URL": url, "TROLYSO_USAGE_SPOOL_PATH": str(tmp_path / "spool")}
    done = subprocess.run([sys.executable, "-m", "bot", "db", "purge"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "forgot 1 message ids older than 2 days" in done.stdout
    assert stored_deliveries(url) == ["new"]


def record_old_and_new(url: str) -> datetime:
    """Two delivery ids: "old" seen 49 hours ago, "new" 47; returns now."""
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            deliveries.record(connection, "old", now - timedelta(hours=49))
            deliveries.record(connection, "new", now - timedelta(hours=47))
    finally:
        engine.dispose()
    return now


def read_rows(url: str, sql: str, **params: object) -> list[sa.Row[Any]]:
    """The rows ``sql`` reads from the database at ``url``, on an engine of its own."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params).all())
    finally:
        engine.dispose()


def stored_deliveries(url: str) -> list[str]:
    return [row.id for row in read_rows(url, "SELECT id FROM deliveries")]


def stored_turns(url: str, key: str) -> int:
    """How many turns the stored conversation ``key`` counts (0: none stored)."""
    found = read_rows(url, "SELECT state FROM conversations WHERE key = :k", k=key)
    return ConversationState.model_validate_json(found[0].state).turns if found else 0


# --- through the Telegram webhook --------------------------------------------------------------
@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.close()


class CountingEngine(ScriptedEngine):
    """A scripted engine that counts the turns it ran."""

    def __init__(self, *replies: Outbound) -> None:
        super().__init__(*replies)
        self.turns = 0

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn:
        self.turns += 1
        return await super().handle(inbound, state)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_an_update_redelivered_after_a_restart_is_processed_once(
    lib: str, fake: FakeTelegram, url: str
) -> None:
    """Telegram delivers an update, the server restarts, Telegram delivers it again: the turn runs
    once, and the redelivery gets the stored reply (the first answer may never have left)."""
    engine = CountingEngine(Outbound("got {text}"))
    settings = settings_for(lib, fake, url)
    async with serve(settings, engine, fake) as first:
        update = first.updates.text("xin chào", 4242)
        assert [o.text for o in await first.say(update)] == ["got xin chào"]
    async with serve(settings, engine, fake) as restarted:
        assert [o.text for o in await restarted.say(update)] == ["got xin chào"]
        assert engine.turns == 1
        follow = restarted.updates.text("còn nữa", 4242)
        follow["update_id"] = update["update_id"] + 1
        assert [o.text for o in await restarted.say(follow)] == ["got còn nữa"]


async def test_the_same_update_posted_to_two_servers_is_processed_once(fake: FakeTelegram, url: str) -> None:
    """Two workers behind one proxy each get the update (a retry after a timeout): one saved turn;
    its reply at least once, at most twice (the second worker sends the stored one again)."""
    engine = ScriptedEngine(Outbound("got {text}"))
    settings = settings_for("aiogram", fake, url)
    async with serve(settings, engine, fake) as one, serve(settings, engine, fake) as two:
        update = one.updates.text("cccd", 5151)
        before = len(fake.sent)
        responses = await asyncio.gather(one.post(update), two.post(update))
        assert [r.status_code for r in responses] == [200, 200]
        sent = [call.params["text"] for call in fake.sent[before:]]
        assert sent in (["got cccd"], ["got cccd", "got cccd"])
        assert stored_deliveries(url) == [f"telegram:123456:{update['update_id']}"]


# --- through the Zalo webhook ------------------------------------------------------------------
async def test_a_zalo_event_retried_after_a_restart_is_handled_once(url: str, engine: Engine) -> None:
    """Zalo retries an event after the server restarted (same msg_id, same body): the turn is not
    run again; the replies stored with it are sent again."""
    from tests.channels.zalo_harness import USER, fake_zalo, serving

    async with fake_zalo() as zalo:
        async with serving(zalo, url, engine) as bot:
            event = bot.zalo.event(USER, "lam cccd o dau")
            assert (await bot.zalo.post(event)).status_code == 200
            await bot.channel.idle()
            first = len(zalo.sent)
            assert first > 0
        async with serving(zalo, url, engine) as restarted:
            assert (await restarted.zalo.post(event)).status_code == 200
            await restarted.channel.idle()
            assert [c.body for c in zalo.sent[first:]] == [c.body for c in zalo.sent[:first]]
            assert stored_turns(url, f"zalo:{USER}") == 1
            assert await restarted.say("xin chao")  # a new message is answered as ever
