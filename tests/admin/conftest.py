"""The dashboard over a real database (SQLite, or PostgreSQL when it answers), a fresh engine,
fixed clocks and a client speaking HTTP to the ASGI app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bot.admin.config import AdminConfig
from bot.admin.schema import admin_audit, admin_daily_people, admin_users, inbox_dismissals, learned_aliases
from bot.admin.site import AdminSite
from bot.app import App
from bot.conversations import Conversations
from bot.core.engine import Engine
from bot.data.flows import FlowSet
from bot.data.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.storage.tables import COMMUNITY_TABLES, usage_daily, usage_events
from tests.admin.data import NOW, TODAY, Clock, seed
from tests.conftest import TODAY as ENGINE_TODAY

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
"""Argon2 with small costs: the same algorithm and checks, a thousandth of the waiting."""
PASSWORD = "mat-khau-dai-1"
OUR_TABLES = (usage_events, usage_daily, admin_users, admin_audit, learned_aliases, inbox_dismissals, admin_daily_people,
              *COMMUNITY_TABLES)  # fmt: skip
"""Emptied in this order (the help desk's children before the volunteers they point at)."""

assert TODAY == ENGINE_TODAY


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def admin_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A database at head with empty usage and dashboard tables: a new SQLite file, or the
    session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        upgrade(sqlite_url)
        yield sqlite_url
        return
    url: str = request.getfixturevalue("postgres_database")
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for table in OUR_TABLES:
                connection.execute(sa.delete(table))
        yield url
    finally:
        engine.dispose()


@pytest.fixture
def fresh_engine(kb: KnowledgeBase, flows: FlowSet) -> Engine:
    """An engine of its own: teaching phrasings changes its matcher, so it is never the shared one."""
    return Engine(kb, flows, today=lambda: ENGINE_TODAY)


@pytest.fixture
async def core(admin_url: str, fresh_engine: Engine) -> AsyncIterator[App]:
    settings = Settings(database_url=admin_url, secret_key="test-secret-key-for-the-dashboard", channels="web")
    db = create_db_engine(admin_url)
    store = SqlStateStore(db, ttl=timedelta(hours=settings.conversation_ttl_hours))
    app = App(settings, fresh_engine, db, store, Conversations(fresh_engine, store))
    yield app
    await app.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def site(core: App, clock: Clock) -> AdminSite:
    """The dashboard with throttling after 3 wrong passwords, 8-hour sessions, no bootstrap admin."""
    config = AdminConfig(login_attempts=3, lockout_seconds=30, bootstrap=False, alias_refresh_seconds=0)
    return AdminSite(core, core.settings, config, hasher=FAST_HASHER, clock=clock.now, timer=clock.epoch)


@pytest.fixture
def seeded(site: AdminSite) -> AdminSite:
    """The dashboard over the scripted events of tests/admin/data.py, with an admin and a volunteer."""
    seed(site.db)
    site.accounts.create("chi.lan", PASSWORD, "admin")
    site.accounts.create("anh.tuan", PASSWORD, "volunteer", "Xã Tân Phú")
    return site


@pytest.fixture
async def client(site: AdminSite) -> AsyncIterator[httpx.AsyncClient]:
    from starlette.applications import Starlette

    app = Starlette(routes=site.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Open the login form and submit it, as a browser would."""
    form = await client.get("/admin/login")
    token = csrf_of(form.text)
    return await client.post("/admin/login", data={"username": username, "password": password, "csrf": token,
                                                   "next": "/admin"})  # fmt: skip


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
