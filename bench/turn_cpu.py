"""Instructions per turn, counted by callgrind: the engine's own work and what a store adds to it.

    python bench/turn_cpu.py [--people 200] [--postgres URL]

Timings of a ~0.1 ms turn move with whatever else the machine does; instruction counts do not
(valgrind counts the same total for the same program and input, loaded machine or not). Each
store runs bench/turns.py's 7-turn script for ``--people`` people at one turn in flight under
``valgrind --tool=callgrind``, once with them and once without (start-up, warm-up and the
knowledge base's loading cancel out), so the difference over the turns is the cost per turn:

- ``memory``: the engine's turn (the in-memory store decodes and encodes the state's JSON);
- ``pg+cache``: the application's store on PostgreSQL (bot.storage.resilient): the turn plus
  encoding the state, the asyncpg statement and the event loop's wake-up — the client's share of
  a PostgreSQL turn, beside the engine's in the same run.

Needs valgrind (Debian's package); takes about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from callgrind import instructions  # noqa: E402


async def _play(kind: str, people: int, postgres: str) -> None:
    sys.path.insert(0, str(HERE))
    import turns  # bench/turns.py: the script and its runner

    from bot.app import build_engine
    from bot.core.ports import BaseStateStore
    from bot.storage.db import create_db_engine, upgrade
    from bot.storage.memory import MemoryStateStore
    from bot.storage.resilient import ResilientStore
    from bot.storage.sql import SqlStateStore
    from bot.storage.tables import conversations

    build_engine().matcher.match("warm up")
    ttl = timedelta(hours=1)
    store: BaseStateStore
    if kind == "memory":
        store = MemoryStateStore(ttl)
    else:
        db = create_db_engine(postgres)
        upgrade(db)
        with db.begin() as connection:  # as bench/turns.py: every person starts a new conversation
            connection.execute(conversations.delete().where(conversations.c.key.like("bench:%")))
        store = ResilientStore(SqlStateStore(db, ttl))
    await turns.run(store, 20, 7, 1)  # warm-up: the same code paths once, caches filled
    if people:
        await turns.run(store, people, 7, 1)
    await store.close()


def _count(kind: str, people: int, postgres: str) -> int:
    return instructions([__file__, "--play", kind, "--people", str(people), "--postgres", postgres])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("TROLYSO_BENCH_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--play", choices=("memory", "pg+cache"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.play:
        asyncio.run(_play(args.play, args.people, args.postgres))
        return
    turns = args.people * 7
    print(f"instructions per turn (callgrind), {args.people} people x 7 turns, one in flight")
    base = None
    for kind in ("memory", "pg+cache"):
        per_turn = (_count(kind, args.people, args.postgres) - _count(kind, 0, args.postgres)) / turns
        base = base or per_turn
        print(f"{kind:<10} {per_turn / 1000:8.0f}k  {per_turn / base:5.2f}x")


if __name__ == "__main__":
    main()
