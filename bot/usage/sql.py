"""The usage store on SQLite or PostgreSQL: ``usage_events`` plus the ``usage_daily`` counts.

Each write is one transaction: ``INSERT … ON CONFLICT (event_key) DO NOTHING RETURNING`` tells
which rows were really new, and only those are added to the daily counts. A batch replayed after
a timeout (when the first attempt may have committed after all) therefore changes nothing twice.

On PostgreSQL the batched writer's writes (:meth:`SqlUsageStore.awrite`) are one statement on a
kept asyncpg connection in the event loop: the batch goes as 13 arrays ``unnest``-ed into rows,
and the daily counts are added by the same statement. psycopg in a worker thread spent a sixth of
a loaded worker's CPU converting each row's 13 parameters in Python, competing with the turns for
the interpreter lock (docs/benchmarks.md); asyncpg encodes the arrays in compiled code, and the
statement text no longer depends on the batch's size, so it is prepared once. The connection keeps
PostgreSQL's full durability (unlike the state store's, bot.storage.pg). Erasures and purges stay
on SQLAlchemy, in a thread: they are rare.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from bot.errors import ConfigError
from bot.storage import pg
from bot.storage.tables import usage_daily, usage_events
from bot.usage.rows import DailyKey, Row

_COUNTED = (usage_events.c.day, usage_events.c.channel, usage_events.c.commune,
            usage_events.c.kind, usage_events.c.procedure)  # fmt: skip
_DAILY_KEY = ("day", "channel", "commune", "kind", "procedure")

_COLUMNS = ("event_key", "ts", "day", "channel", "person", "locale", "commune", "kind", "procedure",
            "score", "latency_ms", "text", "assisted_by")  # fmt: skip
_CHUNK = 500  # rows per statement: 6,500 parameters, far below SQLite's 32,766 and PostgreSQL's 65,535
_INSERT_TAIL = " ON CONFLICT (event_key) DO NOTHING RETURNING day, channel, commune, kind, procedure"

# The whole write on PostgreSQL, in one statement (so in one transaction): the new rows, then
# their daily counts, grouped (one row per key: ON CONFLICT may touch a row once per statement)
# and ordered (two writers take the daily rows' locks in one order). A data-modifying WITH runs
# to completion whether or not the final SELECT reads it.
_WRITE_PG = """
WITH new AS (
    INSERT INTO usage_events (event_key, ts, day, channel, person, locale, commune, kind, procedure,
                              score, latency_ms, text, assisted_by)
    SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::date[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::text[], $13::text[])
    ON CONFLICT (event_key) DO NOTHING
    RETURNING day, channel, commune, kind, procedure
), added AS (
    INSERT INTO usage_daily (day, channel, commune, kind, procedure, count)
    SELECT day, channel, coalesce(commune, ''), kind, coalesce(procedure, ''), count(*) FROM new
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (day, channel, commune, kind, procedure) DO UPDATE SET count = usage_daily.count + excluded.count
)
SELECT count(*) FROM new
"""


@lru_cache(maxsize=128)
def _insert(rows: int, mark: str) -> str:
    """The multi-row insert for ``rows`` rows, ``mark`` the driver's placeholder (? or %s)."""
    # Only placeholders and our own column names go into the text.
    one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    head = f"INSERT INTO usage_events ({', '.join(_COLUMNS)}) VALUES "  # noqa: S608
    return head + ", ".join([one] * rows) + _INSERT_TAIL


@lru_cache(maxsize=2)
def _add(mark: str) -> str:
    """The daily counts' upsert, ``mark`` the driver's placeholder (only placeholders go into the text)."""
    values = ", ".join([mark] * 6)
    return (f"INSERT INTO usage_daily (day, channel, commune, kind, procedure, count) VALUES ({values}) "  # noqa: S608
            "ON CONFLICT (day, channel, commune, kind, procedure) DO UPDATE SET count = usage_daily.count + excluded.count")


def _counts(rows: Sequence[Any]) -> Counter[DailyKey]:
    """Events per ``usage_daily`` key, from result rows of (day, channel, commune, kind, procedure)."""
    return Counter(
        (day, channel, commune or "", kind, procedure or "")
        for day, channel, commune, kind, procedure in rows
    )


def _same(value: Any) -> Any:
    return value


SQLITE_BUSY_MS = 250
"""How long a usage write waits for SQLite's write lock before giving up (and spooling). Its
writes run in the event loop, so waiting the state store's 5 s would stall every conversation."""


class SqlUsageStore:
    """Usage rows in the database of ``engine`` (migrated to revision 0003 or later)."""

    def __init__(self, engine: sa.Engine) -> None:
        name = engine.dialect.name
        if name not in ("sqlite", "postgresql"):
            raise ConfigError(f"the usage log runs on SQLite or PostgreSQL, not {name}; "
                              "check TROLYSO_DATABASE_URL")  # fmt: skip
        self.engine = engine
        self._kept: sa.Connection | None = None
        self._pg: Any = None  # the asyncpg connection of awrite, opened on first use in the event loop
        dialect = engine.dialect
        self._write_ts: Callable[[Any], Any] = (
            usage_events.c.ts.type.dialect_impl(dialect).bind_processor(dialect) or _same
        )
        self._write_day: Callable[[Any], Any] = (
            usage_events.c.day.type.dialect_impl(dialect).bind_processor(dialect) or _same
        )

    @property
    def inline(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def write(self, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        if self.inline:
            return self._write_sqlite(rows)
        with self._transaction() as connection:  # PostgreSQL, in a worker thread
            driver = connection.connection.dbapi_connection
            assert driver is not None  # a pooled connection lent to this transaction
            cursor = driver.cursor()
            try:
                return self._store(cursor, rows, "%s")
            finally:
                cursor.close()

    async def awrite(self, rows: Sequence[Row]) -> int:
        """:meth:`write` from the event loop: inline on SQLite; on PostgreSQL one statement on the
        kept asyncpg connection. Cancelled (the writer's time limit) or failed, the connection is
        dropped: whether that statement committed is unknown, and a replay under the same event
        keys changes nothing twice."""
        if self.inline or not rows:
            return self.write(rows)
        columns = [[row[name] for row in rows] for name in _COLUMNS]  # type: ignore[literal-required]
        columns[9] = [None if score is None else float(score) for score in columns[9]]
        columns[10] = [None if latency is None else float(latency) for latency in columns[10]]
        connection = self._pg
        if connection is None or connection.is_closed():
            import asyncpg  # type: ignore[import-untyped]  # no type information shipped; used through Any

            connection = self._pg = await asyncpg.connect(
                pg.conninfo(self.engine, "trolyso-usage"), timeout=pg.connect_timeout(self.engine)
            )
        try:
            return int(await connection.fetchval(_WRITE_PG, *columns))
        except BaseException:
            self._pg = None
            connection.terminate()
            raise

    def erase(self, person: str) -> int:
        delete = usage_events.delete().where(usage_events.c.person == person).returning(*_COUNTED)
        with self._transaction() as connection:
            gone = connection.execute(delete).all()
            self._subtract(connection, _counts(gone))
        return len(gone)

    def purge(self, before: date, limit: int) -> int:
        old = sa.select(usage_events.c.id).where(usage_events.c.day < before).limit(limit)
        with self._transaction() as connection:
            count: int = connection.execute(usage_events.delete().where(usage_events.c.id.in_(old))).rowcount
            if count < limit:
                connection.execute(usage_daily.delete().where(usage_daily.c.day < before))
        return count

    def _write_sqlite(self, rows: Sequence[Row]) -> int:
        """:meth:`write` on SQLite, in the event loop on every flush, on the kept connection."""
        connection = self._sqlite()
        try:
            stored = self._store(connection.cursor(), rows, "?")
            connection.commit()
        except BaseException:
            connection.rollback()
            self.close()
            raise
        return stored

    def _store(self, cursor: Any, rows: Sequence[Row], mark: str) -> int:
        """Insert ``rows`` in plain SQL on the driver's cursor and add those that were new to the
        daily counts; how many were new. SQLAlchemy's per-row parameter handling costs twice what
        the database needs to store the row (on PostgreSQL a fifth of a worker's CPU under load);
        the type processors keep values stored exactly as SQLAlchemy stores them."""
        ts, day = self._write_ts, self._write_day
        new: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            values: list[Any] = []
            for row in chunk:
                values += (row["event_key"], ts(row["ts"]), day(row["day"]), row["channel"], row["person"],
                           row["locale"], row["commune"], row["kind"], row["procedure"], row["score"],
                           row["latency_ms"], row["text"], row["assisted_by"])  # fmt: skip
            cursor.execute(_insert(len(chunk), mark), values)
            new += cursor.fetchall()
        counts = _counts(new)
        if counts:  # sorted: two transactions take the daily rows' locks in one order
            cursor.executemany(_add(mark), [(*key, n) for key, n in sorted(counts.items())])
        return len(new)

    def _sqlite(self) -> Any:
        """The kept connection's driver connection (see :meth:`_transaction`)."""
        if self._kept is None:
            with self._transaction():
                pass
        assert self._kept is not None
        return self._kept.connection.dbapi_connection

    def close(self) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            kept.close()
        if self._pg is not None:  # between statements: nothing of ours is lost by closing it at once
            connection, self._pg = self._pg, None
            connection.terminate()

    async def aclose(self) -> None:
        """:meth:`close` from the event loop: awrite's connection says goodbye to the server."""
        if self._pg is not None:
            connection, self._pg = self._pg, None
            try:
                await connection.close(timeout=2.0)
            except Exception:  # the server may be gone already
                connection.terminate()
        self.close()

    def _subtract(self, connection: sa.Connection, counts: Counter[DailyKey]) -> None:
        c = usage_daily.c
        for key, n in sorted(counts.items()):
            where = sa.and_(*(c[name] == value for name, value in zip(_DAILY_KEY, key, strict=True)))
            connection.execute(usage_daily.update().where(where).values(count=c.count - n))
        if counts:
            days = sorted({key[0] for key in counts})
            connection.execute(usage_daily.delete().where(c.day.in_(days), c.count <= 0))

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """One transaction. SQLite keeps one connection with a short lock wait (it runs in the
        event loop); a server database lends a pooled connection to the calling thread."""
        if not self.inline:
            with self.engine.begin() as connection:
                yield connection
            return
        if self._kept is None:
            self._kept = self.engine.connect()
            self._kept.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            self._kept.commit()
        connection = self._kept
        try:
            yield connection
            connection.commit()
        except BaseException:
            # A failed connection is dropped, so the next attempt starts from a clean one.
            self.close()
            raise
