"""Alembic entry point: migrates the connection that :func:`bot.storage.db.upgrade` hands over.

Without one (the ``alembic`` command line with ``sqlalchemy.url`` set), it opens its own engine
the way the application does, so SQLite pragmas and URL rewriting match.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.storage.db import create_db_engine
from bot.storage.tables import metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database to migrate: call bot.storage.db.upgrade(url) or set sqlalchemy.url")
    engine = create_db_engine(url)
    try:
        with engine.begin() as own:
            _migrate(own)
    finally:
        engine.dispose()


_run()
