"""An in-memory reminder book for tests of the conversation (one process, nothing kept)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

from bot.core.ports import BaseReminderBook, Reminder

OPEN = ("active", "waiting")


class MemoryReminderBook(BaseReminderBook):
    def __init__(self) -> None:
        self.rows: dict[int, Reminder] = {}
        self.returned: set[int] = set()
        self._ids = itertools.count(1)

    async def add(self, channel: str, user_id: str, flow: str, due: date, lang: str, today: date) -> Reminder:
        for row in self.rows.values():
            if (row.channel, row.user_id, row.flow, row.due) == (channel, user_id, flow, due) and row.status in OPEN:
                return row
        row = Reminder(next(self._ids), channel, user_id, flow, due, lang)
        self.rows[row.id] = row
        return row

    async def of_person(self, channel: str, user_id: str) -> list[Reminder]:
        mine = [r for r in self.rows.values() if (r.channel, r.user_id) == (channel, user_id) and r.status in OPEN]
        return sorted(mine, key=lambda r: (r.due, r.id))

    async def cancel(self, reminder_id: int, channel: str, user_id: str) -> bool:
        row = self.rows.get(reminder_id)
        if row is None or (row.channel, row.user_id) != (channel, user_id) or row.status not in OPEN:
            return False
        self.rows[reminder_id] = replace(row, status="cancelled")
        return True

    async def take_waiting(self, channel: str, user_id: str) -> list[Reminder]:
        waiting = [r for r in await self.of_person(channel, user_id) if r.status == "waiting"]
        for row in waiting:
            self.rows[row.id] = replace(row, status="done")
        return waiting

    async def came_back(self, reminder_id: int, channel: str, user_id: str) -> None:
        row = self.rows.get(reminder_id)
        if row is not None and (row.channel, row.user_id) == (channel, user_id):
            self.returned.add(reminder_id)

    async def forget(self, channel: str, user_id: str) -> int:
        mine = [i for i, r in self.rows.items() if (r.channel, r.user_id) == (channel, user_id)]
        for i in mine:
            del self.rows[i]
        return len(mine)

    def hold(self, reminder_id: int) -> None:
        """What the sender does when it cannot push: the reminder waits for the next message."""
        self.rows[reminder_id] = replace(self.rows[reminder_id], status="waiting")
