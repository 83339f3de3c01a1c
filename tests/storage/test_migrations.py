"""Opening databases and migrating them with the migrations shipped inside the package."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.storage.db import create_db_engine, current_revision, head_revision, normalize_url, upgrade
from bot.storage.tables import conversations, metadata


def test_upgrade_creates_the_schema_in_an_empty_file(sqlite_url: str) -> None:
    """upgrade on a file that does not exist yet creates it, its folder and the tables."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    try:
        assert "conversations" in sa.inspect(engine).get_table_names()
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(sqlite_url: str) -> None:
    """A second upgrade leaves the revision and the data as they were."""
    engine = create_db_engine(sqlite_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(_row("telegram:1"))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            assert connection.execute(sa.select(conversations.c.key)).scalars().all() == ["telegram:1"]
    finally:
        engine.dispose()


def test_old_database_keeps_its_rows_after_upgrade(sqlite_url: str) -> None:
    """A database left at revision 0001 with a conversation keeps it when upgraded to head."""
    upgrade(sqlite_url, "0001")
    engine = create_db_engine(sqlite_url)
    try:
        assert current_revision(engine) == "0001"
        with engine.begin() as connection:
            connection.execute(_row("zalo:42", state='{"lang": "vi", "turns": 2}', version=7))
        upgrade(sqlite_url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            row = connection.execute(sa.select(conversations)).one()
        assert (row.key, row.state, row.version) == ("zalo:42", '{"lang": "vi", "turns": 2}', 7)
        assert row.updated_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    finally:
        engine.dispose()


def test_never_migrated_database_has_no_revision(tmp_path: Path) -> None:
    """current_revision is None for a database that was never migrated."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'blank.sqlite3'}")
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_migrations_match_the_tables_module(database_url: str) -> None:
    """The migrated schema equals bot.storage.tables: a table changed without a migration fails here."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_sqlite_engine_is_tuned_for_several_writers(sqlite_url: str) -> None:
    """SQLite connections use WAL, wait 5 s for a lock and sync NORMAL."""
    engine = create_db_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert Path(sqlite_url.removeprefix("sqlite:///")).parent.is_dir()
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_shared_between_threads() -> None:
    """An in-memory SQLite database is one database, whichever thread uses it."""
    engine = create_db_engine("sqlite://")
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_postgresql_urls_use_psycopg() -> None:
    """postgresql:// and postgres:// URLs are read as psycopg 3; explicit drivers are kept."""
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.sqlite3").drivername == "sqlite"


def _row(key: str, state: str = "{}", version: int = 1) -> sa.Insert:
    return conversations.insert().values(
        key=key, state=state, version=version, updated_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    )


def test_conversations_keep_no_index_on_their_save_time(database_url: str) -> None:
    """Every turn's save changes updated_at; an index on it cost each save a second B-tree write
    (0016). Only the daily purge reads it (its tests: tests/storage/test_state_store.py)."""
    engine = create_db_engine(database_url)
    try:
        assert "ix_conversations_updated_at" not in {i["name"] for i in sa.inspect(engine).get_indexes("conversations")}
    finally:
        engine.dispose()
