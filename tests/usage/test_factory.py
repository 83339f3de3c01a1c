"""Building the usage log from settings, and the purge `trolyso db purge` runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bot.core.messages import UsageEvent
from bot.settings import Settings
from bot.usage import FanOutSink, build_usage_sink, purge_usage, retention_months
from bot.usage.sql import SqlUsageStore
from bot.usage.store import MemoryUsageStore
from tests.usage.helpers import CollectingSink, make_sink, stored_events


@dataclass
class UsageSettings:
    """The usage settings proposed for bot.settings.Settings, before they are added there."""

    database_url: str
    usage_log: bool = True
    usage_spool_path: Path | None = None
    usage_key_file: Path | None = None
    usage_retention_months: int = 6
    usage_flush_seconds: float = 0.25
    usage_batch_size: int = 50
    usage_write_timeout_seconds: float = 2.0
    secret_key: SecretStr | None = None
    production: bool = False

    def sqlite_path(self) -> Path | None:
        return Settings(database_url=self.database_url).sqlite_path()


def test_defaults_put_spool_and_key_beside_the_sqlite_database(tmp_path: Path, sqlite_db: sa.Engine) -> None:
    """With today's Settings, the spool and the local key go next to the SQLite file; retention is 12 months."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/data/bot.sqlite3")
    sink = build_usage_sink(settings, sqlite_db)
    assert sink is not None
    assert sink.spool_path == tmp_path / "data" / "usage-spool.jsonl"
    assert (tmp_path / "data" / "usage.key").exists()
    assert (sink.flush_seconds, sink.batch_size, sink.retention_months) == (0.5, 200, 12)
    assert retention_months(settings) == 12


def test_usage_settings_are_honoured(tmp_path: Path, sqlite_db: sa.Engine) -> None:
    """Each proposed TROLYSO_USAGE_* setting reaches the sink."""
    settings = UsageSettings(
        database_url=f"sqlite:///{tmp_path}/bot.sqlite3",
        usage_spool_path=tmp_path / "spool" / "events.jsonl",
        secret_key=SecretStr("k" * 40),
    )
    sink = build_usage_sink(settings, sqlite_db)
    assert sink is not None
    assert sink.spool_path == tmp_path / "spool" / "events.jsonl"
    assert (sink.flush_seconds, sink.batch_size, sink.write_timeout, sink.retention_months) == (
        0.25,
        50,
        2.0,
        6,
    )
    assert not (tmp_path / "usage.key").exists()


def test_the_usage_log_can_be_switched_off(tmp_path: Path, sqlite_db: sa.Engine) -> None:
    """TROLYSO_USAGE_LOG=false builds no sink at all."""
    assert (
        build_usage_sink(UsageSettings(f"sqlite:///{tmp_path}/x.sqlite3", usage_log=False), sqlite_db) is None
    )


async def test_purge_usage_deletes_what_is_older_than_the_retention(
    usage_db: sa.Engine, tmp_path: Path
) -> None:
    """The CLI's purge deletes events older than the retention and keeps the recent ones."""
    for n, stamp in enumerate([datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]):
        sink = make_sink(SqlUsageStore(usage_db), tmp_path / "spool.jsonl", clock=lambda stamp=stamp: stamp)
        await sink.record(f"web:{n}", "web", [UsageEvent("greeting")])
        await sink.stop()
    assert purge_usage(usage_db, 12, today=date(2026, 11, 23)) == 1
    assert [row.day for row in stored_events(usage_db)] == [date(2026, 11, 1)]


async def test_fan_out_gives_every_sink_each_event_even_when_one_fails(tmp_path: Path) -> None:
    """Metrics and the usage log both see each turn; a failing sink does not starve the next one."""

    class Broken(CollectingSink):
        async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
            raise RuntimeError("metrics backend gone")

    memory = MemoryUsageStore()
    log_sink = make_sink(memory, tmp_path / "spool.jsonl")
    fan = FanOutSink(Broken(), log_sink)
    with pytest.raises(RuntimeError, match="metrics backend gone"):
        await fan.record("web:1", "web", [UsageEvent("greeting")])
    await log_sink.stop()
    assert len(memory.rows) == 1
