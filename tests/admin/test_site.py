"""The dashboard's background work: past days counted at start, phrasings from other workers picked up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from bot.admin.config import AdminConfig
from bot.admin.schema import admin_daily_people
from bot.admin.site import AdminSite
from bot.app import App
from bot.core.messages import Inbound
from tests.admin.conftest import FAST_HASHER
from tests.admin.data import TODAY, Clock

QUESTION = "ông cụ vừa về trời"  # "passed away", said kindly: not understood until taught


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never came true")


async def test_start_counts_past_days_and_stop_ends_the_work(seeded: AdminSite) -> None:
    """After start() every closed day of the longest period is counted; stop() leaves no task behind."""
    await seeded.start()

    def counted() -> int:
        with seeded.db.connect() as connection:
            query = sa.select(sa.func.count()).select_from(admin_daily_people).where(admin_daily_people.c.channel == "")
            return int(connection.execute(query).scalar_one())

    await wait_for(lambda: counted() == 399)
    with seeded.db.connect() as connection:
        days = connection.execute(sa.select(sa.func.max(admin_daily_people.c.day))).scalar_one()
    assert days == TODAY - timedelta(days=2)
    await seeded.stop()
    assert seeded._refresher is None
    assert seeded._warmer is None


async def test_a_phrasing_taught_elsewhere_arrives_by_itself(core: App, clock: Clock) -> None:
    """With a refresh every 50 ms, a phrasing another worker stored is answered without any call here."""
    config = AdminConfig(bootstrap=False, alias_refresh_seconds=0.05)
    site = AdminSite(core, core.settings, config, hasher=FAST_HASHER, clock=clock.now)
    await site.start()
    try:
        site.aliases.store("death_registration", QUESTION, "another-worker")  # written, not applied here

        async def answered() -> bool:
            turn = await core.engine.handle(Inbound("web", "x", QUESTION))
            return any(e.kind == "answered" for e in turn.events)

        assert not await answered()
        for _ in range(100):
            if await answered():
                break
            await asyncio.sleep(0.02)
        assert await answered()
    finally:
        await site.stop()
