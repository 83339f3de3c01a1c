"""Replies a webhook acknowledged before they left are sent even if the worker dies.

Zalo's webhook answers 200 within 1.5 s and Telegram's within 10 s, whether or not the turn's
replies have reached the platform; neither delivers an update again after a 200. So at that moment,
and only then (``ok_unsent`` on /metrics), :meth:`LateReplies.keep` writes the replies still to go
to the database (:mod:`bot.storage.unsent`); when the turn's task is done sending,
:meth:`LateReplies.finished` deletes the row. A turn answered after its sends writes nothing.

A worker killed in between leaves its rows. :meth:`LateReplies.resend_due`, a job on the app's
scheduler (the leading worker only, at start-up and every few seconds), sends each row older than
``unsent_resend_after_seconds`` through its channel's normal send path (the person's send line),
then deletes it. The worker that wrote a row pushes its due time forward while it is alive and
still sending, so a slow but living send (a long flood wait, a backlog in the person's line) is
never sent twice by another worker. A crash between a send and the delete sends that reply again
on recovery: at least once, not exactly once, for these replies only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.core.messages import Outbound
from bot.storage.deliveries import Delivery, Outgoing, decode, encode
from bot.storage.unsent import Unsent, UnsentReplies

log = logging.getLogger("bot.late")

Resender = Callable[[str, Sequence[Outbound], str], Awaitable[None]]
"""A channel's send path for kept replies: (chat id, replies, delivery id). Raising keeps the row."""

AFTER = 60.0
"""Seconds before another worker sends kept replies (setting ``unsent_resend_after_seconds``)."""
KEEP_WITHIN = 0.3
"""Seconds the webhook waits for the row to be written before it answers 200 regardless."""


class LateReplies:
    def __init__(self, db: sa.Engine, after: float = AFTER) -> None:
        self.rows = UnsentReplies(db)
        self.after = after
        self._resenders: dict[str, Resender] = {}
        self._live: set[int] = set()  # rows this worker wrote and is still sending
        self._renewing: asyncio.Task[None] | None = None

    def register(self, channel: str, resend: Resender) -> None:
        """``channel`` is up and can send kept replies (rows of others wait for theirs)."""
        self._resenders[channel] = resend

    # --- the worker that gave the 200 ----------------------------------------------------------

    async def keep(self, channel: str, delivery: Delivery) -> None:
        """The webhook answers 200 now, before the turn's replies all left: write those still to go."""
        out = delivery.outgoing
        if out is None or out.finished or out.kept is not None:
            return
        replies = encode(out.replies[out.sent:]) if out.replies is not None else delivery.replies
        if not replies or not decode(replies):
            return
        now = datetime.now(UTC)
        due = now + timedelta(seconds=self.after)
        out.kept = asyncio.create_task(self._write(channel, out.chat_id, delivery.id, replies, now, due))
        await asyncio.wait({out.kept}, timeout=KEEP_WITHIN)

    async def _write(self, channel: str, chat_id: str, delivery_id: str, replies: str, now: datetime,
                     due: datetime) -> int | None:  # fmt: skip
        try:
            row = await asyncio.to_thread(self.rows.keep, channel, chat_id, delivery_id, replies, now, due)
        except Exception:  # a database outage: the replies go on in memory, as before
            log.exception("unsent replies not kept channel=%s", channel)
            return None
        self._live.add(row)
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.create_task(self._renew())
        return row

    async def finished(self, out: Outgoing | None) -> None:
        """The turn's task is done with its replies (sent, or given up on): delete the row if one
        was written. Not called when the task is cancelled: a stopped worker leaves the row."""
        if out is None:
            return
        out.finished = True
        if out.kept is None:
            return  # the hot path: no row, no statement
        row = await out.kept
        if row is None:
            return
        self._live.discard(row)
        try:
            await asyncio.to_thread(self.rows.drop, row)
        except Exception:  # left behind: sent again once due (at least once)
            log.exception("sent replies not deleted row=%d", row)

    async def _renew(self) -> None:
        """While this worker still has rows it is sending, keep another worker from taking them."""
        while self._live:
            await asyncio.sleep(self.after / 3)
            try:
                due = datetime.now(UTC) + timedelta(seconds=self.after)
                await asyncio.to_thread(self.rows.renew, set(self._live), due)
            except Exception:
                log.exception("unsent replies not renewed")

    async def close(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing

    # --- recovery, in the leading worker -------------------------------------------------------

    async def resend_due(self) -> int:
        """Send the kept replies that are due (a worker died before sending them), each person's in
        the order they were kept, then delete them. Returns how many rows were sent."""
        now = datetime.now(UTC)
        await asyncio.to_thread(self.rows.purge, now)
        sent = 0
        while True:
            now = datetime.now(UTC)
            until = now + timedelta(seconds=self.after)
            claimed = await asyncio.to_thread(self.rows.claim, set(self._resenders), now, until)
            if not claimed:
                return sent
            people: dict[tuple[str, str], list[Unsent]] = {}
            for row in claimed:
                people.setdefault((row.channel, row.chat_id), []).append(row)
            done = await asyncio.gather(*(self._resend(rows) for rows in people.values()))
            sent += sum(done)
            if len(claimed) < 50:
                return sent

    async def _resend(self, rows: list[Unsent]) -> int:
        sent = 0
        for row in rows:
            try:
                await self._resenders[row.channel](row.chat_id, decode(row.replies), row.delivery_id)
            except Exception:  # tried again once the claim runs out
                log.exception("kept replies not sent channel=%s row=%d", row.channel, row.id)
                return sent
            await asyncio.to_thread(self.rows.drop, row.id)
            log.info("kept replies sent after a worker stopped channel=%s row=%d", row.channel, row.id)
            sent += 1
        return sent
