"""Background jobs that run once across all workers: a scheduler and the leader lock it runs under.

Every worker builds one :class:`Scheduler` and adds the same jobs (help-desk reminders, purges,
deadline reminders…). Each tick the scheduler asks its leader lock whether this worker leads; only
the leader runs jobs that are due. The lock is whatever the deployment already has:

- :class:`LocalLeader` — one worker on SQLite and no Redis: always the leader.
- :class:`RedisLeader` — ``TROLYSO_REDIS_URL`` set: ``SET key token NX PX ttl``, renewed each
  tick, released by a script that checks the token; a leader that dies is replaced after the TTL.
- :class:`PostgresLeader` — PostgreSQL without Redis: ``pg_try_advisory_lock`` held by a dedicated
  connection; a leader that dies loses its connection and with it the lock.

A lock is a hint, not a guarantee: a leader that stalls past its TTL may still be finishing a job
when the next one starts. So every job claims its rows itself (a conditional UPDATE, or ``FOR
UPDATE SKIP LOCKED``), and two overlapping runs never process a row twice.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg
    from redis.asyncio import Redis

log = logging.getLogger("bot.jobs")

LEADER_LOCK_ID = 7_146_251_002
"""The PostgreSQL advisory lock of the leader (the migrations use ...001)."""


class BaseLeader(abc.ABC):
    """Decides which worker runs the background jobs."""

    @abc.abstractmethod
    async def acquire(self) -> bool:
        """Become or stay the leader; True while this worker leads. Cheap: called every tick, and
        it renews the lock. Never raises: a lock it cannot reach means "not the leader"."""

    @abc.abstractmethod
    async def release(self) -> None:
        """Give the lock up (on shutdown), so another worker takes over without waiting."""


class LocalLeader(BaseLeader):
    """One worker and nothing to share: this worker always leads."""

    async def acquire(self) -> bool:
        return True

    async def release(self) -> None:
        return None


# Delete or extend the key only while it still holds our token: a leader whose lock expired and
# was taken by another worker must not remove or prolong the new leader's lock.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeader(BaseLeader):
    """The leader holds ``key`` in Redis with its own random token and a time to live."""

    def __init__(self, redis: Redis, key: str, ttl: float = 15.0) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.token = secrets.token_hex(16)
        self._leading = False
        self._failing = False
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        try:
            if self._leading and await self._renew(keys=[self.key], args=[self.token, self.ttl_ms]):
                leading = True
            else:
                leading = bool(await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except Exception as exc:  # Redis down: nobody can be sure to lead, so nobody runs jobs
            if not self._failing:
                log.warning("leader lock: Redis unavailable (%s); background jobs wait", exc)
            self._failing = True
            leading = False
        else:
            self._failing = False
        self._changed(leading)
        return leading

    async def release(self) -> None:
        if self._leading:
            with contextlib.suppress(Exception):
                await self._release(keys=[self.key], args=[self.token])
        self._leading = False

    def _changed(self, leading: bool) -> None:
        if leading != self._leading:
            log.info("leader lock %s: %s", self.key, "this worker leads" if leading else "no longer leading")
        self._leading = leading


class PostgresLeader(BaseLeader):
    """The leader holds a session advisory lock on its own connection (not one of the pool's)."""

    def __init__(self, conninfo: str, lock_id: int = LEADER_LOCK_ID, connect_timeout: float = 3.0) -> None:
        self.conninfo = conninfo
        self.lock_id = lock_id
        self.connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._leading = False
        self._failing = False

    @classmethod
    def from_url(cls, url: str, lock_id: int = LEADER_LOCK_ID) -> PostgresLeader:
        """From a SQLAlchemy URL (``postgresql+psycopg://…``), as in TROLYSO_DATABASE_URL."""
        from bot.storage.db import normalize_url

        parsed = normalize_url(url).set(drivername="postgresql")
        return cls(parsed.render_as_string(hide_password=False), lock_id)

    async def acquire(self) -> bool:
        try:
            leading = await self._acquire()
        except Exception as exc:  # the connection broke: the server has dropped our lock with it
            if not self._failing:
                log.warning("leader lock: PostgreSQL unavailable (%s); background jobs wait", exc)
            self._failing = True
            await self._drop()
            leading = False
        else:
            self._failing = False
        if leading != self._leading:
            log.info("leader lock (advisory %d): %s", self.lock_id,
                     "this worker leads" if leading else "no longer leading")  # fmt: skip
        self._leading = leading
        return leading

    async def _acquire(self) -> bool:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=max(1, int(self.connect_timeout))
            )
            self._leading = False
        conn = self._conn
        if self._leading:
            # The lock lives as long as the session: checking that the session is alive renews it.
            await asyncio.wait_for(conn.execute("SELECT 1"), self.connect_timeout)
            return True
        cursor = await asyncio.wait_for(
            conn.execute("SELECT pg_try_advisory_lock(%s)", (self.lock_id,)), self.connect_timeout
        )
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def release(self) -> None:
        if self._conn is not None and self._leading:
            with contextlib.suppress(Exception):
                await self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.lock_id,))
        self._leading = False
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


@dataclass
class Job:
    name: str
    every: float
    run: Callable[[], Awaitable[object]]
    due: float
    runs: int = 0
    failures: int = 0
    last_error: str | None = field(default=None, repr=False)


class Scheduler:
    """Runs each added job every ``every`` seconds, in whichever worker holds the leader lock.

    ``clock`` gives monotonic seconds (a fake one in tests). A job that raises is logged and tried
    again at its next turn. A worker that becomes leader runs the jobs that are due at once: it
    cannot know when the previous leader last ran them, and every job is safe to repeat.
    """

    def __init__(self, leader: BaseLeader, clock: Callable[[], float] = time.monotonic,
                 tick_seconds: float = 1.0) -> None:  # fmt: skip
        self.leader = leader
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.jobs: dict[str, Job] = {}
        self.leading = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def add(
        self, name: str, every: float, run: Callable[[], Awaitable[object]], *, first: float = 0.0
    ) -> None:
        """Run ``run`` every ``every`` seconds, the first time ``first`` seconds from now."""
        if name in self.jobs:
            raise ValueError(f"a job named {name!r} is already scheduled")
        if every <= 0:
            raise ValueError(f"job {name!r}: every must be positive, not {every}")
        self.jobs[name] = Job(name, every, run, self.clock() + first)

    async def tick(self) -> list[str]:
        """If this worker leads, run the jobs that are due (together) and return their names."""
        self.leading = await self.leader.acquire()
        if not self.leading:
            return []
        now = self.clock()
        due = [job for job in self.jobs.values() if job.due <= now]
        if not due:
            return []
        for job in due:
            job.due = now + job.every
        runs = [asyncio.ensure_future(self._run(job)) for job in due]
        pending: set[asyncio.Future[None]] = set(runs)
        while pending:
            _done, pending = await asyncio.wait(pending, timeout=self.tick_seconds)
            if pending:  # a long job: keep the lock alive meanwhile
                self.leading = await self.leader.acquire()
        return [job.name for job in due]

    async def _run(self, job: Job) -> None:
        started = time.monotonic()
        try:
            await job.run()
        except Exception as exc:
            job.failures += 1
            job.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed; next try in %.0f s", job.name, job.every)
        else:
            job.runs += 1
            job.last_error = None
            took = time.monotonic() - started
            if took > 1.0:
                log.info("job %s took %.1f s", job.name, took)

    async def start(self) -> None:
        """Tick in the background until :meth:`stop`."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        """Stop ticking; a job under way finishes first. Then the lock is released."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.leader.release()
        self.leading = False

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:  # a bug in a leader must not end the loop
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick_seconds)


def build_leader(database_url: str, redis: Redis | None, prefix: str = "trolyso:") -> BaseLeader:
    """The lock the deployment affords: Redis when configured, else PostgreSQL, else local."""
    if redis is not None:
        return RedisLeader(redis, f"{prefix}leader")
    if database_url.startswith(("postgresql", "postgres")):
        return PostgresLeader.from_url(database_url)
    return LocalLeader()
