"""Messages waiting for a chat the server cannot push to: the web chat page asks for them.

Each row is one message for one chat; fetching deletes what it returns (in the same transaction,
so two tabs never both show a message), and rows nobody fetched go after ``MAX_AGE``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.storage.tables import outbox

MAX_AGE = timedelta(days=7)
"""A message left this long is stale (the request it spoke of has moved on): purge it."""


def forget(connection: sa.Connection, key: str) -> None:
    """Delete the messages waiting for the conversation ``key`` (``<channel>:<user id>``), in the
    caller's transaction: an erasure takes them too — the web chat's (channel ``web``) and those a
    channel holds back under its own name (``zalo-later``: Zalo's rate limit)."""
    channel, _, chat_id = key.partition(":")
    connection.execute(outbox.delete().where(
        outbox.c.chat_id == chat_id, sa.or_(outbox.c.channel == channel, outbox.c.channel.like(f"{channel}-%"))
    ))  # fmt: skip


class Outbox:
    def __init__(self, db: sa.Engine, channel: str) -> None:
        self.db = db
        self.channel = channel

    async def put(self, chat_id: str, bodies: Sequence[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        rows = [{"channel": self.channel, "chat_id": chat_id, "created_at": now,
                 "body": json.dumps(body, ensure_ascii=False)} for body in bodies]  # fmt: skip

        def work() -> None:
            with self.db.begin() as conn:
                conn.execute(outbox.insert(), rows)

        if rows:
            await asyncio.to_thread(work)

    async def take(self, chat_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The chat's waiting messages, oldest first, removed from the outbox."""

        def work() -> list[dict[str, Any]]:
            with self.db.begin() as conn:
                rows = conn.execute(sa.select(outbox.c.id, outbox.c.body).where(
                    outbox.c.channel == self.channel, outbox.c.chat_id == chat_id,
                ).order_by(outbox.c.id).limit(limit)).all()  # fmt: skip
                if not rows:
                    return []
                gone = conn.execute(outbox.delete().where(outbox.c.id.in_([r.id for r in rows])))
                if gone.rowcount != len(rows):  # another request took them first
                    raise _Raced
                return [json.loads(r.body) for r in rows]

        try:
            return await asyncio.to_thread(work)
        except _Raced:
            return []

    def purge(self, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - MAX_AGE
        with self.db.begin() as conn:
            return int(conn.execute(outbox.delete().where(outbox.c.created_at < cutoff)).rowcount)


class _Raced(Exception):
    """Two fetches of one chat at once: the transaction that lost rolls back and returns nothing."""
