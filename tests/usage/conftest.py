"""Usage-log fixtures: migrated databases of each kind, a spool path, a private PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.db import create_db_engine, upgrade
from tests.usage.helpers import wipe
from tests.usage.private_postgres import PrivatePostgres, Unavailable


@pytest.fixture
def usage_database(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Callable[[str], sa.Engine]]:
    """Gives a migrated database of a kind (``"sqlite"`` or ``"postgres"``) with empty usage tables."""
    engines: list[sa.Engine] = []

    def make(kind: str) -> sa.Engine:
        url = sqlite_url if kind == "sqlite" else request.getfixturevalue("postgres_database")
        if kind == "sqlite":
            upgrade(url)
        engine = create_db_engine(url)
        engines.append(engine)
        wipe(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def usage_db(request: pytest.FixtureRequest, usage_database: Callable[[str], sa.Engine]) -> sa.Engine:
    """A migrated database with empty usage tables: a fresh SQLite file, or the session's PostgreSQL."""
    kind: str = request.param
    return usage_database(kind)


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[sa.Engine]:
    """A migrated SQLite database."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def spool_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "usage-spool.jsonl"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own, started; skipped when it cannot be had here."""
    try:
        server = PrivatePostgres.create()
    except Unavailable as exc:
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"private PostgreSQL unavailable: {exc}")
        pytest.skip(f"private PostgreSQL unavailable: {exc}")
    try:
        server.start()
        yield server
    finally:
        server.destroy()
