"""Database outage benchmark: citizens keep talking while PostgreSQL is down (issue 13, item 5).

    python bench/outage.py [--people 2000] [--outage 10] [--seconds 20]

A throwaway PostgreSQL server of our own (tests/usage/private_postgres.py: never the shared one)
behind the full app as `trolyso serve` builds it (state store with its in-memory cache, usage log
with its spool). ``--people`` citizens arrive evenly over ``--seconds`` seconds; each types a
conversation the way people do — a question without accents, then the identity-card guide typed
step by step to its checklist:

    lam cccd · huong dan tung buoc · mat the · bi mat roi · sinh nam 1990

Two rounds in one run, the same citizens on a fresh database each: without an outage (the
baseline), then with PostgreSQL stopped as a crash (``pg_ctl stop -m immediate``) five seconds in
and started again ``--outage`` seconds later. Printed per round: turns, apologies ("Xin lỗi, hệ
thống vừa gặp lỗi"), "try again in a minute" replies, guides that reached their checklist, usage
events the turns produced beside those stored in the database (lost, duplicated), conversation
states written back, and turn latency. Before the store answered through outages, 1,089 of 2,000
citizens got the apology when PostgreSQL stopped for 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App, build_app  # noqa: E402
from bot.core.messages import Inbound, Outbound  # noqa: E402
from bot.errors import StorageError  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.db import create_db_engine, upgrade  # noqa: E402
from bot.storage.resilient import ResilientStore  # noqa: E402
from bot.storage.tables import conversations, usage_events  # noqa: E402
from tests.usage.helpers import CollectingSink  # noqa: E402
from tests.usage.private_postgres import PrivatePostgres  # noqa: E402

SCRIPT = ("lam cccd", "huong dan tung buoc", "mat the", "bi mat roi", "sinh nam 1990")
WARM = 20
THINK = 0.4
"""Seconds a citizen takes to read and type between two messages."""
APOLOGY = "Xin lỗi, hệ thống vừa gặp lỗi"
LATER = "gửi lại sau"
CHECKLIST = "Danh sách việc cần làm"


@dataclass
class Round:
    latencies: list[float] = field(default_factory=list)
    during: list[float] = field(default_factory=list)  # turns that started while the database was down
    apologies: int = 0
    later: int = 0
    finished: int = 0


def text(replies: Sequence[Outbound]) -> str:
    return "\n".join(r.text for r in replies)


async def citizen(app: App, user: str, start: float, down: list[float | None], result: Round) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    last = ""
    for words in SCRIPT:
        began = time.monotonic()
        try:
            last = text(await app.conversations.handle(Inbound("web", user, words)))
        except StorageError:  # what a channel turns into the apology
            last = APOLOGY
        took = (time.monotonic() - began) * 1000
        result.latencies.append(took)
        if down[0] is not None and down[0] <= began and (down[1] is None or began < down[1]):
            result.during.append(took)
        result.apologies += APOLOGY in last
        result.later += LATER in last
        await asyncio.sleep(THINK)
    result.finished += CHECKLIST in last


async def run_round(server: PrivatePostgres, people: int, seconds: float, outage: float | None,
                    spool: Path) -> tuple[Round, int, int, int, int, int]:  # fmt: skip
    url = server.url
    upgrade(url)
    counted = CollectingSink()  # the usage events the turns hand to the log
    settings = Settings(database_url=url, usage_spool_path=str(spool), usage_write_timeout_seconds=1.0,
                        secret_key="k" * 32)  # type: ignore[arg-type]  # fmt: skip
    app = build_app(settings, usage=counted)
    await app.start()
    for n in range(WARM):  # pools, caches and first imports, not timed; their states are not counted
        for words in SCRIPT:
            await app.conversations.handle(Inbound("web", f"warm{n}", words))
    result = Round()
    down: list[float | None] = [None, None]
    t0 = time.monotonic()
    walkers = [asyncio.create_task(citizen(app, f"p{n}", t0 + n * seconds / people, down, result))
               for n in range(people)]  # fmt: skip
    if outage:
        await asyncio.sleep(5)
        down[0] = time.monotonic()
        await asyncio.to_thread(server.stop, "immediate")
        await asyncio.sleep(outage)
        await asyncio.to_thread(server.start)
        down[1] = time.monotonic()
    await asyncio.gather(*walkers)
    assert isinstance(app.store, ResilientStore)
    for _ in range(300):  # the write-back of states saved only in memory
        if not app.store.unsaved:
            break
        await asyncio.sleep(0.1)
    unsaved = app.store.unsaved
    await app.close()  # the usage log writes (or spools) what it holds
    engine = create_db_engine(url)
    with engine.connect() as connection:
        stored = int(connection.execute(sa.select(sa.func.count()).select_from(usage_events)).scalar_one())
        states = int(connection.execute(sa.select(sa.func.count()).select_from(conversations)).scalar_one())
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        connection.commit()
    engine.dispose()
    spooled = sum(1 for _ in spool.open()) if spool.exists() else 0
    return result, len(counted.recorded), stored, spooled, states - WARM, unsaved


def report(name: str, people: int, result: Round, events: int, stored: int, spooled: int, states: int,
           unsaved: int) -> None:  # fmt: skip
    lat = sorted(result.latencies)
    during = sorted(result.during)
    p = lambda xs, q: xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")  # noqa: E731
    print(f"{name:<22} {len(lat):>6} {result.apologies:>9} {result.later:>9} {result.finished:>6}/{people:<5}"
          f" {events:>7} {stored:>7} {events - stored - spooled:>5} {max(0, stored - events):>5} {states:>6} {unsaved:>7}"
          f" {statistics.median(lat):>7.1f} {p(lat, 0.99):>7.1f} {len(during):>6} {p(during, 0.99):>7.1f}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--outage", type=float, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the outage's warnings are expected; figures below
    server = PrivatePostgres.create()
    server.start()
    try:
        print(f"{args.people} citizens over {args.seconds:g} s, {len(SCRIPT)} typed turns each; "
              f"PostgreSQL {server.bindir.parent.name} of our own, stopped (crash) for {args.outage:g} s in round 2")
        print(f"{'round':<22} {'turns':>6} {'apologies':>9} {'try later':>9} {'guides done':>12}"
              f" {'events':>7} {'stored':>7} {'lost':>5} {'dup':>5} {'states':>6} {'unsaved':>7}"
              f" {'p50 ms':>7} {'p99 ms':>7} {'in out':>6} {'p99 out':>7}")  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            for name, outage in (("no outage (baseline)", None), (f"PostgreSQL down {args.outage:g} s", args.outage)):
                figures = await run_round(server, args.people, args.seconds, outage, Path(tmp) / f"spool-{outage}.jsonl")
                report(name, args.people, *figures)
    finally:
        server.destroy()


if __name__ == "__main__":
    asyncio.run(main())
