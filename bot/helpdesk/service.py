"""Upkeep of the help desk in each worker: requests nobody took are reminded, then escalated to the
province; personal fields are blanked after the retention time. Workers share the work through the
database (each reminder is taken by one of them), so running several never doubles a message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from bot.core import i18n
from bot.core.community import announcement
from bot.core.desk import Notice, Ticket
from bot.core.messages import Outbound
from bot.data.communes import CommuneBook
from bot.helpdesk.sql import SqlHelpDesk
from bot.notify import Notifier
from bot.storage.outbox import Outbox

log = logging.getLogger("bot.helpdesk")

PURGE_EVERY = 3600.0


class HelpDeskUpkeep:
    def __init__(self, desk: SqlHelpDesk, notifier: Notifier, communes: CommuneBook,
                 procedure_name: Callable[[str], str], remind_after: timedelta, escalate_after: timedelta,
                 retention: timedelta, every_seconds: float = 60.0) -> None:  # fmt: skip
        self.desk = desk
        self.notifier = notifier
        self.communes = communes
        self.procedure_name = procedure_name
        self.remind_after = remind_after
        self.escalate_after = escalate_after
        self.retention = retention
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        since_purge = PURGE_EVERY  # purge soon after start, then hourly
        while True:
            await asyncio.sleep(self.every_seconds)
            try:
                await self.sweep()
                since_purge += self.every_seconds
                if since_purge >= PURGE_EVERY:
                    since_purge = 0.0
                    blanked = await asyncio.to_thread(self.desk.purge, self.retention)
                    if blanked:
                        log.info("help requests past retention blanked count=%d", blanked)
                    await asyncio.to_thread(Outbox(self.desk.db, "").purge)
            except Exception:  # the database may be down; the next round tries again
                log.exception("help desk upkeep failed")

    async def sweep(self) -> tuple[int, int]:
        """Remind and escalate what is due; returns (reminded, escalated)."""
        remind, escalate = await self.desk.due(self.remind_after, self.escalate_after)
        notices: list[Notice] = []
        with i18n.use(i18n.DEFAULT_LANGUAGE):
            for ticket in remind:
                routes = await self.desk.routes(ticket.commune)
                message = self._announcement(ticket, "reminder")
                notices += [Notice(t, (message,)) for t in routes.targets]
            for ticket in escalate:
                routes = await self.desk.routes(ticket.commune)
                message = self._announcement(ticket, "escalated")
                notices += [Notice(t, (message,)) for t in routes.escalation]
        if notices:
            await self.notifier.send(notices)
        if remind or escalate:
            log.info("help requests reminded=%d escalated=%d", len(remind), len(escalate))
        return len(remind), len(escalate)

    def _announcement(self, ticket: Ticket, kind: str) -> Outbound:
        commune = self.communes.get(ticket.commune) if ticket.commune else None
        return announcement(ticket, commune.full_name if commune else ticket.commune, self.procedure_name, kind)
