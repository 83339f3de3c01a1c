"""The per-turn statements on PostgreSQL: one round trip to load, one to save, on kept connections.

A turn's own cost is ~0.15 ms; what PostgreSQL adds should be the network and the server, not the
client. So the hot path skips SQLAlchemy (its statement and result machinery costs more than the
query on loopback) and the thread hop of a sync driver: asyncpg, whose protocol is compiled and
costs half of psycopg 3 async's CPU per statement (docs/benchmarks.md), with its statements
prepared once per connection. The connections wait in a plain free list under a semaphore:
psycopg_pool's and asyncpg's own pools cost more than the query (a checkout through
psycopg_pool ~0.05 ms of CPU under load; asyncpg's pool resets each connection with a round trip).

- ``load`` is one SELECT that also says whether the platform delivery under way was seen already.
- ``save`` is one statement: the conditional UPDATE (or, for a new conversation, an INSERT that
  may replace only an expired row) and the delivery id, together — the state and "seen" commit
  atomically. A statement outside a transaction block commits on its own: no BEGIN, no COMMIT.
  With a delivery, when it loses the version check it returns the row as it is, for the turn to
  run again on.
- Most turns need only the save: the caching store (bot.storage.resilient) runs a person's next
  turn on the state this worker saved last (bot.storage.speculative).
- These connections run with ``synchronous_commit = off``: the commit returns before the WAL
  reaches the disk. A crash of the *database server* can lose the last ~0.6 s (3 × wal_writer_delay)
  of conversation state — the citizen is asked their last answer again — but never corrupts it,
  and nothing else uses these connections: help requests, accounts and erasures go through the
  SQLAlchemy engine, usage events through their own asyncpg connection (bot.usage.sql), with full
  durability.

The connections belong to the event loop that opened them: :meth:`PgStates.close` (called by
``SqlStateStore.close``, which the application calls on shutdown) closes them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import sqlalchemy as sa

Row = tuple[str | None, int, datetime | None]
"""A conversation's row as read: state (JSON), version, updated_at."""

# Without a platform delivery (the web chat, the terminal) there is nothing to check or record
# beyond the row, and the plain statements cost the server less: on loopback the joined load took
# 0.03 ms more than the plain one, the CTE save 0.01 ms more (docs/benchmarks.md).
LOAD_PLAIN = "SELECT state, version, updated_at, false FROM conversations WHERE key = $1"
LOAD = """
SELECT c.state, c.version, c.updated_at, EXISTS (SELECT 1 FROM deliveries WHERE id = $2)
FROM (SELECT 1) AS one LEFT JOIN conversations AS c ON c.key = $1
"""

# Parameters of every save: $1 key, $2 state, $3 now, $4 the expected version (UPDATE) or the
# expiry cutoff (INSERT), $5 the delivery id, $6 the turn's replies stored with it (bot.storage.deliveries). Each returns one row: the new version (NULL, or no
# row, on a conflict), whether the delivery was seen before, and — with a delivery, on a conflict
# — the row as it is (state, version, updated_at), so the turn runs again on it without another
# round trip to load it. That row comes from the statement's snapshot: if a concurrent save
# committed while this one waited for the row lock, it still shows the version this save
# expected, and the caller ignores it (bot.storage.sql). Without a delivery (the web chat) the
# plain statements cost the server less (~0.015 ms a turn, docs/benchmarks.md) and a conflict,
# rare once a person's turns are known to reach several workers (bot.storage.resilient), loads.
#
# A new conversation starts at a random version and an expired one replaced keeps counting: a
# version never repeats for a key, so a state cached before an erasure can never match the new
# conversation's (bot.storage.speculative).
UPDATE_PLAIN = """
UPDATE conversations SET state = $2, version = version + 1, updated_at = $3
WHERE key = $1 AND version = $4 RETURNING version, false, NULL::text, NULL::int, NULL::timestamptz
"""
# A new conversation may replace only an expired row.
INSERT_PLAIN = """
INSERT INTO conversations AS c (key, state, version, updated_at)
VALUES ($1, $2, (1 + floor(random() * 1000000000))::int, $3)
ON CONFLICT (key) DO UPDATE SET state = excluded.state, version = c.version + 1, updated_at = excluded.updated_at
WHERE c.updated_at < $4
RETURNING version, false, NULL::text, NULL::int, NULL::timestamptz
"""

# With a delivery, the state and "seen" are written by one statement. Its final SELECT sees the
# snapshot the statement started with: "seen" means another turn recorded this delivery before
# us. A row lock serialises two savers of one conversation, and a delivery belongs to one
# conversation, so the claim cannot conflict after `upd`.
UPDATE = """
WITH upd AS (
    UPDATE conversations SET state = $2, version = version + 1, updated_at = $3
    WHERE key = $1 AND version = $4 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE id = $5)
    RETURNING version
),
claim AS (
    INSERT INTO deliveries (id, seen_at, replies) SELECT $5, $3, $6 FROM upd ON CONFLICT DO NOTHING RETURNING 1
)
SELECT u.version, EXISTS (SELECT 1 FROM deliveries WHERE id = $5), c.state, c.version, c.updated_at
FROM (SELECT 1) AS one LEFT JOIN upd AS u ON true
LEFT JOIN conversations AS c ON u.version IS NULL AND c.key = $1
"""
INSERT = """
WITH upd AS (
    INSERT INTO conversations AS c (key, state, version, updated_at)
    SELECT $1, $2, (1 + floor(random() * 1000000000))::int, $3
    WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE id = $5)
    ON CONFLICT (key) DO UPDATE SET state = excluded.state, version = c.version + 1, updated_at = excluded.updated_at
    WHERE c.updated_at < $4
    RETURNING version
),
claim AS (
    INSERT INTO deliveries (id, seen_at, replies) SELECT $5, $3, $6 FROM upd ON CONFLICT DO NOTHING RETURNING 1
)
SELECT u.version, EXISTS (SELECT 1 FROM deliveries WHERE id = $5), c.state, c.version, c.updated_at
FROM (SELECT 1) AS one LEFT JOIN upd AS u ON true
LEFT JOIN conversations AS c ON u.version IS NULL AND c.key = $1
"""

# libpq's connect_timeout has no place in asyncpg's DSN (it would be sent as a server setting);
# it becomes the connect timeout instead.
_LIBPQ_ONLY = ("connect_timeout",)


def conninfo(engine: sa.Engine, name: str = "trolyso-state") -> str:
    """The DSN for the engine's URL (``postgresql+psycopg://…`` → ``postgresql://…``).

    Unless the URL names one, the connections are called ``name`` in ``pg_stat_activity``."""
    url = engine.url.set(drivername="postgresql").difference_update_query(_LIBPQ_ONLY)
    if "application_name" not in url.query:
        url = url.update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False)


def connect_timeout(engine: sa.Engine, default: float = 3.0) -> float:
    """The URL's ``connect_timeout`` (seconds), if it sets one below ``default``."""
    given = engine.url.query.get("connect_timeout")
    try:
        return min(default, float(given)) if isinstance(given, str) and float(given) > 0 else default
    except ValueError:
        return default


def errors() -> tuple[type[Exception], ...]:
    """What a failing server, network or statement raises here (for :class:`StorageError`)."""
    import asyncpg  # type: ignore[import-untyped]  # no type information shipped; used through Any

    # OSError: refused or reset connections; TimeoutError: connecting, or waiting for a connection.
    return asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, TimeoutError


class PgStates:
    """Up to ``max_size`` connections, opened on first use inside the running event loop."""

    def __init__(self, dsn: str, max_size: int = 10, timeout: float = 3.0) -> None:
        self.dsn = dsn
        self.max_size = max_size
        self.timeout = timeout
        self._free: list[Any] = []
        self._slots: asyncio.Semaphore | None = None
        self._opened = 0  # bumped by close(): a connection out during a close is not kept after it

    async def load(self, key: str, delivery: str | None) -> tuple[str | None, int, datetime | None, bool]:
        row = await (
            self.fetchrow(LOAD_PLAIN, key) if delivery is None else self.fetchrow(LOAD, key, delivery)
        )
        if row is None:
            return None, 0, None, False
        return row[0], row[1] or 0, row[2], bool(row[3])

    async def save(self, key: str, data: str, expected_version: int, now: datetime, expired: datetime,
                   delivery: str | None, replies: str | None = None) -> tuple[int | None, bool, Row | None]:  # fmt: skip
        """(the new version or None on a version conflict, whether the delivery was seen before,
        on a conflict the row as it is now: state, version, updated_at — or None if there is none)."""
        insert = expected_version == 0
        condition = expired if insert else expected_version
        if delivery is None:
            row = await self.fetchrow(INSERT_PLAIN if insert else UPDATE_PLAIN, key, data, now, condition)
        else:
            row = await self.fetchrow(INSERT if insert else UPDATE, key, data, now, condition, delivery, replies)
        if row is None:  # a plain statement that lost: no row, nothing read back
            return None, False, None
        if row[0] is not None:
            return row[0], bool(row[1]), None
        return None, bool(row[1]), ((row[2], row[3], row[4]) if row[3] is not None else None)

    async def close(self) -> None:
        """Close the idle connections; one in use now is closed when its statement ends."""
        free, self._free, self._slots = self._free, [], None
        self._opened += 1
        for connection in free:
            try:
                await connection.close(timeout=self.timeout)
            except Exception:  # closing is best effort: the server may be gone already
                connection.terminate()

    async def fetchrow(self, statement: str, *args: Any) -> Any:
        """One statement on a kept connection: its first row, or None (bench/turns.py times ``SELECT 1`` here)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_size)
        slots = self._slots
        if slots.locked():  # all connections busy: wait for one, but not forever
            async with asyncio.timeout(self.timeout):
                await slots.acquire()
        else:
            await slots.acquire()
        try:
            opened = self._opened
            connection = await self._connection()
            try:
                row = await connection.fetchrow(statement, *args)
            except BaseException:
                # Broken, cancelled mid-statement or failed: its state is unknown, so it goes. When
                # the server went away, the idle ones went with it: drop those too.
                connection.terminate()
                self._free = [c for c in self._free if not c.is_closed()]
                raise
            if opened == self._opened:
                self._free.append(connection)
            else:
                connection.terminate()
        finally:
            slots.release()
        return row

    async def _connection(self) -> Any:
        while self._free:
            connection = self._free.pop()
            if not connection.is_closed():  # the server may have closed it while it waited
                return connection
        import asyncpg

        # Startup settings, not SET: they are the session's defaults and need no round trip.
        return await asyncpg.connect(
            self.dsn, timeout=self.timeout, server_settings={"synchronous_commit": "off"}
        )
