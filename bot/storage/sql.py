"""Conversation state in a SQL database (SQLite or PostgreSQL), safe with several workers.

Each save is one conditional statement (``… WHERE version = :expected``), so when two workers
handle the same person at once exactly one wins and the other gets :class:`ConflictError` and
retries its turn. The platform delivery being handled (:mod:`bot.storage.deliveries`) is checked
by the load and recorded by the save with the turn's replies, in the same transaction as the state;
a delivery seen before is refused with its stored replies, read apart (a redelivery is rare).

The two statements every turn runs are plain SQL on the driver: on SQLite in the event loop on
one kept connection, on PostgreSQL on kept asyncpg connections (:mod:`bot.storage.pg`). The rare
ones (delete, purge) are SQLAlchemy Core.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pydantic
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bot.core.messages import Outbound
from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState
from bot.errors import ConflictError, StorageError
from bot.storage import deliveries, outbox, pg, unsent
from bot.storage.db import SQLITE_BUSY_MS
from bot.storage.deliveries import DuplicateDelivery
from bot.storage.tables import conversations as table

log = logging.getLogger("bot.storage")

T = TypeVar("T")

_SQLITE_LOAD = "SELECT state, version, updated_at, 0 FROM conversations WHERE key = ?"
_SQLITE_LOAD_SEEN = (
    "SELECT c.state, c.version, c.updated_at, EXISTS (SELECT 1 FROM deliveries WHERE id = ?) "
    "FROM (SELECT 1) AS one LEFT JOIN conversations AS c ON c.key = ?"
)
_SQLITE_CLAIM = "INSERT INTO deliveries (id, seen_at, replies) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_SQLITE_UPDATE = (
    "UPDATE conversations SET state = ?, version = version + 1, updated_at = ? WHERE key = ? AND version = ?"
)
# A new conversation may replace only an expired row; the version keeps counting, so a worker still
# holding the old version cannot overwrite the new conversation. A new row starts at a random
# version, so a version never repeats for a key (as in bot.storage.pg).
_SQLITE_INSERT = (
    "INSERT INTO conversations AS c (key, state, version, updated_at) VALUES (?, ?, abs(random() % 1000000000) + 1, ?) "
    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, version = c.version + 1, "
    "updated_at = excluded.updated_at WHERE c.updated_at < ? RETURNING version"
)


class Conflict(ConflictError):
    """A save lost to another turn. ``current`` is the row the save found instead (state JSON,
    version, updated_at; ``(None, 0, None)`` if expired), or None if it did not read one."""

    def __init__(self, message: str, current: pg.Row | None = None) -> None:
        super().__init__(message)
        self.current = current


def decode(data: str | None, version: int) -> tuple[ConversationState | None, int]:
    """A stored state (JSON) as the port returns it."""
    if data is None:
        return None, version
    try:
        return ConversationState.model_validate_json(data), version
    except pydantic.ValidationError:
        # Unreadable state (hand-edited, or from an incompatible release): start afresh, but
        # keep the row's version so the next save replaces it under the usual check.
        log.warning("conversation state unreadable, starting afresh", exc_info=True)
        return None, version


def _same(value: Any) -> Any:
    return value


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlStateStore(BaseStateStore):
    """Conversations in the ``conversations`` table.

    The engine belongs to the caller (it may be shared with other stores), so :meth:`close`
    leaves it open; dispose of it when the application stops (after closing the store, which
    closes its own connections). The schema must be migrated first (:func:`bot.storage.db.upgrade`).
    """

    def __init__(self, engine: sa.Engine, ttl: timedelta, clock: Callable[[], datetime] | None = None,
                 *, busy_timeout_ms: int = SQLITE_BUSY_MS) -> None:  # fmt: skip
        self.engine = engine
        self.ttl = ttl
        self._clock = clock or _utc_now
        self.busy_timeout_ms = busy_timeout_ms
        # SQLite is a file on this machine: a statement takes tens of microseconds, less than
        # handing it to a thread and back, and threads racing for its single write lock would
        # wait in its busy handler (millisecond sleeps). So its statements run in the event loop,
        # in order, on one kept connection.
        self._inline = engine.dialect.name == "sqlite"
        self._kept: sa.Connection | None = None
        self._pg: pg.PgStates | None = None
        errors: tuple[type[Exception], ...] = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
        if engine.dialect.name == "postgresql":
            self._pg = pg.PgStates(pg.conninfo(engine), timeout=pg.connect_timeout(engine))
            errors += pg.errors()
        self._errors = errors
        time_type = table.c.updated_at.type.dialect_impl(engine.dialect)
        self._write_time: Callable[[Any], Any] = time_type.bind_processor(engine.dialect) or _same
        self._read_time: Callable[[Any], Any] = time_type.result_processor(engine.dialect, None) or _same

    # --- the port ----------------------------------------------------------------------------
    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        data, version, _updated = await self.fetch(key)
        return decode(data, version)

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        return await self.save_json(key, state.model_dump_json(), expected_version, self._clock())

    # --- the same, in JSON, for the caching store (bot.storage.resilient) ------------------------
    def now(self) -> datetime:
        """The clock that stamps ``updated_at`` and decides what has expired."""
        return self._clock()

    async def fetch(self, key: str) -> pg.Row:
        """The live row: its state as stored (JSON), version and ``updated_at``; an expired or
        missing row reads ``(None, 0, None)``. Raises :class:`DuplicateDelivery` if the delivery
        being handled was recorded already."""
        delivery = deliveries.current()
        delivery_id = delivery.id if delivery is not None else None
        if self._pg is not None:
            row = await self._guard("load", self._pg.load(key, delivery_id))
        else:
            row = await self._guard("load", self._sync(lambda: self._load_sqlite(key, delivery_id)))
        state, version, updated, seen = row
        if seen:
            assert delivery_id is not None
            raise DuplicateDelivery(f"delivery {delivery_id} was handled already", await self._replies(delivery_id))
        return self._live((state, version, updated))

    async def save_json(self, key: str, data: str, expected_version: int, now: datetime) -> int:
        """Save ``data`` (a state's JSON) stamped ``now`` over ``expected_version`` (0: a new
        conversation); raises :class:`Conflict` carrying the row as it is when another turn won."""
        delivery = deliveries.current()
        delivery_id, replies = (delivery.id, delivery.replies) if delivery is not None else (None, None)
        if self._pg is not None:
            work = self._pg.save(key, data, expected_version, now, now - self.ttl, delivery_id, replies)
            version, seen, current = await self._guard("save", work)
        else:
            version, seen, current = await self._guard(
                "save", self._sync(lambda: self._save_sqlite(key, data, expected_version, now, delivery_id, replies))
            )
        if seen:
            assert delivery_id is not None
            raise DuplicateDelivery(f"delivery {delivery_id} was handled by another worker", await self._replies(delivery_id))
        if version is None:
            # A row still at the version we expected was read from a snapshot older than the save that
            # beat us (PostgreSQL re-checks the version after waiting for the row lock): not current.
            found = self._live(current) if current is not None and current[1] != expected_version else None
            if expected_version == 0:
                raise Conflict("conversation was started by another worker", found)
            raise Conflict(f"conversation changed by another worker since version {expected_version}", found)
        if delivery is not None:
            delivery.recorded = True
        return version

    async def _replies(self, delivery_id: str) -> list[Outbound]:
        """The replies stored with a delivery seen before; none when they cannot be read now."""
        try:
            if self._pg is not None:
                row = await self._pg.fetchrow(deliveries.REPLIES.format("$1"), delivery_id)
            else:
                row = await self._sync(lambda: self._replies_sqlite(delivery_id))
        except self._errors:  # the delivery is still refused; only its answer is not sent again
            log.warning("stored replies of a redelivered update could not be read", exc_info=True)
            return []
        return deliveries.decode(row[0] if row is not None else None)

    def _live(self, row: pg.Row) -> pg.Row:
        state, version, updated = row
        if state is None or updated is None or updated < self._clock() - self.ttl:
            return None, 0, None  # an expired row reads as a new conversation; save(…, 0) may replace it
        return state, version or 0, updated

    async def delete(self, key: str) -> None:
        # Through the engine with full durability: an erasure must survive a database crash.
        await self._guard("delete", self._sync(lambda: self._delete(key)))

    async def purge_expired(self, now: datetime | None = None) -> int:
        cutoff = (now or self._clock()) - self.ttl
        return await self._guard("purge", self._sync(lambda: self._purge(cutoff)))

    async def close(self) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            kept.close()
        if self._pg is not None:
            await self._pg.close()

    # --- SQLite, in the event loop --------------------------------------------------------------
    def _dbapi(self) -> Any:
        """The kept SQLite connection's driver connection, for the two statements every turn runs.

        SQLAlchemy's statement and result machinery costs ~0.2 ms per statement, ten times what
        SQLite itself needs; on the per-turn path that would triple the turn. The type processors
        keep datetimes stored exactly as SQLAlchemy stores them, so both paths read each other's rows."""
        if self._kept is None:
            self._kept = self.engine.connect()
            if self.busy_timeout_ms != SQLITE_BUSY_MS:
                self._kept.exec_driver_sql(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                self._kept.commit()
        return self._kept.connection.dbapi_connection

    def _load_sqlite(self, key: str, delivery: str | None) -> tuple[Any, int, datetime | None, bool]:
        dbapi = self._dbapi()
        if delivery is None:
            found = dbapi.execute(_SQLITE_LOAD, (key,)).fetchone()
        else:
            found = dbapi.execute(_SQLITE_LOAD_SEEN, (delivery, key)).fetchone()
        dbapi.rollback()  # end the read transaction: WAL readers pin old pages while they last
        if found is None:
            return None, 0, None, False
        updated = self._read_time(found[2]) if found[2] is not None else None
        return found[0], found[1] or 0, updated, bool(found[3])

    def _replies_sqlite(self, delivery_id: str) -> Any:
        dbapi = self._dbapi()
        try:
            return dbapi.execute(deliveries.REPLIES.format("?"), (delivery_id,)).fetchone()
        finally:
            dbapi.rollback()

    def _save_sqlite(self, key: str, data: str, expected: int, now: datetime, delivery: str | None,
                     replies: str | None = None) -> tuple[int | None, bool, pg.Row | None]:  # fmt: skip
        dbapi = self._dbapi()
        stamp = self._write_time(now)
        current: pg.Row | None = None
        try:
            if delivery is not None and dbapi.execute(_SQLITE_CLAIM, (delivery, stamp, replies)).rowcount == 0:
                dbapi.rollback()
                return None, True, None
            if expected == 0:
                row = dbapi.execute(
                    _SQLITE_INSERT, (key, data, stamp, self._write_time(now - self.ttl))
                ).fetchone()
                version: int | None = row[0] if row is not None else None
            else:
                changed = dbapi.execute(_SQLITE_UPDATE, (data, stamp, key, expected)).rowcount
                version = expected + 1 if changed else None
            if version is None:
                # The row as it is, read in the same transaction, for the turn to run again on.
                found = dbapi.execute(_SQLITE_LOAD, (key,)).fetchone()
                if found is not None:
                    current = (found[0], found[1], self._read_time(found[2]) if found[2] is not None else None)
                dbapi.rollback()  # the delivery stays unrecorded: the retried turn records it
            else:
                dbapi.commit()
        except BaseException:
            dbapi.rollback()
            raise
        return version, False, current

    # --- the rare statements, through SQLAlchemy ----------------------------------------------
    def _delete(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.key == key))
            deliveries.forget(connection, key)
            unsent.forget(connection, key)
            outbox.forget(connection, key)
            delivery = deliveries.current()
            if delivery is not None:  # a repeated "erase my data" is harmless, but count it seen
                deliveries.record(connection, delivery.id, self._clock())

    def _purge(self, cutoff: datetime) -> int:
        with self.engine.begin() as connection:
            return int(connection.execute(table.delete().where(table.c.updated_at < cutoff)).rowcount)

    async def _sync(self, work: Callable[[], T]) -> T:
        """SQLite runs inline (see __init__); anything through SQLAlchemy elsewhere in a thread."""
        if self._inline:
            return work()
        return await asyncio.to_thread(work)

    async def _guard(self, operation: str, work: Awaitable[T]) -> T:
        try:
            return await work
        except self._errors as exc:
            raise StorageError(self._explain(operation, exc)) from exc

    def _explain(self, operation: str, exc: Exception) -> str:
        """A message for whoever runs the bot: which database, what failed, what to check."""
        url = self.engine.url.render_as_string(hide_password=True)
        cause = getattr(exc, "orig", None) or exc
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        return (
            f"could not {operation} conversation state in {url}: {reason}. "
            "Check that the database is running and reachable, and that its schema is up to date "
            "(bot.storage.db.upgrade)."
        )
