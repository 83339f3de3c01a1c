"""Migration 0004 upgrades a database in use (at 0003, with data) and keeps every row."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import (
    alembic_config,
    create_db_engine,
    current_revision,
    head_revision,
    normalize_url,
    upgrade,
)
from tests.admin.data import D1, row
from tests.conftest import DEFAULT_POSTGRES_URL

NEW_TABLES = {"admin_users", "admin_audit", "learned_aliases", "admin_daily_people"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """An empty database of its own: a new SQLite file or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    admin_url = normalize_url(os.environ.get("TROLYSO_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    admin = create_db_engine(admin_url.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT")  # fmt: skip
    name = f"trolyso_migrate_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except SQLAlchemyError as exc:
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_an_old_database_keeps_its_data(blank_url: str) -> None:
    """Conversations, usage events and daily counts written at 0003 are all there after the upgrade,
    the dashboard's tables are new and empty, and a downgrade back to 0003 keeps the data too."""
    upgrade(blank_url, "0003")
    engine = create_db_engine(blank_url)
    try:
        when = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        event = row(D1, "zalo", "Xã Tân Phú", "p1", "question", "vneid", "kich hoat vneid")
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO conversations (key, state, version, updated_at) "
                                       "VALUES ('zalo:1', '{}', 3, :t)"), {"t": when})  # fmt: skip
            connection.execute(sa.table("usage_events", *(sa.column(c) for c in event)).insert(), [event])
            connection.execute(sa.text("INSERT INTO usage_daily VALUES (:d, 'zalo', 'Xã Tân Phú', 'question', "
                                       "'vneid', 1)"), {"d": D1})  # fmt: skip
        upgrade(blank_url)
        assert current_revision(engine) == head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert tables >= NEW_TABLES
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT key, version FROM conversations")).all() == [("zalo:1", 3)]
            assert connection.execute(sa.text("SELECT person, text FROM usage_events")).all() == [
                ("p1", "kich hoat vneid")]  # fmt: skip
            assert connection.execute(sa.text("SELECT count FROM usage_daily")).scalar_one() == 1
            for table in NEW_TABLES:
                assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert NEW_TABLES.isdisjoint(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM usage_events")).scalar_one() == 1
    finally:
        engine.dispose()


def test_the_migration_creates_what_the_dashboard_declares(blank_url: str) -> None:
    """Each dashboard table of bot.admin.schema has, after migrating, exactly the declared columns."""
    from bot.admin import schema

    upgrade(blank_url)
    engine = create_db_engine(blank_url)
    try:
        inspector = sa.inspect(engine)
        for table in (schema.admin_users, schema.admin_audit, schema.learned_aliases, schema.admin_daily_people):
            columns = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert set(columns) == set(table.c.keys()), table.name
            for column in table.c:
                assert columns[column.name]["nullable"] == column.nullable, f"{table.name}.{column.name}"
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("admin_users")}
        assert ("username",) in uniques
    finally:
        engine.dispose()


def test_the_schema_snippet_for_tables_py_matches_the_migration(blank_url: str) -> None:
    """With the dashboard's tables added to bot.storage.tables (as the report proposes), Alembic
    finds no difference in them between that metadata and a migrated database."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.admin import schema
    from bot.storage.tables import metadata

    combined = sa.MetaData(naming_convention=metadata.naming_convention)
    ours = (schema.admin_users, schema.admin_audit, schema.learned_aliases, schema.admin_daily_people)
    for table in (*metadata.tables.values(), *(t for t in ours if t.name not in metadata.tables)):
        table.to_metadata(combined)
    upgrade(blank_url)
    engine = create_db_engine(blank_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, combined)
    finally:
        engine.dispose()
    assert [d for d in diffs if any(name in repr(d) for name in NEW_TABLES)] == []


def test_0011_adds_the_dismissals_and_keeps_every_event(blank_url: str) -> None:
    """A database at 0010 with usage events and a taught phrasing upgrades to 0011:
    the new table is there and empty, nothing else changed; back down to 0010 it goes, data kept."""
    from bot.admin.schema import inbox_dismissals

    upgrade(blank_url, "0010")
    engine = create_db_engine(blank_url)
    try:
        event = row(D1, "zalo", "nghean.xa-tan-phu", "p1", "not_understood", None, "asdfgh")
        with engine.begin() as connection:
            connection.execute(sa.table("usage_events", *(sa.column(c) for c in event)).insert(), [event])
            connection.execute(sa.text("INSERT INTO learned_aliases (procedure, text, created_by, created_at) "
                                       "VALUES ('vneid', 'app định danh', 'chi.lan', :t)"),
                               {"t": datetime(2026, 3, 1, tzinfo=UTC)})  # fmt: skip
        assert "inbox_dismissals" not in sa.inspect(engine).get_table_names()
        upgrade(blank_url, "0011")
        assert current_revision(engine) == "0011"
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("inbox_dismissals")}
        assert set(columns) == set(inbox_dismissals.c.keys())
        assert {tuple(u["column_names"]) for u in sa.inspect(engine).get_unique_constraints("inbox_dismissals")} == {
            ("text",)}  # fmt: skip
        with engine.begin() as connection:
            assert connection.execute(sa.text("SELECT text FROM usage_events")).scalars().all() == ["asdfgh"]
            assert connection.execute(sa.text("SELECT count(*) FROM inbox_dismissals")).scalar_one() == 0
            connection.execute(inbox_dismissals.insert().values(text="asdfgh", created_by="chi.lan",
                                                                created_at=datetime(2026, 3, 2, tzinfo=UTC)))  # fmt: skip
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0010")
        assert "inbox_dismissals" not in sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM usage_events")).scalar_one() == 1
            assert connection.execute(sa.text("SELECT text FROM learned_aliases")).scalar_one() == "app định danh"
    finally:
        engine.dispose()


def test_0012_adds_the_missing_papers_and_keeps_every_session(blank_url: str) -> None:
    """A database at 0011 with a volunteer and an assisted session upgrades to 0012:
    the new table is there and empty, the session is kept; a paper row goes with its session's id;
    back down to 0011 the table goes, the session stays."""
    from bot.storage.tables import assist_missing_papers

    upgrade(blank_url, "0011")
    engine = create_db_engine(blank_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO volunteers (name, team, commune, phone, active, created_at, created_by) "
                                       "VALUES ('An', 'Tổ 1', NULL, NULL, true, :t, 'admin')"), {"t": datetime(2026, 3, 1, tzinfo=UTC)})
            volunteer = connection.execute(sa.text("SELECT id FROM volunteers")).scalar_one()
            connection.execute(sa.text("INSERT INTO assist_sessions (volunteer_id, channel, started_at, outcome) "
                                       "VALUES (:v, 'zalo', :t, 'unfinished')"), {"v": volunteer, "t": datetime(2026, 3, 1, tzinfo=UTC)})
        assert "assist_missing_papers" not in sa.inspect(engine).get_table_names()
        upgrade(blank_url, "0012")
        assert current_revision(engine) == "0012"
        assert {c["name"] for c in sa.inspect(engine).get_columns("assist_missing_papers")} == set(assist_missing_papers.c.keys())
        with engine.begin() as connection:
            session = connection.execute(sa.text("SELECT id FROM assist_sessions")).scalar_one()
            connection.execute(assist_missing_papers.insert().values(session_id=session, procedure="vneid", paper_key="abcd1234",
                                                                     paper="Điện thoại có số thuê bao đứng tên mình"))  # fmt: skip
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        assert "assist_missing_papers" not in sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT outcome FROM assist_sessions")).scalar_one() == "unfinished"
    finally:
        engine.dispose()


def test_0013_rekeys_the_dismissals_by_their_folded_text(blank_url: str) -> None:
    """Dismissals made at 0012 (keyed by case-folded text) are re-keyed as the matcher folds text;
    rows that now name one question become one, the oldest; a text with no letters keeps its key;
    the inbox then finds every spelling; back down to 0012 the rows stay."""
    from bot.admin.dismissals import InboxDismissals

    upgrade(blank_url, "0012")
    engine = create_db_engine(blank_url)
    # As 0012's code stored them: casefold and spaces collapsed, nothing else.
    old = ["làm cccd ở đâu", "asdfgh", "lam cccd o dau???", "😀😀", "lam cccd o dau", "~1", "alo   alo!!"]
    old = [" ".join(t.casefold().split()) for t in old]
    try:
        with engine.begin() as connection:
            for n, text in enumerate(old):
                connection.execute(sa.text("INSERT INTO inbox_dismissals (text, created_by, created_at) "
                                           "VALUES (:x, 'chi.lan', :t)"), {"x": text, "t": datetime(2026, 3, 1 + n, tzinfo=UTC)})  # fmt: skip
            ids = {text: id_ for text, id_ in connection.execute(sa.text("SELECT text, id FROM inbox_dismissals"))}
        upgrade(blank_url, "0013")
        assert current_revision(engine) == "0013"
        keys = InboxDismissals(engine).keys()
        assert keys == {"lam cccd o dau": ids["làm cccd ở đâu"], "asdfgh": ids["asdfgh"], "😀😀": ids["😀😀"],
                        "1": ids["~1"], "alo alo": ids["alo alo!!"]}  # fmt: skip
        assert InboxDismissals(engine).dismiss(["Lam CCCD o dau", "LÀM cccd ở ĐÂU ???", "ALO ALO"], "x") == []
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0012")
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM inbox_dismissals")).scalar_one() == 5
    finally:
        engine.dispose()
