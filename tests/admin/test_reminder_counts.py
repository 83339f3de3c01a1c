"""The overview shows how many deadline reminders were set, sent, cancelled and led people back."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.admin.site import AdminSite
from bot.reminders.sql import SqlReminderBook
from bot.storage.tables import reminders
from tests.admin.conftest import login
from tests.admin.data import NOW, TODAY


async def test_the_overview_counts_reminders(seeded: AdminSite, client: httpx.AsyncClient) -> None:
    """Two set, one cancelled, one sent and opened: the note on the overview says so."""
    with seeded.db.begin() as connection:  # PostgreSQL's database is shared by the run's tests
        connection.execute(reminders.delete())
    book = SqlReminderBook(seeded.db, clock=lambda: NOW)
    one = await book.add("telegram", "1", "birth_registration", TODAY.replace(month=12, day=20), "vi", TODAY)
    two = await book.add("zalo", "2", "birth_registration", TODAY.replace(month=12, day=20), "vi", TODAY)
    await book.cancel(two.id, "zalo", "2")
    [claimed] = await book.claim_due(TODAY.replace(month=12, day=17), NOW, timedelta(minutes=5))
    await book.sent(claimed.id, TODAY.replace(month=12, day=17))
    await book.came_back(one.id, "telegram", "1")
    assert (await login(client, "chi.lan")).status_code == 303
    page = await client.get("/admin")
    assert "Nhắc hạn: 2 lời nhắc được đặt, 1 đã gửi, 1 bị huỷ, 1 lần người dân quay lại" in page.text
