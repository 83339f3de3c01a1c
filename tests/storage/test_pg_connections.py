"""The PostgreSQL state store's own connections (bot.storage.pg): bounded, replaced when broken, closed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.core.state import ConversationState
from bot.storage.db import create_db_engine
from bot.storage.pg import PgStates, connect_timeout, conninfo, errors
from bot.storage.sql import SqlStateStore

KEY = "telegram:1001"


def test_the_dsn_drops_libpq_only_options_and_names_the_connections() -> None:
    """connect_timeout becomes the connect timeout, not a server setting; the connections get a name."""
    engine = create_db_engine("postgresql+psycopg://u:p@db.example:5433/trolyso?connect_timeout=2&sslmode=require")
    try:
        dsn = conninfo(engine)
        assert dsn == "postgresql://u:p@db.example:5433/trolyso?application_name=trolyso-state&sslmode=require"
        assert connect_timeout(engine) == 2.0
    finally:
        engine.dispose()
    named = create_db_engine("postgresql://u@h/db?application_name=worker-2&connect_timeout=ten")
    try:
        assert conninfo(named) == "postgresql://u@h/db?application_name=worker-2"
        assert connect_timeout(named) == 3.0  # unreadable: the default
    finally:
        named.dispose()


def test_a_wait_for_a_connection_that_times_out_is_a_storage_error() -> None:
    """Waiting too long for a free connection counts among the storage errors (the outage cache takes over)."""
    assert issubclass(TimeoutError, errors())
    assert issubclass(ConnectionRefusedError, errors())


@pytest.fixture
def admin(postgres_database: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(postgres_database)
    yield engine
    engine.dispose()


@pytest.fixture
def name() -> str:
    """An application_name of this test's own, to find its connections in pg_stat_activity."""
    return f"trolyso-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def connections(postgres_database: str, name: str) -> AsyncIterator[PgStates]:
    engine = create_db_engine(f"{postgres_database}&application_name={name}")
    states = PgStates(conninfo(engine), max_size=3, timeout=2.0)
    engine.dispose()
    yield states
    await states.close()


def backends(admin: sa.Engine, name: str) -> int:
    with admin.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %(n)s"
        return int(connection.exec_driver_sql(query, {"n": name}).scalar_one())


async def until(check: Callable[[], bool], seconds: float = 3.0) -> None:
    """Poll ``check()`` until it is true (the server ends a backend a moment after its client goes)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.postgres
async def test_connections_are_bounded_reused_and_closed(connections: PgStates, admin: sa.Engine, name: str) -> None:
    """20 statements at once share at most max_size connections; close() ends them; the store reopens."""
    rows = await asyncio.gather(*(connections.fetchrow("SELECT pg_backend_pid() FROM pg_sleep(0.05)") for _ in range(20)))
    pids = {row[0] for row in rows}
    assert len(rows) == 20
    assert 1 <= len(pids) <= 3
    assert backends(admin, name) == len(pids)
    await connections.close()
    await until(lambda: backends(admin, name) == 0)
    assert (await connections.fetchrow("SELECT 1"))[0] == 1  # usable again, on a new connection


@pytest.mark.postgres
async def test_a_failed_statement_does_not_spoil_the_next(connections: PgStates) -> None:
    """A statement the server refuses leaves the next one working (its connection is replaced)."""
    import asyncpg  # type: ignore[import-untyped]

    with pytest.raises(asyncpg.DivisionByZeroError):
        await connections.fetchrow("SELECT 1 / 0")
    assert (await connections.fetchrow("SELECT 2"))[0] == 2


@pytest.mark.postgres
async def test_a_cancelled_statement_gives_its_slot_back(connections: PgStates) -> None:
    """A turn cancelled mid-statement does not keep its connection slot: the next turns get one."""
    busy = [asyncio.create_task(connections.fetchrow("SELECT pg_backend_pid() FROM pg_sleep(5)")) for _ in range(3)]
    await asyncio.sleep(0.3)
    with pytest.raises(TimeoutError):  # all three slots taken: the fourth waits, then gives up
        async with asyncio.timeout(0.3):
            await connections.fetchrow("SELECT 1")
    for task in busy:
        task.cancel()
    await asyncio.gather(*busy, return_exceptions=True)
    async with asyncio.timeout(2):
        rows = await asyncio.gather(*(connections.fetchrow("SELECT 1") for _ in range(3)))
    assert [row[0] for row in rows] == [1, 1, 1]


@pytest.mark.postgres
async def test_waiting_longer_than_the_timeout_for_a_connection_raises(postgres_database: str) -> None:
    """With every connection busy, the next statement gives up after the store's timeout."""
    engine = create_db_engine(postgres_database)
    states = PgStates(conninfo(engine), max_size=1, timeout=0.3)
    engine.dispose()
    holder = asyncio.create_task(states.fetchrow("SELECT pg_sleep(1)"))
    await asyncio.sleep(0.2)
    try:
        with pytest.raises(TimeoutError):
            await states.fetchrow("SELECT 1")
    finally:
        await holder
        await states.close()


@pytest.mark.postgres
async def test_connections_the_server_ended_are_replaced(postgres_database: str, admin: sa.Engine, name: str) -> None:
    """After the server ends the store's idle connections (a restart, an idle timeout), the next turn just works."""
    engine = create_db_engine(f"{postgres_database}&application_name={name}")
    store = SqlStateStore(engine, timedelta(hours=1))
    try:
        saved = await store.save(KEY, ConversationState(turns=1), 0)
        assert backends(admin, name) == 1
        with admin.connect() as connection:
            ended = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %(n)s"
            connection.exec_driver_sql(ended, {"n": name})
        await until(lambda: backends(admin, name) == 0)
        await asyncio.sleep(0.1)  # the client reads the server's goodbye
        state, version = await store.load(KEY)
        assert (state, version) == (ConversationState(turns=1), saved)
    finally:
        await store.close()
        engine.dispose()
