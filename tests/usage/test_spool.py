"""Outages: events wait in the spool file and are replayed in order, each written exactly once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.messages import UsageEvent
from bot.usage.sql import SqlUsageStore
from bot.usage.store import MemoryUsageStore
from tests.usage.helpers import (
    SwitchableStore,
    daily_from_events,
    make_sink,
    stored_daily,
    stored_events,
    wait_until,
)

EVENT = UsageEvent("question", "marriage_registration", 0.8, text="đăng ký kết hôn cần gì", locale="vi")


def spooled_keys(path: Path) -> list[str]:
    return [json.loads(line)["row"]["event_key"] for line in path.read_text().splitlines() if '"row"' in line]


async def test_failing_database_sends_batches_to_the_spool_and_replays_them_in_order(
    spool_path: Path,
) -> None:
    """While the store fails, rows go to the JSON-lines spool in order; back up, each is stored once."""
    memory = MemoryUsageStore()
    store = SwitchableStore(memory)
    sink = make_sink(store, spool_path)
    store.down = True
    for n in range(30):
        await sink.record(f"zalo:{n}", "zalo", [EVENT])
    await wait_until(
        lambda: sink.pending == 30 and spool_path.exists() and len(spooled_keys(spool_path)) == 30
    )
    order = spooled_keys(spool_path)
    assert memory.rows == {}
    assert "zalo:" not in spool_path.read_text()  # pseudonyms only, even on disk
    assert oct(os.stat(spool_path).st_mode & 0o777) == "0o600"
    store.down = False
    await wait_until(lambda: sink.pending == 0)
    assert list(memory.rows) == order
    assert spool_path.read_text() == ""
    await sink.stop()


async def test_events_recorded_during_the_outage_queue_behind_the_spool(spool_path: Path) -> None:
    """Events recorded after the database comes back are written after the spooled ones, none twice."""
    memory = MemoryUsageStore()
    store = SwitchableStore(memory)
    sink = make_sink(store, spool_path)
    store.down = True
    for n in range(10):
        await sink.record(f"web:{n}", "web", [EVENT])
    await wait_until(lambda: spool_path.exists() and len(spooled_keys(spool_path)) == 10)
    store.down = False
    for n in range(10, 20):
        await sink.record(f"web:{n}", "web", [EVENT])
    await sink.stop()
    assert len(memory.rows) == 20
    assert sum(memory.daily.values()) == 20


async def test_a_write_that_commits_after_its_timeout_is_not_counted_twice(spool_path: Path) -> None:
    """A write that times out (spooled) but commits later is replayed without doubling rows or counts."""
    memory = MemoryUsageStore()
    store = SwitchableStore(memory, inline=False)
    sink = make_sink(store, spool_path, write_timeout=0.1)
    store.stall()
    for n in range(50):
        await sink.record(f"telegram:{n}", "telegram", [EVENT])
    await wait_until(lambda: spool_path.exists() and len(spooled_keys(spool_path)) == 50)
    store.release()  # the stalled write now commits all 50 rows; the replay must add nothing
    await wait_until(lambda: sink.pending == 0)
    await sink.stop()
    assert len(memory.rows) == 50
    assert sum(memory.daily.values()) == 50


async def test_a_restart_replays_what_the_last_run_left_in_the_spool(
    sqlite_db: sa.Engine, spool_path: Path
) -> None:
    """Events spooled when the last run stopped during an outage are written once the next run starts."""
    down = SwitchableStore(SqlUsageStore(sqlite_db))
    down.down = True
    first = make_sink(down, spool_path)
    for n in range(25):
        await first.record(f"zalo:{n}", "zalo", [EVENT, EVENT])
    await first.stop()
    keys = spooled_keys(spool_path)
    assert len(keys) == 50
    assert stored_events(sqlite_db) == []

    second = make_sink(SqlUsageStore(sqlite_db), spool_path)
    await second.start()
    await wait_until(lambda: second.pending == 0 and len(stored_events(sqlite_db)) == 50)
    await second.stop()
    assert [row.event_key for row in stored_events(sqlite_db)] == keys
    assert stored_daily(sqlite_db) == daily_from_events(sqlite_db)


async def test_a_second_worker_gets_its_own_spool_and_a_stopped_ones_is_taken_over(spool_path: Path) -> None:
    """Two writers never share a spool file; a spool left behind is adopted and replayed by the next."""
    first_store, second_store = SwitchableStore(MemoryUsageStore()), SwitchableStore(MemoryUsageStore())
    first_store.down = second_store.down = True
    first, second = make_sink(first_store, spool_path), make_sink(second_store, spool_path)
    for n in range(5):
        await first.record(f"web:a{n}", "web", [EVENT])
        await second.record(f"web:b{n}", "web", [EVENT])
    await first.stop()
    await second.stop()
    spools = {p.name for p in spool_path.parent.glob("usage-spool*.jsonl")}
    assert spools == {"usage-spool.jsonl", f"usage-spool.{os.getpid()}.jsonl"}

    memory = MemoryUsageStore()
    third = make_sink(memory, spool_path)
    await third.start()
    await wait_until(lambda: len(memory.rows) == 10)
    await third.stop()
    assert [p.name for p in spool_path.parent.glob("usage-spool*.jsonl")] == ["usage-spool.jsonl"]


async def test_a_damaged_last_line_is_skipped_and_the_rest_replayed(spool_path: Path) -> None:
    """A line cut short by a crash is skipped with an error; every complete line is replayed."""
    store = SwitchableStore(MemoryUsageStore())
    store.down = True
    first = make_sink(store, spool_path)
    for n in range(3):
        await first.record(f"web:{n}", "web", [EVENT])
    await first.stop()
    with open(spool_path, "a") as spool:
        spool.write('{"v": 1, "row": {"event_key": "cut sh')
    memory = MemoryUsageStore()
    second = make_sink(memory, spool_path)
    await second.start()
    await wait_until(lambda: len(memory.rows) == 3)
    await second.stop()


@pytest.mark.parametrize("batch_size", [1, 7, 200])
async def test_replay_keeps_order_across_batches(spool_path: Path, batch_size: int) -> None:
    """However the spool is cut into batches, it is replayed in the order it was written."""
    memory = MemoryUsageStore()
    store = SwitchableStore(memory)
    store.down = True
    sink = make_sink(store, spool_path, batch_size=batch_size)
    for n in range(20):
        await sink.record(f"web:{n}", "web", [EVENT])
    await wait_until(lambda: spool_path.exists() and len(spooled_keys(spool_path)) == 20)
    order = spooled_keys(spool_path)
    store.down = False
    await wait_until(lambda: sink.pending == 0)
    await sink.stop()
    assert list(memory.rows) == order
