"""Databases for the storage tests: a SQLite file per test, one throwaway PostgreSQL database per run.

PostgreSQL tests skip when no server answers, unless ``TROLYSO_REQUIRE_SERVICES=1`` (CI), where
a missing server is a failure: a green CI run must have exercised PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import create_db_engine, normalize_url, upgrade
from bot.storage.tables import conversations

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a new, migrated PostgreSQL database, dropped after the test session."""
    admin_url = normalize_url(os.environ.get("TROLYSO_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    if "connect_timeout" not in admin_url.query:
        admin_url = admin_url.update_query_dict({"connect_timeout": "3"})
    shown = admin_url.render_as_string(hide_password=True)
    try:
        admin = create_db_engine(admin_url.render_as_string(hide_password=False))
        with admin.connect():
            pass
    except (SQLAlchemyError, ImportError) as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        message = f"PostgreSQL not reachable at {shown}: {reason}"
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    name = f"trolyso_test_{uuid.uuid4().hex[:12]}"
    autocommit = admin.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with autocommit.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet, in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'var' / 'trolyso.sqlite3'}"


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, sqlite_url: str) -> Callable[[str], str]:
    """Gives the URL of a migrated, empty database of a kind: ``"sqlite"`` or ``"postgres"``."""

    def make(kind: str) -> str:
        if kind == "sqlite":
            upgrade(sqlite_url)
            return sqlite_url
        url: str = request.getfixturevalue("postgres_database")
        engine = create_db_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.delete(conversations))
        finally:
            engine.dispose()
        return url

    return make


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, fresh_database: Callable[[str], str]) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database."""
    kind: str = request.param
    return fresh_database(kind)


# --- the assistant over the shipped data ---------------------------------------------------------
from bot.core.engine import Engine  # noqa: E402
from bot.core.reminders import ReminderTalk  # noqa: E402
from bot.data.flows import FlowSet, load_flows  # noqa: E402
from bot.data.knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from bot.reminders.memory import MemoryReminderBook  # noqa: E402

TODAY = __import__("datetime").date(2026, 11, 23)
"""Tests run on a fixed date so deadline branches ("registered after 60 days") are stable."""


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def flows(kb: KnowledgeBase) -> FlowSet:
    return load_flows(kb.procedures)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase, flows: FlowSet) -> Engine:
    """The real engine on the real knowledge base and flows, with today fixed to TODAY, and an
    in-memory reminder book as the app gives it one (so "Nhắc tôi trước hạn" is offered, as on
    every channel); tests of reminders themselves use a copy with a book of their own."""
    engine = Engine(kb, flows, today=lambda: TODAY)
    engine.reminders = ReminderTalk(MemoryReminderBook(), engine.runner)
    return engine
