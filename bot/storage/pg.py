"""The per-turn statements on PostgreSQL: one round trip to load, one to save, on an async pool.

A turn's own cost is ~0.1 ms; what PostgreSQL adds should be the network and the server, not the
client. So the hot path skips SQLAlchemy (its statement and result machinery costs more than the
query on loopback) and the thread hop of a sync driver: psycopg 3's async connections, pooled by
psycopg_pool, with server-side prepared statements (``prepare=True``).

- ``load`` is one SELECT that also says whether the platform delivery under way was seen already.
- ``save`` is one statement: the conditional UPDATE (or, for a new conversation, an INSERT that
  may replace only an expired row) and the delivery id, together — the state and "seen" commit
  atomically. A statement outside a transaction block commits on its own: no BEGIN, no COMMIT.
- These connections run with ``synchronous_commit = off``: the commit returns before the WAL
  reaches the disk. A crash of the *database server* can lose the last ~0.6 s (3 × wal_writer_delay)
  of conversation state — the citizen is asked their last answer again — but never corrupts it,
  and nothing else uses these connections: help requests, usage events, accounts and erasures go
  through the SQLAlchemy engine with full durability.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

LOAD = """
SELECT c.state, c.version, c.updated_at, EXISTS (SELECT 1 FROM deliveries WHERE id = %(d)s::text)
FROM (SELECT 1) AS one LEFT JOIN conversations AS c ON c.key = %(k)s
"""

# In both saves, the final SELECT sees the snapshot the statement started with: "seen" means
# another turn recorded this delivery before us. A row lock serialises two savers of one
# conversation, and a delivery belongs to one conversation, so the claim cannot conflict after `upd`.
UPDATE = """
WITH upd AS (
    UPDATE conversations SET state = %(s)s, version = version + 1, updated_at = %(t)s
    WHERE key = %(k)s AND version = %(v)s
      AND NOT EXISTS (SELECT 1 FROM deliveries WHERE id = %(d)s::text)
    RETURNING version
),
claim AS (
    INSERT INTO deliveries (id, seen_at) SELECT %(d)s::text, %(t)s FROM upd WHERE %(d)s::text IS NOT NULL
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT version FROM upd), EXISTS (SELECT 1 FROM deliveries WHERE id = %(d)s::text)
"""

# A new conversation may replace only an expired row; the version keeps counting, so a worker
# still holding the old version cannot overwrite the new conversation.
INSERT = """
WITH upd AS (
    INSERT INTO conversations AS c (key, state, version, updated_at)
    SELECT %(k)s, %(s)s, 1, %(t)s WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE id = %(d)s::text)
    ON CONFLICT (key) DO UPDATE SET state = excluded.state, version = c.version + 1, updated_at = excluded.updated_at
    WHERE c.updated_at < %(expired)s
    RETURNING version
),
claim AS (
    INSERT INTO deliveries (id, seen_at) SELECT %(d)s::text, %(t)s FROM upd WHERE %(d)s::text IS NOT NULL
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT version FROM upd), EXISTS (SELECT 1 FROM deliveries WHERE id = %(d)s::text)
"""


def conninfo(engine: sa.Engine) -> str:
    """libpq's connection string for the engine's URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgStates:
    """The pool and the two statements; opened on first use inside the running event loop."""

    def __init__(self, conninfo: str, max_size: int = 10, timeout: float = 3.0) -> None:
        self.conninfo = conninfo
        self.max_size = max_size
        self.timeout = timeout
        self._pool: Any = None

    async def _connection_pool(self) -> Any:
        if self._pool is None:
            from psycopg_pool import AsyncConnectionPool

            pool = AsyncConnectionPool(
                self.conninfo, min_size=1, max_size=self.max_size, timeout=self.timeout,
                kwargs={"autocommit": True, "prepare_threshold": 0, "connect_timeout": max(1, int(self.timeout))},
                configure=_configure, open=False, name="trolyso-state",
            )  # fmt: skip
            await pool.open(wait=False)
            self._pool = pool
        return self._pool

    async def load(self, key: str, delivery: str | None) -> tuple[str | None, int, datetime | None, bool]:
        pool = await self._connection_pool()
        async with pool.connection() as conn:
            cursor = await conn.execute(LOAD, {"k": key, "d": delivery}, prepare=True)
            row = await cursor.fetchone()
        assert row is not None
        return row[0], row[1] or 0, row[2], bool(row[3])

    async def save(self, key: str, data: str, expected_version: int, now: datetime, expired: datetime,
                   delivery: str | None) -> tuple[int | None, bool]:  # fmt: skip
        """(the new version or None on a version conflict, whether the delivery was seen before)."""
        pool = await self._connection_pool()
        params = {"k": key, "s": data, "t": now, "d": delivery}
        if expected_version == 0:
            statement, params["expired"] = INSERT, expired
        else:
            statement, params["v"] = UPDATE, expected_version
        async with pool.connection() as conn:
            cursor = await conn.execute(statement, params, prepare=True)
            row = await cursor.fetchone()
        assert row is not None
        return row[0], bool(row[1])

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


async def _configure(conn: Any) -> None:
    await conn.execute("SET synchronous_commit = off")  # see the module's docstring
