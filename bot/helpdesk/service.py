"""Upkeep of the help desk in each worker: requests nobody took are reminded, then escalated to the
province; personal fields are blanked after the retention time. The leading worker runs it
(:mod:`bot.jobs`), and each reminder is claimed in the database, so even two leaders overlapping
during a hand-over never double a message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from bot.core import i18n
from bot.core.desk import Notice, Ticket
from bot.core.help_texts import announcement
from bot.core.messages import Outbound
from bot.data.communes import CommuneBook
from bot.helpdesk.sql import SqlHelpDesk
from bot.jobs import Scheduler
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

    def schedule(self, scheduler: Scheduler) -> None:
        """Add the upkeep to the app's scheduler: it runs in the leading worker only."""
        scheduler.add("helpdesk.sweep", self.every_seconds, self.sweep, first=self.every_seconds)
        scheduler.add("helpdesk.purge", PURGE_EVERY, self.purge, first=self.every_seconds)

    async def purge(self) -> int:
        """Blank personal fields past the retention time, and drop stale web chat messages."""
        blanked = await asyncio.to_thread(self.desk.purge, self.retention)
        if blanked:
            log.info("help requests past retention blanked count=%d", blanked)
        await asyncio.to_thread(Outbox(self.desk.db, "").purge)
        return blanked

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
