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
  ``save`` commits, the other gets :class:`DuplicateDelivery`.
- The turn's replies go into the same row (:func:`keep`, set by the conversation layer before its
  save). A worker killed after the save and before its replies left loses nothing: the platform
  delivers the update again, the store refuses it as seen and hands back the stored replies
  (:attr:`DuplicateDelivery.replies`), and the channel sends them. Processing stays exactly once;
  replies are at least once (two workers racing on one update may both send them). Notices to
  other people are not stored and never sent again with them: at most once (see docs/deploy.md).

It travels in a context variable rather than through :mod:`bot.core`'s store interface, which
knows nothing of platforms; asyncio copies it into the turn's task.

Zalo, unlike Telegram, never delivers again an event it had a 200 for, so its webhook answers only
once the turn is saved (:func:`mark_saved`) and answered, within a bound (:mod:`bot.channels.zalo`).

Kept for :data:`KEEP`: Telegram keeps an undelivered update for 24 hours, and Zalo events older than
``TROLYSO_ZALO_MAX_EVENT_AGE_SECONDS`` (24 h) are refused as replays before they get here; 48 h
covers both with a margin. The ``deliveries.purge`` job deletes older ids hourly, and empties the
stored replies after :data:`KEEP_REPLIES` (24 h): they may hold what the person told us (a name in
a checklist, a phone number), and no platform redelivers an update older than that (a web chat
page resends within seconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import sqlalchemy as sa

from bot.core.messages import Button, Outbound
from bot.storage.tables import deliveries

KEEP = timedelta(hours=48)
KEEP_REPLIES = timedelta(hours=24)
"""How long a delivery's replies stay stored (Telegram's redelivery window); the id stays :data:`KEEP`."""

REPLIES = "SELECT replies FROM deliveries WHERE id = {}"
"""The stored replies of a delivery seen before (the placeholder is the driver's): read only for a
redelivery, so the statements every turn runs do not carry them back."""


class DuplicateDelivery(Exception):
    """This update was already handled (by this worker before a restart, or by another).
    ``replies`` are the ones stored with it, to send again (empty when none were kept)."""

    def __init__(self, message: str, replies: Sequence[Outbound] = ()) -> None:
        super().__init__(message)
        self.replies = list(replies)


@dataclass(eq=False)
class Outgoing:
    """A turn's replies on their way, as the channel sends them: where to, what (``None`` until the
    turn is through; then the stored replies stand for them), how many have left, and whether the
    channel is done with them. The webhook reads it when it answers 200 before they all left
    (:mod:`bot.web.late`); plain attributes, so the turns that never get there pay nothing."""

    chat_id: str
    replies: Sequence[Outbound] | None = None
    sent: int = 0  # replies wholly sent (or handed to a durable queue), from the first
    finished: bool = False  # the channel sent them, or gave up on them (a refusal, a failure)
    kept: asyncio.Task[int | None] | None = None  # the write of what was still to go, when there was one


@dataclass
class Delivery:
    id: str
    recorded: bool = False  # saved with a turn: later loads in the same handling (a language lookup) pass
    replies: str | None = None  # the turn's replies (JSON, :func:`encode`), saved with the id
    saved: asyncio.Event | None = None  # set once the turn is saved, for a channel that answers only then
    outgoing: Outgoing | None = None  # set by the channel once it knows where the replies go


_CURRENT: ContextVar[Delivery | None] = ContextVar("delivery", default=None)


@contextmanager
def delivering(delivery_id: str, saved: asyncio.Event | None = None) -> Iterator[Delivery]:
    """Handle one platform delivery: the store records ``delivery_id`` with the turn's state.
    Tasks created inside the block carry it with them. ``saved``, if given, is set once the turn's
    state is saved (:func:`mark_saved`): Zalo's webhook answers its 200 only then."""
    delivery = Delivery(delivery_id[:200], saved=saved)
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


def handling() -> Delivery | None:
    """The delivery being handled, recorded or not."""
    return _CURRENT.get()


def keep(replies: Sequence[Outbound]) -> None:
    """Store ``replies`` with the delivery being handled, when its turn is saved (no delivery: nothing)."""
    delivery = _CURRENT.get()
    if delivery is not None:
        delivery.replies = encode(replies)


def sending_to(chat_id: str) -> Outgoing:
    """The replies of the delivery being handled go to ``chat_id``: their progress, to fill in."""
    outgoing = Outgoing(chat_id)
    delivery = _CURRENT.get()
    if delivery is not None:
        delivery.outgoing = outgoing
    return outgoing


def mark_saved() -> None:
    """The turn of the delivery being handled is saved, with its id and replies (or the store has
    taken it to write back after an outage): wake the channel waiting to acknowledge it."""
    delivery = _CURRENT.get()
    if delivery is not None and delivery.saved is not None:
        delivery.saved.set()


def encode(replies: Sequence[Outbound]) -> str:
    """Replies as stored: a JSON list (short keys; a button keeps only what it has)."""
    return orjson.dumps(
        [{"t": r.text, "b": [[b.label, b.payload, b.url] for b in r.buttons], "e": r.expects} for r in replies]
    ).decode()


def decode(data: str | None) -> list[Outbound]:
    """Stored replies as they were; nothing for none, or for a row this code cannot read."""
    if not data:
        return []
    try:
        return [Outbound(r["t"], tuple(Button(*b) for b in r["b"]), r["e"]) for r in orjson.loads(data)]
    except (ValueError, TypeError, KeyError):  # written by another release: better silent than wrong
        return []


def record(connection: sa.Connection, delivery_id: str, now: datetime, replies: str | None = None) -> bool:
    """Insert the delivery id (and its replies) in the caller's transaction; False when it was there already."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(deliveries).values(id=delivery_id, seen_at=now, replies=replies).on_conflict_do_nothing()
    return int(connection.execute(statement).rowcount) == 1


def forget(connection: sa.Connection, key: str) -> None:
    """Empty the stored replies of the conversation ``key``'s deliveries that are named after it
    (the web chat's ``web:<user>:<message id>``), in the caller's transaction: an erasure takes
    them too. The ids stay, so a late resend is still not applied again. (A Telegram or Zalo
    delivery id names the update, not the person: its replies go with the 24-hour purge.)"""
    prefix = f"{key}:"
    connection.execute(
        deliveries.update()
        .where(sa.func.substr(deliveries.c.id, 1, len(prefix)) == prefix, deliveries.c.replies.is_not(None))
        .values(replies=None)
    )


def purge(db: sa.Engine, now: datetime | None = None) -> int:
    """Forget delivery ids older than :data:`KEEP` (the platforms no longer redeliver them), and the
    replies stored with those older than :data:`KEEP_REPLIES`. Returns how many ids went."""
    now = now or datetime.now(UTC)
    with db.begin() as connection:
        connection.execute(
            deliveries.update()
            .where(deliveries.c.seen_at < now - KEEP_REPLIES, deliveries.c.replies.is_not(None))
            .values(replies=None)
        )
        return int(connection.execute(deliveries.delete().where(deliveries.c.seen_at < now - KEEP)).rowcount)
