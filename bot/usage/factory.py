"""Building the usage log from the settings.

The settings below are read with defaults until they join :class:`bot.settings.Settings`
(name, default, meaning):

- ``usage_log`` (True): keep the usage log in the database.
- ``usage_spool_path`` (``usage-spool.jsonl`` beside the SQLite database, else ``var/``): events
  wait there while the database is unreachable.
- ``usage_key_file`` (``usage.key`` beside the SQLite database, else ``var/``): the local key for
  person ids when TROLYSO_SECRET_KEY is unset (never in production).
- ``usage_retention_months`` (12): events and daily counts older than this are purged.
- ``usage_flush_seconds`` (0.5), ``usage_batch_size`` (200): how often, and how many rows, per write.
- ``usage_write_timeout_seconds`` (5.0): a write unanswered this long goes to the spool.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.usage.pseudonym import usage_secret
from bot.usage.rows import local_day, months_before
from bot.usage.sql import SqlUsageStore
from bot.usage.writer import PURGE_CHUNK, BatchedUsageSink

DEFAULT_RETENTION_MONTHS = 12


def build_usage_sink(settings: Any, db: sa.Engine) -> BatchedUsageSink | None:
    """The usage log over ``db``, or None when switched off. Raises :class:`bot.errors.ConfigError`
    in production without TROLYSO_SECRET_KEY, before anything is written."""
    if not getattr(settings, "usage_log", True):
        return None
    return BatchedUsageSink(
        SqlUsageStore(db),
        usage_secret(settings),
        spool_path(settings),
        flush_seconds=float(getattr(settings, "usage_flush_seconds", 0.5)),
        batch_size=int(getattr(settings, "usage_batch_size", 200)),
        write_timeout=float(getattr(settings, "usage_write_timeout_seconds", 5.0)),
        retention_months=retention_months(settings),
    )


def retention_months(settings: Any) -> int:
    """TROLYSO_USAGE_RETENTION_MONTHS, for the server's daily purge and `trolyso db purge`."""
    return int(getattr(settings, "usage_retention_months", DEFAULT_RETENTION_MONTHS))


def spool_path(settings: Any) -> Path:
    """``usage_spool_path``, else ``usage-spool.jsonl`` beside the SQLite database, else in var/."""
    configured = getattr(settings, "usage_spool_path", None)
    if configured:
        return Path(configured)
    sqlite = settings.sqlite_path() if hasattr(settings, "sqlite_path") else None
    return (sqlite.parent if sqlite is not None else Path("var")) / "usage-spool.jsonl"


def purge_usage(db: sa.Engine, months: int, today: date | None = None) -> int:
    """Delete usage events and daily counts older than ``months`` months; for `trolyso db purge`.

    Runs without the batched writer (no key or spool needed), in chunks like the server's daily
    purge, so a first purge of a big table never holds a long lock."""
    before = months_before(today or local_day(datetime.now(UTC)), months)
    store = SqlUsageStore(db)
    total = 0
    try:
        while True:
            count = store.purge(before, PURGE_CHUNK)
            total += count
            if count < PURGE_CHUNK:
                return total
    finally:
        store.close()
