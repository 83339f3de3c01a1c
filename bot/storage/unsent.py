"""Replies acknowledged before they left, kept until they are sent (the ``unsent_replies`` table).

Zalo and Telegram never deliver an update again once it had a 200, and the webhook gives its 200
at a bound even when the turn's replies are still on their way (``ok_unsent`` on /metrics). At
that moment only, the replies still to go are written here (:meth:`UnsentReplies.keep`), and the
row is deleted once they are sent (:meth:`UnsentReplies.drop`). A worker killed in between leaves
the row behind, and a recovery run (:mod:`bot.web.late`) sends it once it is due. An erasure
deletes the person's rows (:func:`forget`, in the erasure's transaction).

``due_at`` decides who may send a row: the worker that wrote it keeps pushing it forward while it
is alive and still sending (:meth:`UnsentReplies.renew`), and a recovery run claims a due row by
pushing it forward too (a conditional UPDATE), so two runs, or a run and the living worker, never
both send it. A row is never older than :data:`bot.storage.deliveries.KEEP_REPLIES` (24 h): the
replies may hold what the person told us, and an answer a day late is no longer one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.storage.deliveries import KEEP_REPLIES
from bot.storage.tables import unsent_replies as table


@dataclass(frozen=True)
class Unsent:
    id: int
    channel: str
    chat_id: str
    delivery_id: str
    replies: str  # JSON, :func:`bot.storage.deliveries.encode`


class UnsentReplies:
    """The table's few statements; each runs in its own short transaction (call from a thread)."""

    def __init__(self, db: sa.Engine) -> None:
        self.db = db

    def keep(self, channel: str, chat_id: str, delivery_id: str, replies: str, now: datetime, due: datetime) -> int:
        """Write one turn's replies still to send; the row's id."""
        with self.db.begin() as connection:
            result = connection.execute(table.insert().values(
                channel=channel, chat_id=chat_id, delivery_id=delivery_id[:200], replies=replies,
                created_at=now, due_at=due,
            ))  # fmt: skip
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def renew(self, ids: Collection[int], due: datetime) -> None:
        """The worker that wrote these rows is still sending them: nobody else may before ``due``."""
        if ids:
            with self.db.begin() as connection:
                connection.execute(table.update().where(table.c.id.in_(list(ids))).values(due_at=due))

    def drop(self, row_id: int) -> None:
        with self.db.begin() as connection:
            connection.execute(table.delete().where(table.c.id == row_id))

    def claim(self, channels: Collection[str], now: datetime, until: datetime, limit: int = 50) -> list[Unsent]:
        """Rows of ``channels`` due at ``now``, oldest first, each taken for the caller until
        ``until``: a row another run took first (its ``due_at`` moved) is left out."""
        if not channels:
            return []
        with self.db.begin() as connection:
            rows = connection.execute(
                sa.select(table.c.id, table.c.channel, table.c.chat_id, table.c.delivery_id, table.c.replies)
                .where(table.c.due_at <= now, table.c.channel.in_(list(channels)))
                .order_by(table.c.id).limit(limit)
            ).all()  # fmt: skip
        claimed = []
        for row in rows:
            with self.db.begin() as connection:
                taken = connection.execute(
                    table.update().where(table.c.id == row.id, table.c.due_at <= now).values(due_at=until)
                ).rowcount
            if taken == 1:
                claimed.append(Unsent(row.id, row.channel, row.chat_id, row.delivery_id, row.replies))
        return claimed

    def purge(self, now: datetime | None = None) -> int:
        """Delete rows older than KEEP_REPLIES, unsent: what they said is no longer an answer."""
        now = now or datetime.now(UTC)
        with self.db.begin() as connection:
            return int(connection.execute(table.delete().where(table.c.created_at < now - KEEP_REPLIES)).rowcount)

    def count(self) -> int:
        with self.db.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def forget(connection: sa.Connection, key: str) -> None:
    """Delete the replies kept for the conversation ``key`` (``<channel>:<user id>``), in the caller's
    transaction: an erasure takes them too. Telegram and Zalo answer a person only in their own
    chat, so the row's chat id is the person's id. A worker still sending them goes on (its delete
    then finds nothing); those of a worker that died are never sent."""
    channel, _, chat_id = key.partition(":")
    connection.execute(table.delete().where(table.c.channel == channel, table.c.chat_id == chat_id))
