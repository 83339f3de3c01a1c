"""Turns that run on the state a worker saved last, without reading it again (bot.storage.speculative).

Two workers share one database; each has the application's store (ResilientStore over SQL). The
dangerous cases come first: a stale cache must never cost a message, repeat a write outside the
state, let a redelivered update through, or bring back a conversation the person erased.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.conversations import Conversations, conversation_key
from bot.core.messages import Inbound, Outbound
from bot.core.state import ConversationState, FlowState
from bot.core.turn import Turn
from bot.reminders.sql import SqlReminderBook
from bot.storage import pg
from bot.storage.db import create_db_engine, upgrade
from bot.storage.deliveries import DuplicateDelivery, delivering
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.tables import conversations as conversations_table
from bot.storage.tables import deliveries, reminders

TTL = timedelta(hours=72)
KEY = conversation_key("telegram", "1001")


class RemindingEngine:
    """Appends each message to the history; "remind" also writes outside the state — a reminder
    named after the turn number the state says this is, so a turn run on a stale state leaves a
    row with the wrong number."""

    def __init__(self, book: SqlReminderBook) -> None:
        self.book = book
        self.runs = 0

    async def handle(self, inbound: Inbound, state: ConversationState | None = None, *, owned: bool = False) -> Turn:
        self.runs += 1
        state = (state or ConversationState()).model_copy(deep=True)
        state.turns += 1
        state.flow = state.flow or FlowState(flow="echo", step="echo")
        state.flow.history.append(inbound.text or "")
        if inbound.text == "remind":
            await self.book.add("telegram", "1001", f"turn{state.turns}", date(2027, 1, 1), "vi", date(2026, 12, 1))
        return Turn([Outbound(f"#{state.turns} {inbound.text}")], state)


class Worker:
    def __init__(self, engine: sa.Engine) -> None:
        self.store = ResilientStore(SqlStateStore(engine, TTL))
        self.engine = RemindingEngine(SqlReminderBook(engine))
        self.conversations = Conversations(self.engine, self.store)

    async def say(self, text: str) -> list[Outbound]:
        return await self.conversations.handle(Inbound("telegram", "1001", text))


@pytest.fixture
def engines(database_url: str) -> Iterator[list[sa.Engine]]:
    pair = [create_db_engine(database_url), create_db_engine(database_url)]
    with pair[0].begin() as connection:  # the PostgreSQL database is the session's: start clean
        connection.execute(reminders.delete())
        connection.execute(deliveries.delete().where(deliveries.c.id.like("telegram:bot:%")))
    yield pair
    for engine in pair:
        engine.dispose()


@pytest.fixture
async def workers(engines: list[sa.Engine]) -> Any:
    pair = [Worker(engine) for engine in engines]
    yield pair
    for worker in pair:
        await worker.store.close()


async def stored(engine: sa.Engine) -> tuple[ConversationState | None, int]:
    database = SqlStateStore(engine, TTL)
    try:
        return await database.load(KEY)
    finally:
        await database.close()


def reminder_flows(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(sa.select(reminders.c.flow)).scalars())


async def test_a_stale_cache_costs_no_message(workers: list[Worker], engines: list[sa.Engine]) -> None:
    """A's cache misses B's turn; A's next turn runs again on B's state, and every message is kept in order."""
    a, b = workers
    assert await a.say("m1") == [Outbound("#1 m1")]
    assert await b.say("m2") == [Outbound("#2 m2")]
    assert await a.say("m3") == [Outbound("#3 m3")]  # not "#2": the stale run's reply was never sent
    assert a.store.stale == 1
    state, _version = await stored(engines[0])
    assert state is not None
    assert state.flow is not None
    assert state.flow.history == ["m1", "m2", "m3"]


async def test_a_write_outside_the_state_waits_for_the_state_to_be_confirmed(
    workers: list[Worker], engines: list[sa.Engine]
) -> None:
    """On a stale cache, the reminder is not written from the stale turn: the turn runs again first."""
    a, b = workers
    await a.say("m1")
    await b.say("m2")
    assert await a.say("remind") == [Outbound("#3 remind")]
    assert reminder_flows(engines[0]) == ["turn3"]  # never "turn2", from the stale state
    assert a.engine.runs == 3  # m1, the stale run (stopped at the write), the run on B's state
    assert a.store.stale == 1


async def test_a_fresh_cache_writes_after_one_check(workers: list[Worker], engines: list[sa.Engine]) -> None:
    """On a cache nobody else moved, the turn runs once: the check before the write passes."""
    a, _b = workers
    await a.say("m1")
    assert await a.say("remind") == [Outbound("#2 remind")]
    assert reminder_flows(engines[0]) == ["turn2"]
    assert (a.engine.runs, a.store.reused, a.store.stale) == (2, 1, 0)


async def test_a_redelivered_update_is_refused_on_a_cached_state(
    workers: list[Worker], engines: list[sa.Engine]
) -> None:
    """B handled update 42; it reaches A too, whose cache does not know: nothing is answered or written twice."""
    a, b = workers
    await a.say("m1")
    with delivering("telegram:bot:42"):
        await b.say("remind")
    for text in ("remind", "plain"):  # with a write outside the state, and without one
        with delivering("telegram:bot:42"), pytest.raises(DuplicateDelivery):
            await a.say(text)
        await a.say("m")  # the cache is current again
        with delivering("telegram:bot:42"), pytest.raises(DuplicateDelivery):
            await b.say(text)
    assert reminder_flows(engines[0]) == ["turn2"]


async def test_an_erased_conversation_never_comes_back_from_a_cache(
    workers: list[Worker], engines: list[sa.Engine]
) -> None:
    """The person erases their data on B and starts again there; A's cached copy of the old
    conversation cannot overwrite the new one, even though both started counting from their first turn."""
    a, b = workers
    await a.say("secret")
    await b.say("more")
    await a.say("and more")  # A's cache: three turns of the old conversation
    await b.conversations.forget("telegram", "1001")  # the right to erase
    for text in ("new1", "new2", "new3"):  # as many turns as A's copy has
        await b.say(text)
    assert await a.say("new4") == [Outbound("#4 new4")]
    state, _version = await stored(engines[0])
    assert state is not None
    assert state.flow is not None
    assert state.flow.history == ["new1", "new2", "new3", "new4"]


class CountedStatements(pg.PgStates):
    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self.statements: list[str] = []

    async def fetchrow(self, statement: str, *args: Any) -> Any:
        self.statements.append(statement.split()[0])
        return await super().fetchrow(statement, *args)


@pytest.mark.postgres
async def test_a_turn_on_the_cached_state_is_one_round_trip(postgres_database: str) -> None:
    """On PostgreSQL the first turn loads and saves; every later turn on the same worker only saves."""
    engine = create_db_engine(postgres_database)
    sql = SqlStateStore(engine, TTL)
    counted = CountedStatements(pg.conninfo(engine))
    sql._pg = counted
    store = ResilientStore(sql)
    conversations = Conversations(RemindingEngine(SqlReminderBook(engine)), store)
    try:
        await store.delete(KEY)
        for n in range(4):
            await conversations.handle(Inbound("telegram", "1001", f"m{n}"))
        assert counted.statements == ["SELECT", "INSERT", "UPDATE", "UPDATE", "UPDATE"]  # a load, then one save per turn
        assert store.reused == 3
    finally:
        await store.close()
        engine.dispose()


async def test_a_person_whose_messages_alternate_between_workers_stops_costing_reruns(
    workers: list[Worker], engines: list[sa.Engine]
) -> None:
    """Behind a proxy that is not sticky, each worker finds its copy stale once, then reads the row
    every turn for that person (a rerun costs more than the read); nothing is lost either way."""
    a, b = workers
    sent = []
    for n in range(10):
        sent.append(f"m{n}")
        assert await (a if n % 2 == 0 else b).say(f"m{n}") == [Outbound(f"#{n + 1} m{n}")]
    assert (a.store.stale, b.store.stale) == (1, 1)
    assert a.engine.runs + b.engine.runs == len(sent) + 2
    state, _version = await stored(engines[0])
    assert state is not None
    assert state.flow is not None
    assert state.flow.history == sent


async def test_one_worker_alone_never_reads_the_row_again(workers: list[Worker]) -> None:
    """With nobody else talking to this person, every turn after the first runs on the cached state."""
    a, _b = workers
    for n in range(6):
        await a.say(f"m{n}")
    assert (a.store.reused, a.store.stale, a.engine.runs) == (5, 0, 6)


async def test_saves_the_database_lost_in_its_crash_are_written_back(sqlite_url: str) -> None:
    """State writes do not wait for the disk, so a crashed server can come back without this
    worker's last save. The turns answered from memory during the outage follow from that save:
    they are written over what the database kept, not dropped as if another worker had won."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    store = ResilientStore(SqlStateStore(engine, TTL, busy_timeout_ms=50), retry_after=0)
    conversations = Conversations(RemindingEngine(SqlReminderBook(engine)), store)
    say = lambda text: conversations.handle(Inbound("telegram", "1001", text))  # noqa: E731
    try:
        await say("m1")
        with engine.connect() as connection:
            kept = connection.execute(sa.select(conversations_table).where(conversations_table.c.key == KEY)).one()
        await say("m2")  # the save the crash will lose
        database = make_url(sqlite_url).database
        assert database is not None
        down = sqlite3.connect(database, isolation_level=None)
        down.execute("BEGIN IMMEDIATE")  # the database stops taking writes: the outage
        down.execute("UPDATE conversations SET state = ?, version = ?, updated_at = ? WHERE key = ?",
                     (kept.state, kept.version, kept.updated_at, KEY))  # recovery left it at m1  # fmt: skip
        try:
            assert await say("m3") == [Outbound("#3 m3")]  # from memory
            assert await say("m4") == [Outbound("#4 m4")]
        finally:
            down.execute("COMMIT")
            down.close()
        assert await store.flush() == 0
        assert store.dropped == 0
        state, version = await stored(engine)
        assert state is not None
        assert state.flow is not None
        assert state.flow.history == ["m1", "m2", "m3", "m4"]
        assert version == kept.version + 1
    finally:
        await store.close()
        engine.dispose()


async def test_another_workers_newer_turn_still_wins_a_write_back(sqlite_url: str) -> None:
    """The exception above is narrow: a row that moved on after this worker's last save (another
    worker's turn, a new conversation after an erasure) wins, and the turns from memory are dropped."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    store = ResilientStore(SqlStateStore(engine, TTL, busy_timeout_ms=50), retry_after=0)
    other = ResilientStore(SqlStateStore(engine, TTL))
    conversations = Conversations(RemindingEngine(SqlReminderBook(engine)), store)
    try:
        await conversations.handle(Inbound("telegram", "1001", "m1"))
        await other.delete(KEY)
        await other.save(KEY, ConversationState(turns=1), 0)  # a new conversation, at a random version
        database = make_url(sqlite_url).database
        assert database is not None
        down = sqlite3.connect(database, isolation_level=None)
        down.execute("BEGIN IMMEDIATE")
        try:
            await conversations.handle(Inbound("telegram", "1001", "from memory"))
        finally:
            down.execute("COMMIT")
            down.close()
        await store.flush()
        assert store.dropped == 1
        state, _version = await stored(engine)
        assert state == ConversationState(turns=1)
    finally:
        await store.close()
        await other.close()
        engine.dispose()


async def tell(worker: Worker, user: str, text: str, channel: str = "telegram") -> list[Outbound]:
    return await worker.conversations.handle(Inbound(channel, user, text))


async def history(engine: sa.Engine, channel: str, user: str) -> list[str]:
    database = SqlStateStore(engine, TTL)
    try:
        state, _version = await database.load(conversation_key(channel, user))
    finally:
        await database.close()
    assert state is not None
    assert state.flow is not None
    return state.flow.history


async def spread(workers: list[Worker], people: list[str], rounds: range, *, sticky: bool,
                 channel: str = "telegram") -> None:  # fmt: skip
    """Each person says one message a round, to a worker chosen as a proxy would: always the same
    one (sticky), or the other one each time (a shared socket or round robin, at its worst)."""
    for turn in rounds:
        for n, person in enumerate(people):
            worker = workers[n % 2 if sticky else (n + turn) % 2]
            assert await tell(worker, person, f"m{turn}", channel) == [Outbound(f"#{turn + 1} m{turn}")]


async def test_behind_a_proxy_that_is_not_sticky_a_worker_stops_betting_on_its_copies(
    workers: list[Worker], engines: list[sa.Engine]
) -> None:
    """Forty people whose messages alternate between two workers: a worker that finds its copies
    stale a few times reads every person's row from then on, instead of running one turn twice per
    person (80 reruns here without it). Every message is answered once, in order."""
    a, b = workers
    people = [f"p{n}" for n in range(40)]
    await spread(workers, people, range(4), sticky=False)
    assert a.store.stale + b.store.stale <= 10, (a.store.stale, b.store.stale)
    assert a.engine.runs + b.engine.runs == 4 * len(people) + a.store.stale + b.store.stale
    for person in people[:3]:
        assert await history(engines[0], "telegram", person) == ["m0", "m1", "m2", "m3"]


async def test_behind_a_sticky_proxy_every_later_turn_runs_on_the_cached_copy(workers: list[Worker]) -> None:
    a, b = workers
    people = [f"p{n}" for n in range(40)]
    await spread(workers, people, range(4), sticky=True)
    assert (a.store.stale, b.store.stale) == (0, 0)
    assert a.store.reused + b.store.reused == 3 * len(people)


async def test_a_worker_bets_again_once_the_proxy_is_made_sticky(workers: list[Worker]) -> None:
    """The loads it makes meanwhile show whether its copies would have been current: once they
    are (the proxy routes each person to one worker now), the turns run on the copies again."""
    a, _b = workers
    people = [f"p{n}" for n in range(40)]
    await spread(workers, people, range(4), sticky=False)
    reruns, reused = a.store.stale, a.store.reused
    await spread(workers, people, range(4, 12), sticky=True)
    assert a.store.stale == reruns  # the first sticky turns read the row: no rerun on the way back
    await spread(workers, people, range(12, 14), sticky=True)
    assert a.store.reused - reused >= 20  # the last round: every one of its 20 people on the copy
    assert a.store.stale == reruns


async def test_one_channel_spread_over_workers_leaves_another_channels_bets_alone(workers: list[Worker]) -> None:
    """Telegram's updates reach any worker; a web chat behind a sticky proxy still saves its reads."""
    a, _b = workers
    await spread(workers, [f"p{n}" for n in range(40)], range(4), sticky=False)
    reused = a.store.reused
    for n in range(5):
        await tell(a, "visitor", f"m{n}", channel="web")
    assert a.store.reused - reused == 4
