"""Conversation state in a SQL database (SQLite or PostgreSQL), safe with several workers.

Each save is one conditional statement (``… WHERE version = :expected``), so when two workers
handle the same person at once exactly one wins and the other gets :class:`ConflictError` and
retries its turn. Queries are sync SQLAlchemy Core run in a thread: the event loop never waits
on the database, and one code path serves every driver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pydantic
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState
from bot.errors import ConflictError, StorageError
from bot.storage.tables import conversations as table

log = logging.getLogger("bot.storage")

T = TypeVar("T")


_SQLITE_LOAD = "SELECT state, version, updated_at FROM conversations WHERE key = ?"
_SQLITE_SAVE = "UPDATE conversations SET state = ?, version = version + 1, updated_at = ? WHERE key = ? AND version = ?"


def _same(value: Any) -> Any:
    return value


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlStateStore(BaseStateStore):
    """Conversations in the ``conversations`` table.

    The engine belongs to the caller (it may be shared with other stores), so :meth:`close`
    leaves it open; dispose of it when the application stops. The schema must be migrated first
    (:func:`bot.storage.db.upgrade`).
    """

    def __init__(
        self, engine: sa.Engine, ttl: timedelta, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self._clock = clock or _utc_now
        # SQLite has one writer at a time: threads racing for its lock wait in its busy handler
        # (sleeps of milliseconds). One dedicated thread keeps every statement short and in order.
        self._kept: sa.Connection | None = None
        # SQLite is a file on this machine: a statement takes tens of microseconds, less than
        # handing it to a thread and back, and threads racing for its single write lock would
        # wait in its busy handler (millisecond sleeps). So its statements run in the event loop,
        # in order, on one kept connection. A server database goes through threads and a pool.
        self._inline = engine.dialect.name == "sqlite"
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        time_type = table.c.updated_at.type.dialect_impl(engine.dialect)
        self._write_time: Callable[[Any], Any] = time_type.bind_processor(engine.dialect) or _same
        self._read_time: Callable[[Any], Any] = time_type.result_processor(engine.dialect, None) or _same

    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        return await self._run("load", lambda: self._load(key))

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        data = state.model_dump_json()
        return await self._run("save", lambda: self._save(key, data, expected_version))

    async def delete(self, key: str) -> None:
        await self._run("delete", lambda: self._delete(key))

    async def purge_expired(self, now: datetime | None = None) -> int:
        cutoff = (now or self._clock()) - self.ttl
        return await self._run("purge", lambda: self._purge(cutoff))

    async def close(self) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            kept.close()

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sa.Connection]:
        """A connection for one statement group. On SQLite the store keeps one connection open
        (no pool round trip per query); elsewhere the pool lends one."""
        if not self._inline:
            with self.engine.begin() if write else self.engine.connect() as connection:
                yield connection
            return
        if self._kept is None:
            self._kept = self.engine.connect()
        connection = self._kept
        try:
            yield connection
            connection.commit() if write else connection.rollback()
        except BaseException:
            connection.rollback()
            raise

    # --- sync work, run in a thread --------------------------------------------------------
    def _dbapi(self) -> Any:
        """The kept SQLite connection's driver connection, for the two statements every turn runs.

        SQLAlchemy's statement and result machinery costs ~0.2 ms per statement, ten times what
        SQLite itself needs; on the per-turn path that would triple the turn. The SQL is the plain
        equivalent of the Core statements below it; the type processors keep datetimes stored
        exactly as SQLAlchemy stores them, so both paths read each other's rows."""
        if self._kept is None:
            self._kept = self.engine.connect()
        return self._kept.connection.dbapi_connection

    def _load(self, key: str) -> tuple[ConversationState | None, int]:
        if self._inline:
            cursor = self._dbapi().execute(_SQLITE_LOAD, (key,))
            found = cursor.fetchone()
            row = None if found is None else (found[0], found[1], self._read_time(found[2]))
        else:
            query = sa.select(table.c.state, table.c.version, table.c.updated_at).where(table.c.key == key)
            with self._connect(write=False) as connection:
                result = connection.execute(query).one_or_none()
            row = None if result is None else (result.state, result.version, result.updated_at)
        if row is None or row[2] < self._clock() - self.ttl:
            # An expired row reads as a new conversation; save(…, 0) may replace it (see _save).
            return None, 0
        state, version, _updated = row
        try:
            return ConversationState.model_validate_json(state), version
        except pydantic.ValidationError:
            # Unreadable state (hand-edited, or from an incompatible release): start afresh, but
            # keep the row's version so the next save replaces it under the usual check.
            log.warning("conversation state unreadable, starting afresh", exc_info=True)
            return None, version

    def _save(self, key: str, data: str, expected_version: int) -> int:
        now = self._clock()
        if expected_version == 0:
            return self._insert(key, data, now)
        if self._inline:
            dbapi = self._dbapi()
            try:
                changed = dbapi.execute(_SQLITE_SAVE, (data, self._write_time(now), key, expected_version)).rowcount
                dbapi.commit()
            except BaseException:
                dbapi.rollback()
                raise
            if changed == 0:
                raise ConflictError(f"conversation changed by another worker since version {expected_version}")
            return expected_version + 1
        update = (
            table.update()
            .where(table.c.key == key, table.c.version == expected_version)
            .values(state=data, version=table.c.version + 1, updated_at=now)
        )
        with self._connect(write=True) as connection:
            if connection.execute(update).rowcount == 0:
                raise ConflictError(
                    f"conversation changed by another worker since version {expected_version}"
                )
        return expected_version + 1

    def _insert(self, key: str, data: str, now: datetime) -> int:
        try:
            with self._connect(write=True) as connection:
                connection.execute(table.insert().values(key=key, state=data, version=1, updated_at=now))
            return 1
        except IntegrityError:
            pass  # the key is taken: by another worker's new conversation, or by an expired one
        # Replace the row only if it has expired. The condition is re-checked under the row lock,
        # so of two workers starting afresh at once only one matches; the version keeps counting
        # so a worker still holding the old version cannot overwrite the new conversation.
        replace = (
            table.update()
            .where(table.c.key == key, table.c.updated_at < now - self.ttl)
            .values(state=data, version=table.c.version + 1, updated_at=now)
        )
        with self._connect(write=True) as connection:
            if connection.execute(replace).rowcount == 0:
                raise ConflictError("conversation was started by another worker")
            version: int = connection.execute(
                sa.select(table.c.version).where(table.c.key == key)
            ).scalar_one()
        return version

    def _delete(self, key: str) -> None:
        with self._connect(write=True) as connection:
            connection.execute(table.delete().where(table.c.key == key))

    def _purge(self, cutoff: datetime) -> int:
        with self._connect(write=True) as connection:
            return connection.execute(table.delete().where(table.c.updated_at < cutoff)).rowcount

    async def _run(self, operation: str, work: Callable[[], T]) -> T:
        try:
            if self._inline:
                return work()
            return await asyncio.to_thread(work)
        except (SQLAlchemyError, self._driver_error) as exc:
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
