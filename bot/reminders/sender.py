"""Sends the deadline reminders that are due: a job on the app's scheduler (bot.jobs), run by
whichever worker leads, every minute.

- Only between 08:00 and 20:00 in Asia/Ho_Chi_Minh: nobody is woken by a reminder.
- Each row is claimed with a conditional UPDATE (a lease) before it is sent, so two workers — or
  two leaders overlapping during a hand-over — never send it twice; after a restart, rows whose
  lease ran out are picked up again, and rows already marked sent are not.
- Telegram: a normal message. A failed send (a blocked bot, a network error; 429s are waited out
  by the channel itself) is retried with growing pauses, then dropped.
- Zalo: a consultation message, which Zalo accepts only within 7 days of the person's last
  interaction (error -230 after that); a refused send is not retried but kept for the person's
  next message (bot.core.reminders shows it first in that reply).
- The web chat (and any channel that cannot push): kept for the person's next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import i18n
from bot.core.desk import Notice, Target
from bot.core.reminders import PUSHED_CHANNELS, notice
from bot.data.flows import FlowSet
from bot.notify import Notifier
from bot.reminders.sql import SqlReminderBook

log = logging.getLogger("bot.reminders")

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_HOUR, LAST_HOUR = 8, 20
"""Reminders go out from 08:00 up to (not including) 20:00, local time."""
MAX_ATTEMPTS = 4
"""Failed sends of one notice before the reminder is dropped."""
RETRY_BASE = timedelta(minutes=5)
"""The first pause after a failed send; each further failure doubles it (5, 10, 20 minutes)."""
LEASE = timedelta(minutes=5)
"""How long a claim on a row lasts: a worker that dies mid-send frees its rows after this."""
EVERY_SECONDS = 60.0


class ReminderSender:
    def __init__(self, book: SqlReminderBook, notifier: Notifier, flows: FlowSet,
                 count: Callable[[str, str], None] | None = None) -> None:  # fmt: skip
        self.book = book
        self.notifier = notifier
        self.flows = flows
        self.count = count or (lambda _channel, _outcome: None)  # /metrics: (channel, outcome)

    async def send_due(self, now: datetime | None = None) -> int:
        """Send what is due at ``now``; returns how many notices went out."""
        now = now or datetime.now(UTC)
        local = now.astimezone(ZONE)
        if not FIRST_HOUR <= local.hour < LAST_HOUR:
            return 0
        today = local.date()
        sent = 0
        while claimed := await self.book.claim_due(today, now, LEASE):
            for reminder in claimed:
                flow = self.flows.flows.get(reminder.flow)
                if flow is None:  # the guide was removed in a deploy: nothing to lead back to
                    await self.book.failed(reminder.id, now, None)
                    self.count(reminder.channel, "dropped")
                    continue
                if reminder.channel not in PUSHED_CHANNELS or not self.notifier.reaches(reminder.channel):
                    await self.book.hold(reminder.id)
                    self.count(reminder.channel, "waiting")
                    continue
                with i18n.use(reminder.lang):
                    message = notice(flow, reminder, today)
                delivered = await self.notifier.send([Notice(Target(reminder.channel, reminder.user_id), (message,))])
                if delivered:
                    await self.book.sent(reminder.id, today)
                    self.count(reminder.channel, "sent")
                    sent += 1
                elif reminder.channel == "zalo":  # outside the reply window: wait for them to write
                    await self.book.hold(reminder.id)
                    self.count(reminder.channel, "waiting")
                else:
                    attempts = await self.book.attempts(reminder.id) + 1
                    retry = RETRY_BASE * 2 ** (attempts - 1) if attempts < MAX_ATTEMPTS else None
                    await self.book.failed(reminder.id, now, retry)
                    self.count(reminder.channel, "retry" if retry else "dropped")
                    log.warning("reminder send failed channel=%s attempt=%d %s", reminder.channel, attempts,
                                "retrying" if retry else "dropped")  # fmt: skip
        if sent:
            log.info("deadline reminders sent=%d", sent)
        return sent
