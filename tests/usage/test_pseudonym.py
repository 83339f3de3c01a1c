"""Pseudonymous person ids: stable for a person, unlinkable without the key, never the raw id."""

from __future__ import annotations

import re
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bot.app import build_engine
from bot.conversations import Conversations
from bot.core.messages import Inbound
from bot.errors import ConfigError
from bot.settings import Settings
from bot.storage.memory import MemoryStateStore
from bot.storage.tables import usage_daily, usage_events
from bot.usage.factory import build_usage_sink
from bot.usage.pseudonym import key_file, local_secret, person_id, usage_secret
from bot.usage.sql import SqlUsageStore
from tests.usage.helpers import SECRET, make_sink

RAW_IDS = ("7734512345", "zalo-user-5566778899", "web-3f2a9c")


def test_person_id_is_stable_and_32_hex_characters() -> None:
    """The same secret, channel and user give the same 32-character hex id every time."""
    first = person_id(SECRET, "telegram", "7734512345")
    assert first == person_id(SECRET, "telegram", "7734512345")
    assert re.fullmatch(r"[0-9a-f]{32}", first)


def test_person_id_depends_on_channel_user_and_secret() -> None:
    """Another channel, another user or another secret gives an unrelated id."""
    base = person_id(SECRET, "telegram", "7734512345")
    assert base != person_id(SECRET, "zalo", "7734512345")
    assert base != person_id(SECRET, "telegram", "7734512346")
    assert base != person_id(b"another secret entirely, 32 bytes", "telegram", "7734512345")


def test_person_id_never_contains_the_raw_id() -> None:
    """The user id cannot be read off the pseudonym."""
    for raw in RAW_IDS:
        assert raw not in person_id(SECRET, "telegram", raw)


def test_local_secret_is_created_once_private_and_reused(tmp_path: Path) -> None:
    """Without a configured key the local key file is made once (mode 0600) and read on every restart."""
    path = tmp_path / "var" / "usage.key"
    first = local_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["usage.key"]  # no temporary left behind


def test_workers_starting_together_agree_on_the_local_secret(tmp_path: Path) -> None:
    """Several processes creating the key at once all end up with the same one."""
    path = tmp_path / "usage.key"
    results: list[bytes] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        results.append(local_secret(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1


def test_key_file_sits_beside_the_sqlite_database(tmp_path: Path) -> None:
    """The default key file is var/usage.key next to the SQLite database."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/data/bot.sqlite3")
    assert key_file(settings) == tmp_path / "data" / "usage.key"


def test_configured_secret_key_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    """With TROLYSO_SECRET_KEY set, ids come from it and no local key file appears."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.sqlite3", secret_key=SecretStr("s3cret-" * 6))
    assert usage_secret(settings) == usage_secret(settings)
    assert usage_secret(settings) != usage_secret(
        settings.model_copy(update={"secret_key": SecretStr("other")})
    )
    assert not (tmp_path / "usage.key").exists()


def test_production_without_secret_key_refuses_to_build_the_sink(
    tmp_path: Path, sqlite_db: sa.Engine
) -> None:
    """In production, building the usage log without TROLYSO_SECRET_KEY raises ConfigError naming it."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.sqlite3", production=True)
    with pytest.raises(ConfigError, match="TROLYSO_SECRET_KEY"):
        build_usage_sink(settings, sqlite_db)
    assert not (tmp_path / "usage.key").exists()


async def test_raw_user_ids_appear_in_no_usage_column(sqlite_db: sa.Engine, spool_path: Path) -> None:
    """After real conversations, no column of usage_events or usage_daily holds a platform user id."""
    sink = make_sink(SqlUsageStore(sqlite_db), spool_path)
    conversations = Conversations(build_engine(), MemoryStateStore(timedelta(hours=1)), sink)
    for raw in RAW_IDS:
        for text in ("lam giay khai sinh cho con o dau", "làm căn cước cho con 14 tuổi", "xyzzy qwerty"):
            await conversations.handle(Inbound("telegram", raw, text))
    await sink.stop()
    with sqlite_db.connect() as connection:
        cells = [
            str(value)
            for table in (usage_events, usage_daily)
            for row in connection.execute(sa.select(table)).all()
            for value in row
        ]
        persons = set(connection.execute(sa.select(usage_events.c.person)).scalars())
    assert len(cells) > 50
    for raw in RAW_IDS:
        assert not [cell for cell in cells if raw in cell], f"{raw} found in the usage tables"
    assert persons == {person_id(SECRET, "telegram", raw) for raw in RAW_IDS}
