"""The scheduler and its leader locks: a job runs in one worker, and another takes over when it dies."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest
from redis.asyncio import Redis

from bot.jobs import BaseLeader, LocalLeader, PostgresLeader, RedisLeader, Scheduler, build_leader


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


class Switch(BaseLeader):
    """A leader lock a test turns on and off."""

    def __init__(self) -> None:
        self.on = True
        self.released = False

    async def acquire(self) -> bool:
        return self.on

    async def release(self) -> None:
        self.released = True


async def test_a_job_runs_when_due_and_then_every_interval() -> None:
    """A job runs at the first tick after its first delay, then once per interval."""
    clock, job = Clock(), Counter()
    scheduler = Scheduler(LocalLeader(), clock)
    scheduler.add("count", 60.0, job, first=10.0)
    assert await scheduler.tick() == []
    clock.now += 10
    assert await scheduler.tick() == ["count"]
    assert await scheduler.tick() == []
    clock.now += 59
    assert await scheduler.tick() == []
    clock.now += 1
    assert await scheduler.tick() == ["count"]
    assert job.calls == 2


async def test_only_the_leader_runs_jobs() -> None:
    """A worker that does not hold the lock runs nothing; the job waits until it leads."""
    clock, job, leader = Clock(), Counter(), Switch()
    scheduler = Scheduler(leader, clock)
    scheduler.add("count", 60.0, job)
    leader.on = False
    assert await scheduler.tick() == []
    assert not scheduler.leading
    leader.on = True
    assert await scheduler.tick() == ["count"]
    assert job.calls == 1


async def test_a_failing_job_is_tried_again_at_its_next_turn(caplog: pytest.LogCaptureFixture) -> None:
    """A job that raises is logged and counted; the others still run, and it runs again later."""
    clock, good = Clock(), Counter()
    attempts = []

    async def bad() -> None:
        attempts.append(clock.now)
        raise RuntimeError("database down")

    scheduler = Scheduler(LocalLeader(), clock)
    scheduler.add("bad", 30.0, bad)
    scheduler.add("good", 30.0, good)
    assert sorted(await scheduler.tick()) == ["bad", "good"]
    clock.now += 30
    await scheduler.tick()
    assert attempts == [1000.0, 1030.0]
    assert good.calls == 2
    assert scheduler.jobs["bad"].failures == 2
    assert scheduler.jobs["bad"].last_error == "RuntimeError: database down"
    assert "job bad failed" in caplog.text


async def test_jobs_are_named_once_and_run_at_a_positive_interval() -> None:
    """Adding a name twice or a zero interval is a programming error, refused at once."""
    scheduler = Scheduler(LocalLeader())
    scheduler.add("a", 1.0, Counter())
    with pytest.raises(ValueError, match="already scheduled"):
        scheduler.add("a", 1.0, Counter())
    with pytest.raises(ValueError, match="positive"):
        scheduler.add("b", 0.0, Counter())


async def test_stop_waits_for_a_job_under_way_and_releases_the_lock() -> None:
    """Stopping lets a running job finish, then gives the lock up for the next leader."""
    leader, finished = Switch(), asyncio.Event()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    scheduler = Scheduler(leader, tick_seconds=0.01)
    scheduler.add("slow", 3600.0, slow)
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    await scheduler.stop()
    assert finished.is_set()
    assert leader.released


async def test_a_long_job_keeps_renewing_the_lock() -> None:
    """While a job runs longer than a tick, the scheduler goes on renewing its lock."""
    calls = []

    class Counting(LocalLeader):
        async def acquire(self) -> bool:
            calls.append(1)
            return True

    async def slow() -> None:
        await asyncio.sleep(0.25)

    scheduler = Scheduler(Counting(), tick_seconds=0.05)
    scheduler.add("slow", 3600.0, slow)
    await scheduler.tick()
    assert len(calls) >= 4


def test_the_leader_lock_follows_the_deployment() -> None:
    """Redis when configured, else PostgreSQL's advisory lock, else the local always-leader."""
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    assert isinstance(build_leader("sqlite:///x.sqlite3", redis, "p:"), RedisLeader)
    assert isinstance(build_leader("postgresql+psycopg://u@h/db", None), PostgresLeader)
    assert isinstance(build_leader("sqlite:///x.sqlite3", None), LocalLeader)


# --- Redis -----------------------------------------------------------------------------------------
async def test_two_schedulers_on_one_redis_run_a_job_once(redis: Redis, redis_prefix: str) -> None:
    """Two workers ticking against the same Redis: only the one holding the lock runs the job."""
    job = Counter()
    workers = [Scheduler(RedisLeader(redis, f"{redis_prefix}leader", ttl=5.0)) for _ in range(2)]
    for worker in workers:
        worker.add("count", 3600.0, job)
    for _ in range(5):
        for worker in workers:
            await worker.tick()
    assert job.calls == 1
    assert [w.leading for w in workers] == [True, False]


async def test_when_the_redis_leader_dies_another_takes_over_after_the_ttl(
    redis: Redis, redis_prefix: str
) -> None:
    """A leader that stops renewing (a killed worker) is replaced once its lock expires."""
    key = f"{redis_prefix}leader"
    first, second = RedisLeader(redis, key, ttl=0.4), RedisLeader(redis, key, ttl=0.4)
    assert await first.acquire()
    assert not await second.acquire()
    await asyncio.sleep(0.2)
    assert await first.acquire()  # renewed: the TTL starts again
    await asyncio.sleep(0.25)
    assert not await second.acquire()
    await asyncio.sleep(0.5)  # the first worker is gone: no renewal
    assert await second.acquire()
    assert not await first.acquire()  # it comes back: the lock is taken, it does not lead


async def test_a_released_redis_lock_is_taken_at_once_and_never_someone_elses(
    redis: Redis, redis_prefix: str
) -> None:
    """Release frees the lock for the next worker; a stale leader cannot delete the new one's lock."""
    key = f"{redis_prefix}leader"
    first, second = RedisLeader(redis, key, ttl=0.2), RedisLeader(redis, key, ttl=5.0)
    assert await first.acquire()
    await first.release()
    assert await second.acquire()
    first._leading = True  # a leader that believes it still leads after its lock expired
    await first.release()
    assert await redis.get(key) == second.token.encode()
    assert not await first.acquire()


async def test_an_unreachable_redis_means_no_leader_and_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """With Redis down, acquire answers False (jobs wait) instead of raising into the loop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens here once the probe closes
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    try:
        leader = RedisLeader(client, "x:leader")
        assert not await leader.acquire()
        assert not await leader.acquire()
        assert caplog.text.count("Redis unavailable") == 1
    finally:
        await client.aclose()


# --- PostgreSQL ------------------------------------------------------------------------------------
@pytest.mark.postgres
async def test_two_schedulers_on_one_postgres_run_a_job_once(postgres_database: str) -> None:
    """Two workers with the advisory lock on one database: the job runs in one of them only."""
    lock = random.randrange(1, 2**31)  # other test runs may share the server
    job = Counter()
    leaders = [PostgresLeader.from_url(postgres_database, lock) for _ in range(2)]
    workers = [Scheduler(leader) for leader in leaders]
    try:
        for worker in workers:
            worker.add("count", 3600.0, job)
        for _ in range(3):
            for worker in workers:
                await worker.tick()
        assert job.calls == 1
        assert [w.leading for w in workers] == [True, False]
    finally:
        for leader in leaders:
            await leader.release()


@pytest.mark.postgres
async def test_when_the_postgres_leader_dies_another_takes_over(postgres_database: str) -> None:
    """A leader whose connection ends (a killed worker) loses the lock; the next tick elsewhere takes it."""
    lock = random.randrange(1, 2**31)
    first, second = (
        PostgresLeader.from_url(postgres_database, lock),
        PostgresLeader.from_url(postgres_database, lock),
    )
    try:
        assert await first.acquire()
        assert not await second.acquire()
        assert first._conn is not None
        await first._conn.close()  # the process died: the server ends its session and its locks
        for _ in range(50):
            if await second.acquire():
                break
            await asyncio.sleep(0.05)
        assert second._leading
        assert not await first.acquire()  # reconnects, finds the lock taken
        await second.release()
        assert await first.acquire()  # a clean shutdown hands over at once
    finally:
        await first.release()
        await second.release()


async def test_an_unreachable_postgres_means_no_leader(caplog: pytest.LogCaptureFixture) -> None:
    """With PostgreSQL unreachable, acquire answers False and logs once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    leader = PostgresLeader(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1)
    assert not await leader.acquire()
    assert not await leader.acquire()
    assert caplog.text.count("PostgreSQL unavailable") == 1


async def test_the_app_schedules_its_upkeep_on_one_scheduler(tmp_path: object) -> None:
    """build_app puts the help desk, usage and conversation purges on the app's scheduler."""
    from pathlib import Path

    from bot.app import build_app
    from bot.settings import Settings

    folder = Path(str(tmp_path))
    app = build_app(
        Settings(database_url=f"sqlite:///{folder / 'db.sqlite3'}", usage_spool_path=str(folder / "spool"))
    )
    try:
        assert isinstance(app.scheduler.leader, LocalLeader)
        assert set(app.scheduler.jobs) == {
            "helpdesk.sweep",
            "helpdesk.purge",
            "usage.purge",
            "conversations.purge",
            "deliveries.purge",
            "unsent.purge",
            "reminders",
        }
    finally:
        await app.close()
