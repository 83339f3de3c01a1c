"""What the usage log costs a turn: the batched writer against no logging, in the same run.

    python bench/usage_logging.py [--people 1000] [--turns 7] [--concurrency 32] [--rounds 3]

Each round runs the same conversations twice — without a usage sink, then with the batched
writer — through Conversations, the real engine and a SQLite state store (a fresh file each
time; the usage log shares it, as on a commune's single machine). People send their turns one
after another, yielding to the event loop in between as messages arriving from a network do, so
the writer's background flushes run among the turns and are paid for inside the figures.

Per-turn latency is from the message arriving to the reply being ready. "wall/turn" and
"cpu/turn" are the wall and CPU time (all threads) of the whole run — the final flush included —
divided by the turns: they catch work moved off the measured path. The overhead compares the
medians over rounds. On a busy machine the rounds differ by several per cent, so the last line
also times the logging work itself: record() inside the turn, and the batched writes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.app import build_engine
from bot.conversations import Conversations
from bot.core.messages import Inbound, UsageEvent
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.usage.rows import Row
from bot.usage.sql import SqlUsageStore
from bot.usage.writer import BatchedUsageSink

SCRIPT = (
    ("text", "lam giay khai sinh cho con o dau"),
    ("payload", "s:birth_registration:fees"),
    ("text", "sđt của tôi 0912 345 678, làm căn cước cho con 14 tuổi"),
    ("payload", "f:birth_registration"),
    ("text", "benh vien"),
    ("text", "3/5/2026"),
    ("text", "co"),
)


class TimedStore(SqlUsageStore):
    """The SQL store, timing its writes: the part of the logging cost paid at flush time."""

    seconds = 0.0

    def write(self, rows: Sequence[Row]) -> int:
        started = time.perf_counter()
        try:
            return super().write(rows)
        finally:
            TimedStore.seconds += time.perf_counter() - started


class TimedSink(BatchedUsageSink):
    """The batched writer, timing record(): the part of the logging cost paid inside the turn."""

    seconds = 0.0

    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        started = time.perf_counter()
        await super().record(key, channel, events)
        TimedSink.seconds += time.perf_counter() - started


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    cpu_seconds: float
    events: int
    record_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(len(ordered) * 0.99)]

    @property
    def cost(self) -> float:
        return self.seconds * 1000 / len(self.latencies)

    @property
    def cpu(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies)

    @property
    def direct(self) -> float:
        """Milliseconds per turn spent in record() and in the store's writes."""
        return (self.record_seconds + self.write_seconds) * 1000 / len(self.latencies)


async def run(logging_on: bool, people: int, turns: int, concurrency: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        db = create_db_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(db)
        store = SqlStateStore(db, timedelta(hours=1))
        sink = None
        if logging_on:
            TimedSink.seconds = TimedStore.seconds = 0.0
            sink = TimedSink(TimedStore(db), b"bench-secret" * 3, Path(tmp) / "usage-spool.jsonl")
            await sink.start()
        conversations = Conversations(build_engine(), store, sink)
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []

        async def person(n: int) -> None:
            for kind, value in SCRIPT[:turns]:
                inbound = (Inbound("bench", f"p{n}", value) if kind == "text"
                           else Inbound("bench", f"p{n}", payload=value))  # fmt: skip
                async with gate:
                    started = time.perf_counter()
                    await conversations.handle(inbound)
                    latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0)  # the next message arrives later, as from a network

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(person(n) for n in range(people)))
        if sink is not None:
            await sink.stop()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        events = 0
        if sink is not None:
            with db.connect() as connection:
                events = connection.execute(sa.text("SELECT count(*) FROM usage_events")).scalar_one()
        await store.close()
        db.dispose()
        return Result(latencies, seconds, cpu_seconds, events, TimedSink.seconds, TimedStore.seconds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=len(SCRIPT))
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    build_engine().matcher.match("warm up")
    await run(True, 50, args.turns, args.concurrency)  # warm caches, imports and the regexes
    print(f"{args.people} people x {args.turns} turns, {args.concurrency} in flight, {args.rounds} rounds")
    print(f"{'usage log':<10} {'round':>5} {'turns':>6} {'events':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'wall/turn ms':>13} {'cpu/turn ms':>12}")  # fmt: skip
    off: list[Result] = []
    on: list[Result] = []
    for number in range(1, args.rounds + 1):
        for logging_on, results in ((False, off), (True, on)):
            result = await run(logging_on, args.people, args.turns, args.concurrency)
            results.append(result)
            name = "batched" if logging_on else "none"
            print(f"{name:<10} {number:>5} {len(result.latencies):>6} {result.events:>7} "
                  f"{result.p50:>7.3f} {result.p99:>7.3f} {result.cost:>13.3f} {result.cpu:>12.3f}")  # fmt: skip
    print()
    for label, measure in (("p50", "p50"), ("p99", "p99"), ("wall/turn", "cost"), ("cpu/turn", "cpu")):
        base = statistics.median(getattr(r, measure) for r in off)
        logged = statistics.median(getattr(r, measure) for r in on)
        print(f"{label:<10} none {base:7.3f} ms   batched {logged:7.3f} ms   "
              f"overhead {100 * (logged / base - 1):+6.1f} %")  # fmt: skip
    record = statistics.median(r.record_seconds * 1e6 / len(r.latencies) for r in on)
    write = statistics.median(r.write_seconds * 1e6 / len(r.latencies) for r in on)
    base_cpu = statistics.median(r.cpu for r in off) * 1000
    print(f"logging work per turn: record() {record:.1f} µs + batched writes {write:.1f} µs = "
          f"{record + write:.1f} µs, {100 * (record + write) / base_cpu:.1f} % of a turn's CPU without logging")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
