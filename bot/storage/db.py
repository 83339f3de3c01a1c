"""Opening the database and bringing its schema up to date.

The same code runs on SQLite (one process, a commune or a pilot) and PostgreSQL (several
workers); only the URL in the settings differs. Migrations ship inside the package, so an
installed wheel can upgrade its database without the source tree or an ``alembic.ini``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from bot.extras import require
from bot.storage.private import private_file

log = logging.getLogger("bot.storage")

MIGRATIONS = Path(__file__).with_name("migrations")

# An arbitrary constant: the PostgreSQL advisory lock that stops two workers starting at the
# same moment from running the same migration twice.
_MIGRATION_LOCK = 7_146_251_001


def normalize_url(url: str) -> URL:
    """Parse ``url``; ``postgresql://`` and ``postgres://`` mean psycopg 3, our only PG driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_db_engine(url: str) -> sa.Engine:
    """An engine for any SQLAlchemy URL, tuned for SQLite when the URL is SQLite."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        require("postgres", "TROLYSO_DATABASE_URL (PostgreSQL)")
    return sa.create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> sa.Engine:
    database = url.database or ""
    if database in ("", ":memory:") or "mode=memory" in database:
        # One shared connection, or every thread would see its own empty database.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if not database.startswith("file:"):
            # 0600 in a 0700 folder; SQLite gives its -wal and -shm files the database's mode.
            private_file(Path(database))
        # No pre-ping: a local file cannot drop the connection, and the ping doubles each query.
        engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


SQLITE_BUSY_MS = 5000
"""How long a writer waits for SQLite's write lock before failing (every connection of the engine)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while one worker writes; busy_timeout makes a writer wait for the lock
    # instead of failing at once; NORMAL sync is safe with WAL and much faster than FULL.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite, on everywhere else
    finally:
        cursor.close()


def alembic_config() -> Config:
    """Alembic configuration built in code, pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(url_or_engine: str | sa.Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision``; a database already there is left untouched."""
    engine = create_db_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        config = alembic_config()
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at, or None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest migration this version of the code knows (for health checks)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
