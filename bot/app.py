"""Wiring: build the engine, the stores and the conversation service from the settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bot.conversations import Conversations
from bot.coord import connect_redis
from bot.coord.notices import Notices, build_notices
from bot.core.desk import Target
from bot.core.engine import Engine
from bot.core.ports import BaseStateStore, BaseUsageSink
from bot.core.reminders import ReminderTalk
from bot.data.communes import CommuneBook, load_communes
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge
from bot.helpdesk.service import HelpDeskUpkeep
from bot.helpdesk.sql import SqlHelpDesk
from bot.jobs import LocalLeader, Scheduler, build_leader
from bot.notify import Notifier
from bot.reminders.sender import EVERY_SECONDS, ReminderSender
from bot.reminders.sql import SqlReminderBook
from bot.settings import Settings
from bot.storage import deliveries
from bot.storage.db import create_db_engine, upgrade
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.unsent import UnsentReplies
from bot.usage import BatchedUsageSink, FanOutSink, build_usage_sink

if TYPE_CHECKING:
    from redis.asyncio import Redis  # the [redis] extra: imported only when TROLYSO_REDIS_URL is set


@cache
def build_engine() -> Engine:
    """The engine over the shipped knowledge base and flows, built once per process."""
    kb = load_knowledge()
    return Engine(kb, load_flows(kb.procedures))


@cache
def communes() -> CommuneBook:
    """knowledge/communes.yaml, read once per process."""
    return load_communes()


@dataclass
class App:
    settings: Settings
    engine: Engine
    db: sa.Engine
    store: BaseStateStore
    conversations: Conversations
    usage_log: BatchedUsageSink | None = None
    desk: SqlHelpDesk | None = None
    upkeep: HelpDeskUpkeep | None = None
    redis: Redis | None = None
    scheduler: Scheduler = field(default_factory=lambda: Scheduler(LocalLeader()))
    reminder_book: SqlReminderBook | None = None
    reminder_sender: ReminderSender | None = None
    notices: Notices = field(default_factory=Notices)

    async def start(self) -> None:
        """Background work: the usage log's writer (replaying its spool) in every worker, and the
        scheduled jobs (help-desk reminders, purges) in whichever worker leads."""
        if self.usage_log is not None:
            await self.usage_log.start()
        await self.notices.start()  # with Redis: hear other workers' pushes and taught phrasings
        await self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.stop()  # a job under way finishes; the leader lock is released
        if self.usage_log is not None:
            await self.usage_log.stop()  # writes (or spools) what is queued while the database is open
        await self.store.close()
        await self.notices.stop()
        if self.redis is not None:
            await self.redis.aclose()
        self.db.dispose()


def build_app(settings: Settings | None = None, usage: BaseUsageSink | None = None) -> App:
    """Everything a channel needs. The embedded SQLite default upgrades its own schema; a
    shared database (PostgreSQL) is upgraded on purpose with `trolyso db upgrade`."""
    settings = settings or Settings()
    db = create_db_engine(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        upgrade(db)
    # A short busy timeout: a SQLite write lock held by another process (a purge, a backup) sends
    # the turn to the in-memory cache at once instead of stalling the event loop for seconds.
    sql_store = SqlStateStore(db, ttl=timedelta(hours=settings.conversation_ttl_hours), busy_timeout_ms=100)
    store = ResilientStore(sql_store)  # answers through a database outage, writes back after
    usage_log = build_usage_sink(settings, db)  # ConfigError in production without TROLYSO_SECRET_KEY
    sinks = [sink for sink in (usage, usage_log) if sink is not None]
    combined = FanOutSink(*sinks) if len(sinks) > 1 else (sinks[0] if sinks else None)
    escalation = [Target(channel, chat) for channel, chat in settings.escalation_targets()]
    desk = SqlHelpDesk(db, escalation=escalation)
    book = communes()
    engine = build_engine().with_desk(desk, book, settings.help_retention_days)
    notifier = Notifier()
    upkeep = HelpDeskUpkeep(
        desk, notifier, book, engine.community.ctx.procedure_name,
        remind_after=timedelta(minutes=settings.help_remind_minutes),
        escalate_after=timedelta(minutes=settings.help_escalate_minutes),
        retention=timedelta(days=settings.help_retention_days),
        every_seconds=settings.help_sweep_seconds,
    )  # fmt: skip
    conversations = Conversations(engine, store, combined, notifier, desk)
    redis = connect_redis(settings.redis_url)
    scheduler = Scheduler(build_leader(settings.database_url, redis, settings.redis_prefix))
    upkeep.schedule(scheduler)
    if usage_log is not None:
        usage_log.schedule(scheduler)
    scheduler.add("conversations.purge", 3600.0, sql_store.purge_expired, first=60.0)
    scheduler.add("deliveries.purge", 3600.0, partial(asyncio.to_thread, deliveries.purge, db), first=60.0)
    # Also in the web app's unsent.resend job; here too for a process that runs no such job (long
    # polling, or a server whose webhook channels were switched off): a kept row never outlives 24 h.
    scheduler.add("unsent.purge", 3600.0, partial(asyncio.to_thread, UnsentReplies(db).purge), first=60.0)
    reminders = SqlReminderBook(db)
    engine.reminders = ReminderTalk(reminders, engine.runner)
    sender = ReminderSender(reminders, notifier, engine.runner.flows)
    scheduler.add("reminders", EVERY_SECONDS, sender.send_due, first=EVERY_SECONDS / 2)
    notices = build_notices(redis, settings.redis_prefix)
    return App(settings, engine, db, store, conversations, usage_log, desk, upkeep, redis, scheduler, reminders, sender,
               notices)  # fmt: skip
