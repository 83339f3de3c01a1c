"""Exactly once across restarts and workers: the platform's delivery id, stored with the turn.

Telegram and Zalo deliver an update again when they did not hear "200 OK" in time — after a
restart, a deploy, or to another worker behind the proxy. Each process's own memory
(:class:`bot.channels.base.SeenIds`) catches quick repeats to the same process; this module makes
the record durable:

- The channel wraps the handling of one update in :func:`delivering` (``"telegram:<bot>:<update_id>"``).
- The state store's ``load`` refuses a delivery already recorded (:class:`DuplicateDelivery`),
  before the engine runs, so nothing of the turn happens twice.
- The store's ``save`` inserts the delivery id in the same transaction as the new state: the state
  and "seen" cannot disagree. Two workers racing on one update both pass ``load``; only one
  ``save`` commits, the other gets :class:`DuplicateDelivery` and sends nothing.

It travels in a context variable rather than through :mod:`bot.core`'s store interface, which
knows nothing of platforms; asyncio copies it into the turn's task.

Kept for :data:`KEEP`: Telegram keeps an undelivered update for 24 hours, and Zalo events older than
``TROLYSO_ZALO_MAX_EVENT_AGE_SECONDS`` (3 h) are refused as replays before they get here; 48 h
covers both with a margin. The ``deliveries.purge`` job deletes older ids hourly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.storage.tables import deliveries

KEEP = timedelta(hours=48)


class DuplicateDelivery(Exception):
    """This update was already handled (by this worker before a restart, or by another)."""


@dataclass
class Delivery:
    id: str
    recorded: bool = False  # saved with a turn: later loads in the same handling (a language lookup) pass


_CURRENT: ContextVar[Delivery | None] = ContextVar("delivery", default=None)


@contextmanager
def delivering(delivery_id: str) -> Iterator[Delivery]:
    """Handle one platform delivery: the store records ``delivery_id`` with the turn's state.
    Tasks created inside the block carry it with them."""
    delivery = Delivery(delivery_id[:200])
    token = _CURRENT.set(delivery)
    try:
        yield delivery
    finally:
        _CURRENT.reset(token)


@contextmanager
def aside() -> Iterator[None]:
    """Store calls that belong to no delivery (writing back another turn's state)."""
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Delivery | None:
    """The delivery being handled, unless it was already recorded."""
    delivery = _CURRENT.get()
    return None if delivery is None or delivery.recorded else delivery


def record(connection: sa.Connection, delivery_id: str, now: datetime) -> bool:
    """Insert the delivery id in the caller's transaction; False when it was there already."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(deliveries).values(id=delivery_id, seen_at=now).on_conflict_do_nothing()
    return int(connection.execute(statement).rowcount) == 1


def purge(db: sa.Engine, now: datetime | None = None) -> int:
    """Forget delivery ids older than :data:`KEEP`: the platforms no longer redeliver them."""
    cutoff = (now or datetime.now(UTC)) - KEEP
    with db.begin() as connection:
        return int(connection.execute(deliveries.delete().where(deliveries.c.seen_at < cutoff)).rowcount)
