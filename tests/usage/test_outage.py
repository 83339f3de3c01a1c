"""The database goes away in the middle of real conversations: replies keep coming, and once it is
back every event is in it exactly once, with daily counts to match.

The conversations run through Conversations and the real engine, with the state in SQLite (it is
the usage database that fails). The PostgreSQL test stops and restarts a private server of its
own; the SQLite test takes the events table away and puts it back.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import build_engine
from bot.conversations import Conversations, conversation_key
from bot.core.messages import Inbound, UsageEvent
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.storage.tables import usage_events
from bot.usage.fanout import FanOutSink
from bot.usage.pseudonym import person_id
from bot.usage.rows import local_day
from bot.usage.sql import SqlUsageStore
from bot.usage.writer import BatchedUsageSink
from tests.usage.helpers import (
    SECRET,
    CollectingSink,
    daily_from_events,
    make_sink,
    stored_daily,
    stored_events,
    wait_until,
)
from tests.usage.private_postgres import PrivatePostgres

MESSAGES = (
    Inbound("telegram", "", "lam giay khai sinh cho con o dau"),
    Inbound("telegram", "", payload="s:birth_registration:fees"),
    Inbound("telegram", "", "sđt 0912 345 678, làm căn cước cho con 14 tuổi"),
    Inbound("telegram", "", "xyzzy plugh"),
    Inbound("telegram", "", "/start"),
)
QUESTION = UsageEvent("question", "identity_card", 0.9, text="làm căn cước ở đâu", locale="vi")


class Stream:
    """Sends rounds of messages from a crowd of people and checks every message got a reply."""

    def __init__(self, conversations: Conversations, people: int) -> None:
        self.conversations = conversations
        self.people = people
        self.sent = 0

    async def round(self) -> None:
        async def one(n: int) -> None:
            template = MESSAGES[(n + self.sent) % len(MESSAGES)]
            inbound = Inbound(template.channel, f"user-{n}", template.text, template.payload)
            replies = await self.conversations.handle(inbound)
            assert replies, f"no reply to {inbound}"
            assert replies[0].text

        await asyncio.gather(*(one(n) for n in range(self.people)))
        self.sent += 1


def expected_events(collector: CollectingSink) -> Counter[tuple[str, str, str]]:
    """(person, kind, procedure) of every event the engine produced, as the database should hold them."""
    return Counter(
        (person_id(SECRET, channel, key[len(channel) + 1 :]), event.kind, event.procedure or "")
        for key, channel, event in collector.recorded
    )


def assert_all_stored_once(engine: sa.Engine, collector: CollectingSink) -> None:
    stored = stored_events(engine)
    assert len(stored) == len(collector.recorded)
    assert len({row.event_key for row in stored}) == len(stored)
    assert Counter((row.person, row.kind, row.procedure or "") for row in stored) == expected_events(
        collector
    )
    assert stored_daily(engine) == daily_from_events(engine)
    days = {local_day(row.ts) for row in stored}
    assert {key[0] for key in stored_daily(engine)} == days


async def run_outage(
    usage_engine: sa.Engine, state_url: str, spool: Path, outage_start: object, outage_end: object
) -> tuple[CollectingSink, BatchedUsageSink]:
    """Rounds before, during and after an outage; returns what was recorded and the sink."""
    state_engine = create_db_engine(state_url)
    upgrade(state_engine)
    state = SqlStateStore(state_engine, timedelta(hours=1))
    sink = make_sink(SqlUsageStore(usage_engine), spool, write_timeout=2.0, retry_max_seconds=0.1)
    collector = CollectingSink()
    stream = Stream(Conversations(build_engine(), state, FanOutSink(collector, sink)), people=40)
    await sink.start()
    try:
        for _ in range(3):
            await stream.round()
        await wait_until(lambda: sink.pending == 0)
        assert stored_events(usage_engine)  # some events made it before the outage

        await asyncio.to_thread(outage_start)  # type: ignore[arg-type]
        for _ in range(4):
            await stream.round()
            await asyncio.sleep(0.05)
        await wait_until(lambda: spool.exists() and spool.stat().st_size > 0)  # the outage was felt

        await asyncio.to_thread(outage_end)  # type: ignore[arg-type]
        for _ in range(3):
            await stream.round()
        await wait_until(lambda: sink.pending == 0, seconds=30)
    finally:
        await sink.stop()
        await state.close()
        state_engine.dispose()
    assert spool.read_text() == ""
    return collector, sink


@pytest.mark.slow
async def test_postgres_stopped_mid_stream_loses_and_doubles_nothing(
    private_postgres: PrivatePostgres, sqlite_url: str, tmp_path: Path
) -> None:
    """PostgreSQL killed mid-stream and restarted: replies never stop, every event is stored exactly once."""
    upgrade(private_postgres.url)
    usage_engine = create_db_engine(private_postgres.url)
    try:
        collector, _sink = await run_outage(
            usage_engine,
            sqlite_url,
            tmp_path / "usage-spool.jsonl",
            private_postgres.stop,
            private_postgres.start,
        )
        assert_all_stored_once(usage_engine, collector)
    finally:
        usage_engine.dispose()


async def test_sqlite_table_gone_mid_stream_loses_and_doubles_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The events table vanishing and coming back on SQLite: the same spool and replay, nothing lost."""
    usage_url = f"sqlite:///{tmp_path / 'usage' / 'usage.sqlite3'}"
    upgrade(usage_url)
    usage_engine = create_db_engine(usage_url)

    def take_away() -> None:
        with usage_engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE usage_events RENAME TO usage_events_away")

    def put_back() -> None:
        with usage_engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE usage_events_away RENAME TO usage_events")

    try:
        collector, _sink = await run_outage(
            usage_engine, sqlite_url, tmp_path / "usage-spool.jsonl", take_away, put_back
        )
        assert_all_stored_once(usage_engine, collector)
        with usage_engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(usage_events)).scalar_one() > 0
    finally:
        usage_engine.dispose()


@pytest.mark.postgres
async def test_a_write_stuck_on_a_postgres_lock_times_out_and_is_not_doubled(
    postgres_database: str, tmp_path: Path
) -> None:
    """A write blocked by a lock goes to the spool after its timeout; when the lock goes, the blocked
    write commits and the replay adds nothing: each event once, counts exact."""
    engine = create_db_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(usage_events.delete())
        connection.execute(sa.text("DELETE FROM usage_daily"))
    blocker = engine.connect()
    try:
        blocker.execute(sa.text("LOCK TABLE usage_daily IN ACCESS EXCLUSIVE MODE"))
        sink = make_sink(SqlUsageStore(engine), tmp_path / "usage-spool.jsonl", write_timeout=0.3)
        collector = CollectingSink()
        both = FanOutSink(collector, sink)
        for n in range(30):
            await both.record(conversation_key("zalo", str(n)), "zalo", [QUESTION])
        spool = tmp_path / "usage-spool.jsonl"
        await wait_until(lambda: spool.exists() and spool.stat().st_size > 0)
        blocker.rollback()  # the lock goes; the stuck write commits
        await wait_until(lambda: sink.pending == 0, seconds=30)
        await sink.stop()
        assert_all_stored_once(engine, collector)
    finally:
        blocker.close()
        engine.dispose()
