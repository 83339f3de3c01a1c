"""Alembic migrations for :mod:`bot.storage.tables`; run them with :func:`bot.storage.db.upgrade`."""
