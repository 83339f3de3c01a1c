"""Full-turn benchmark: load state, run the engine, save state — on SQLite, PostgreSQL and memory.

    python bench/turns.py [--people 1000] [--turns 6] [--concurrency 32] [--postgres URL] [--deliveries]

1,000 simulated people talk at once (at most ``--concurrency`` turns in flight, like a worker's
capacity); each walks a realistic conversation (a question without accents, a section button,
the birth-registration guide with typed answers). Every store runs the same script in the same
run, so the database overhead is read against the in-memory store directly. Latency is per turn,
from the message arriving to the reply being ready (queueing included). ``--deliveries`` gives each
turn a platform delivery id, as Telegram and Zalo turns have (the web chat's have none): the store
then also checks and records it.

``sqlite`` and ``postgresql`` read and write the row every turn (load, then save); ``+cache`` is
the application's store (bot.storage.resilient): a person's next turn on the same worker runs on
the state the worker saved last and only saves (bot.storage.speculative).

The last row is PostgreSQL's floor: a bare ``SELECT 1`` on the store's own kind of connections
(asyncpg, the same free list), timed in the same run. The targets (issue 13): at one turn in flight
memory + 3 × that floor per turn; at ``--concurrency`` in flight, 60 % of SQLite's turns/s (like for
like: the application's store on each, and against plain SQLite too). At one in
flight, ``mem+2 RTT`` is the in-memory store with one bare ``SELECT 1`` in its load and one in its
save: what two round trips cost inside a turn, where the client and the server wake from idle
for each, unlike the floor's back-to-back ``SELECT 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

from bot.app import build_engine
from bot.conversations import Conversations
from bot.core.messages import Inbound
from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState
from bot.storage.db import create_db_engine, upgrade
from bot.storage.deliveries import delivering
from bot.storage.memory import MemoryStateStore
from bot.storage.pg import PgStates, conninfo
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.tables import conversations
from bot.storage.tables import deliveries as delivery_ids

SCRIPT = (
    ("text", "lam giay khai sinh cho con o dau"),
    ("payload", "s:birth_registration:fees"),
    ("payload", "f:birth_registration"),
    ("text", "benh vien"),
    ("text", "3/5/2026"),
    ("text", "co"),
    ("text", "co"),
)


async def run(store: BaseStateStore, people: int, turns: int, concurrency: int,
              deliveries: bool = False) -> tuple[list[float], float]:  # fmt: skip
    conversations = Conversations(build_engine(), store)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    run_id = uuid.uuid4().hex[:8]  # stores sharing a database must not see each other's deliveries as repeats

    async def person(n: int) -> None:
        for turn, (kind, value) in enumerate(SCRIPT[:turns]):
            inbound = (Inbound("bench", f"p{n}", value) if kind == "text"
                       else Inbound("bench", f"p{n}", payload=value))  # fmt: skip
            async with gate:
                started = time.perf_counter()
                with delivering(f"bench:{run_id}:{n}:{turn}") if deliveries else contextlib.nullcontext():
                    await conversations.handle(inbound)
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(person(n) for n in range(people)))
    return latencies, time.perf_counter() - started


async def floor(info: str, count: int, concurrency: int) -> tuple[list[float], float]:
    """``count`` bare round trips (``SELECT 1``), ``concurrency`` at a time, on the store's kind of connections."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    connections = PgStates(info)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            await connections.fetchrow("SELECT 1")
            latencies.append((time.perf_counter() - started) * 1000)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return latencies, time.perf_counter() - started
    finally:
        await connections.close()


class RoundTrips(MemoryStateStore):
    """The in-memory store plus one bare round trip in each load and save."""

    def __init__(self, ttl: timedelta, connections: PgStates) -> None:
        super().__init__(ttl)
        self.connections = connections

    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        await self.connections.fetchrow("SELECT 1")
        return await super().load(key)

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        await self.connections.fetchrow("SELECT 1")
        return await super().save(key, state, expected_version)


def row(name: str, lat: list[float], seconds: float, base_p50: float | None) -> str:
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99)]
    ratio = f"{p50 / base_p50:5.2f}x" if base_p50 else "  1.00x"
    return f"{name:<12} {len(lat):>7} {len(lat) / seconds:>9.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>8}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=len(SCRIPT))
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("TROLYSO_BENCH_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--deliveries", action="store_true", help="a platform delivery id on every turn")
    parser.add_argument("--asyncio", action="store_true", help="the standard event loop instead of uvloop (the server's)")
    args = parser.parse_args()
    build_engine().matcher.match("warm up")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for concurrency in sorted({1, args.concurrency}):
        await compare(args.people, args.turns, concurrency, args.postgres, args.deliveries)


async def compare(people: int, turns: int, concurrency: int, postgres: str, deliveries: bool) -> None:
    ttl = timedelta(hours=1)
    print(f"\n{people} people x {turns} turns, {concurrency} turn(s) in flight"
          + (", a delivery id on each" if deliveries else ""))  # fmt: skip
    print(f"{'store':<12} {'turns':>7} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs mem':>8}")
    lat, sec = await run(MemoryStateStore(ttl), people, turns, concurrency, deliveries)
    base = statistics.median(lat)
    print(row("memory", lat, sec, base))
    rates: dict[str, float] = {}
    p50s: dict[str, float] = {}

    async def measure(name: str, store: BaseStateStore) -> None:
        lat, sec = await run(store, people, turns, concurrency, deliveries)
        rates[name], p50s[name] = len(lat) / sec, statistics.median(lat)
        print(row(name, lat, sec, base))
        await store.close()

    with tempfile.TemporaryDirectory() as tmp:
        db = create_db_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(db)
        await measure("sqlite", SqlStateStore(db, ttl))
        await measure("sqlite+cache", ResilientStore(SqlStateStore(db, ttl)))
        db.dispose()
    try:
        pg = create_db_engine(postgres)
        upgrade(pg)

        def wipe() -> None:
            with pg.begin() as connection:
                connection.execute(conversations.delete().where(conversations.c.key.like("bench:%")))
                connection.execute(delivery_ids.delete().where(delivery_ids.c.id.like("bench:%")))

        wipe()
        await measure("postgresql", SqlStateStore(pg, ttl))
        wipe()
        await measure("pg+cache", ResilientStore(SqlStateStore(pg, ttl)))
        wipe()
        lat, sec = await floor(conninfo(pg), people * turns, concurrency)
        print(row("SELECT 1", lat, sec, base))
        if concurrency == 1:
            trips = RoundTrips(ttl, PgStates(conninfo(pg)))
            mem_lat, mem_sec = await run(trips, people, turns, concurrency, deliveries)
            await trips.connections.close()
            print(row("mem+2 RTT", mem_lat, mem_sec, base))
            target = base + 3 * statistics.median(lat)
            for name in ("postgresql", "pg+cache"):
                verdict = "met" if p50s[name] <= target else "NOT met"
                print(f"target at p50: memory + 3 x SELECT 1 = {target:.3f} ms; {name} {p50s[name]:.3f} ms ({verdict})")
        else:
            for name, sqlite in (("postgresql", "sqlite"), ("pg+cache", "sqlite+cache"), ("pg+cache", "sqlite")):
                share = rates[name] / rates[sqlite]
                verdict = "met" if share >= 0.6 else "NOT met"
                print(f"target: {name} >= 60 % of {sqlite}'s turns/s: {share:.0%} ({verdict})")
        pg.dispose()
    except Exception as exc:  # a laptop without PostgreSQL still gets the other rows
        print(f"postgresql   skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0][:100]}")


if __name__ == "__main__":
    # `trolyso serve` runs on uvloop (uvicorn picks it when installed), so every store is measured
    # on it too; --asyncio for the standard loop.
    if "--asyncio" not in sys.argv:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(main())
