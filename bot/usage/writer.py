"""The usage sink the bot runs with: turns hand it events, a background task writes them in batches.

A reply must never wait for the usage log, so :meth:`BatchedUsageSink.record` only redacts,
pseudonymises and queues. Every ~0.5 s (or 200 rows) the queue is written in one transaction.
When the database errs or does not answer in time, the batch goes to the spool file and is
replayed, in order and with the same event keys, once the database answers again — so an outage
loses nothing, and a write that committed after all (its answer lost) is not counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bot.core.messages import UsageEvent
from bot.core.ports import BaseUsageSink
from bot.errors import StorageError
from bot.jobs import Scheduler
from bot.usage.pseudonym import person_id
from bot.usage.rows import Row, local_day, months_before, to_rows, without_person
from bot.usage.spool import Entry, Erasure, Spool
from bot.usage.store import UsageStore

log = logging.getLogger("bot.usage")


PURGE_CHUNK = 5000
"""Events deleted per transaction when purging, so a big first purge never holds the database long."""
ADOPT_EVERY = 60.0
"""Seconds between looks for spools left by stopped workers."""


class _Unavailable(Exception):
    """The store did not take a call: it failed, timed out, or is still busy with an earlier one."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BatchedUsageSink(BaseUsageSink):
    """Usage events to a :class:`~bot.usage.store.UsageStore`, batched, with a spool for outages.

    ``start()`` runs the background writer (``record`` also starts it on first use); ``stop()``
    writes or spools whatever is queued. With ``retention_months``, :meth:`schedule` adds the
    daily purge of old events to the app's scheduler (it runs in the leading worker only).
    """

    def __init__(
        self,
        store: UsageStore,
        secret: bytes,
        spool_path: Path,
        *,
        flush_seconds: float = 0.5,
        batch_size: int = 200,
        write_timeout: float = 5.0,
        retry_max_seconds: float = 30.0,
        retention_months: int | None = None,
        purge_every_seconds: float = 86_400.0,
        purge_delay_seconds: float = 60.0,
        max_queue: int = 100_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.spool_path = spool_path
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.write_timeout = write_timeout
        self.retry_max_seconds = retry_max_seconds
        self.retention_months = retention_months
        self.purge_every_seconds = purge_every_seconds
        self.purge_delay_seconds = purge_delay_seconds
        self.max_queue = max_queue
        self._secret = secret
        self._clock = clock or _utc_now
        self._queue: list[Row] = []
        self._people: dict[str, str] = {}  # key -> pseudonym; the HMAC is a tenth of record()'s cost
        self._lock = asyncio.Lock()  # one of flush / erase at a time: they share the spool
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._spool: Spool | None = None
        self._spool_failed = False
        self._spool_errors = 0  # spool writes failed in a row (a full disk), to log once
        self._inflight: asyncio.Future[Any] | None = None  # a timed-out call the store may still finish
        self._failures = 0
        self._retry_at = 0.0
        self._lost = 0

    # --- the turn's side: never waits, never raises ----------------------------------------
    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        if not events:
            return
        try:
            self._queue += to_rows(events, channel, self._person(key, channel), self._clock())
            if len(self._queue) >= self.batch_size:
                self._wake.set()
            if len(self._queue) > self.max_queue:
                self._drop_oldest()
            self._ensure_running()
        except Exception:  # a bug here must cost an event, never a reply
            log.exception("usage events dropped channel=%s events=%d", channel, len(events))

    async def erase(self, key: str, channel: str) -> None:
        """Delete the person's events everywhere they may be: queue, spool and database.

        Raises :class:`StorageError` only when the request could be neither carried out nor
        written down for later: then the person must be told, not reassured."""
        person = self._person(key, channel)
        self._queue[:] = without_person(self._queue, person)
        async with self._lock:
            await self._prepare()
            self._queue[:] = without_person(self._queue, person)
            spool = self._spool
            if spool is not None and spool.count:
                entries = await asyncio.to_thread(spool.read)
                kept = [e for e in entries if isinstance(e, Erasure) or e["person"] != person]
                if len(kept) != len(entries):
                    await asyncio.to_thread(spool.replace, kept)
            try:
                await self._call(partial(self.store.erase, person))
                return
            except _Unavailable:
                pass
            try:
                if spool is None:
                    raise OSError(f"no spool file at {self.spool_path}")
                await asyncio.to_thread(spool.append, [Erasure(person)])
            except OSError as exc:
                raise StorageError(
                    f"could not erase usage events: the database is unavailable and the spool failed "
                    f"({exc}); check the database and that {self.spool_path.parent} is writable"
                ) from exc
            log.warning("usage log: database unavailable, erasure request kept in %s", spool.path)

    @property
    def pending(self) -> int:
        """Events (and erasures) not yet in the database: queued in memory or in the spool."""
        return len(self._queue) + (self._spool.count if self._spool is not None else 0)

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Run the background writer."""
        self._ensure_running()

    async def stop(self) -> None:
        """Stop the background work; what is queued goes to the database, or else to the spool."""
        self._stopping = True
        if self._task is not None:
            self._wake.set()
            await self._task  # it leaves its loop after the flush under way: no batch half-done
            self._task = None
        async with self._lock:
            if not self._queue and self._spool is None:
                await self._close_store()
                return  # never used: no spool file to create just to close it
            await self._prepare()
            self._retry_at = 0.0  # one last try, whatever the back-off says
            await self._flush_locked()
            if self._queue:
                log.error("usage log: %d events could be neither written nor spooled and are lost",
                          len(self._queue))  # fmt: skip
                self._queue.clear()
            if self._spool is not None:
                self._spool.close()
                self._spool = None
        if self._inflight is None or self._inflight.done():
            await self._close_store()

    async def _close_store(self) -> None:
        aclose = getattr(self.store, "aclose", None)
        if aclose is not None:
            await aclose()
        else:
            self.store.close()

    async def flush(self) -> None:
        """Write (or spool) everything queued now. The background task calls it; so may tests."""
        async with self._lock:
            await self._prepare()
            await self._flush_locked()

    async def purge(self, older_than_months: int, today: date | None = None) -> int:
        """Delete events (and daily counts) of days more than ``older_than_months`` months ago."""
        before = months_before(today or local_day(self._clock()), older_than_months)
        total = 0
        while True:
            if self.store.inline:
                count = self.store.purge(before, PURGE_CHUNK)
            else:
                count = await asyncio.to_thread(self.store.purge, before, PURGE_CHUNK)
            total += count
            if count < PURGE_CHUNK:
                break
            await asyncio.sleep(0)  # let turns run between chunks
        log.info("usage log: purged %d events from before %s", total, before)
        return total

    # --- background work -------------------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._task is not None or self._stopping:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="usage-writer")

    async def _run(self) -> None:
        next_adoption = time.monotonic() + ADOPT_EVERY
        while True:
            try:
                await self.flush()  # first thing: replay what an earlier run left in the spool
                if time.monotonic() >= next_adoption and self._spool is not None:
                    next_adoption = time.monotonic() + ADOPT_EVERY
                    async with self._lock:
                        await asyncio.to_thread(self._spool.adopt_orphans)
            except Exception:  # the writer must outlive any one bad flush
                log.exception("usage log: flush failed")
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_seconds)
            self._wake.clear()

    def schedule(self, scheduler: Scheduler) -> None:
        """Add the daily purge (when a retention is set) to the app's scheduler."""
        months = self.retention_months
        if months is not None:
            scheduler.add("usage.purge", self.purge_every_seconds, lambda: self.purge(months),
                          first=self.purge_delay_seconds)  # fmt: skip

    async def _flush_locked(self) -> None:
        if self._spool is not None and self._spool.count and not await self._replay():
            await self._to_spool()  # older events wait in the spool: new ones queue up behind them
            return
        while self._queue:
            batch = self._queue[: self.batch_size]
            del self._queue[: self.batch_size]
            try:
                await self._write(batch)
            except _Unavailable:
                self._queue[:0] = batch
                await self._to_spool()
                return
            await asyncio.sleep(0)  # let turns run between batches

    async def _replay(self) -> bool:
        """Write the spool's entries in order; True when it is empty again."""
        assert self._spool is not None
        entries: list[Entry] = await asyncio.to_thread(self._spool.read)
        done = 0
        try:
            while done < len(entries):
                entry = entries[done]
                if isinstance(entry, Erasure):
                    await self._call(partial(self.store.erase, entry.person))
                    done += 1
                else:
                    batch: list[Row] = []
                    for following in entries[done : done + self.batch_size]:
                        if isinstance(following, Erasure):
                            break
                        batch.append(following)
                    await self._write(batch)
                    done += len(batch)
                await asyncio.sleep(0)
        except _Unavailable:
            if done:
                await asyncio.to_thread(self._spool.replace, entries[done:])
            return False
        await asyncio.to_thread(self._spool.replace, [])
        log.info("usage log: replayed %d spooled entries", len(entries))
        return True

    async def _to_spool(self) -> None:
        rows, self._queue = self._queue, []
        if not rows:
            return
        try:
            if self._spool is None:  # _prepare has said why; the rows wait in memory
                raise OSError(f"no spool file at {self.spool_path}")
            await asyncio.to_thread(self._spool.append, rows)
            self._spool_errors = 0
        except OSError:
            if self._spool is not None and not self._spool_errors:
                log.exception("usage log: cannot write the spool %s; events wait in memory", self._spool.path)
            self._spool_errors += 1
            self._queue[:0] = rows
            if len(self._queue) > self.max_queue:
                self._drop_oldest()

    async def _write(self, batch: list[Row]) -> int:
        """Write one batch: from the event loop where the store can (``awrite``), else as a call."""
        awrite = getattr(self.store, "awrite", None)
        if awrite is None or self.store.inline:
            return int(await self._call(partial(self.store.write, batch)))
        return int(await self._call(partial(awrite, batch), awaited=True))

    async def _call(self, work: Callable[[], Any], *, awaited: bool = False) -> Any:
        """Run one store call: in the loop for an inline store, else in a thread with a time limit
        (``awaited``: ``work`` is a coroutine function, awaited in the loop with that limit).

        A call that times out keeps running in its thread and may still commit; no other call
        starts until it ends, and its batch is spooled, to be replayed under the same keys. An
        awaited call is cancelled at the limit; its store drops the connection, and its batch is
        replayed the same way."""
        if self._inflight is not None:
            if not self._inflight.done():
                raise _Unavailable("the database has not finished the previous call")
            self._inflight = None
        if time.monotonic() < self._retry_at:
            raise _Unavailable("waiting before the next attempt")
        try:
            if self.store.inline:
                result = work()
            elif awaited:
                async with asyncio.timeout(self.write_timeout):
                    result = await work()
            else:
                task = asyncio.ensure_future(asyncio.to_thread(work))
                done, _pending = await asyncio.wait({task}, timeout=self.write_timeout)
                if not done:
                    task.add_done_callback(_quietly)
                    self._inflight = task
                    raise TimeoutError(f"no answer within {self.write_timeout:g} s")
                result = task.result()
        except Exception as exc:
            self._down(exc)
            raise _Unavailable(str(exc)) from exc
        if self._failures:
            log.warning("usage log: database answering again after %d failed attempts", self._failures)
            self._failures = 0
        return result

    async def _prepare(self) -> None:
        """Open our spool (first flush or erase), taking over spools left by stopped workers."""
        if self._spool is not None:
            return
        spool = Spool(self.spool_path)
        try:
            await asyncio.to_thread(spool.open)
            await asyncio.to_thread(spool.adopt_orphans)
        except OSError:
            if not self._spool_failed:
                log.exception("usage log: cannot use the spool %s; an outage will keep events in memory",
                              self.spool_path)  # fmt: skip
            self._spool_failed = True
            return
        self._spool, self._spool_failed = spool, False
        if spool.count:
            log.info("usage log: %d entries waiting in %s from an earlier run", spool.count, spool.path)

    def _down(self, exc: BaseException) -> None:
        self._failures += 1
        self._retry_at = time.monotonic() + min(
            self.retry_max_seconds, self.flush_seconds * 2 ** (self._failures - 1)
        )
        if self._failures == 1:
            reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            where = self._spool.path if self._spool is not None else "memory (no spool)"
            log.warning("usage log: database unavailable (%s); events wait in %s", reason, where)

    def _drop_oldest(self) -> None:
        overflow = len(self._queue) - self.max_queue
        del self._queue[:overflow]
        self._lost += overflow
        log.error("usage log: queue over %d events (database and spool both failing); %d oldest dropped, "
                  "%d in all", self.max_queue, overflow, self._lost)  # fmt: skip

    def _person(self, key: str, channel: str) -> str:
        person = self._people.get(key)
        if person is None:
            if len(self._people) >= 50_000:
                self._people.clear()
            user_id = key[len(channel) + 1 :] if key.startswith(channel + ":") else key
            person = self._people[key] = person_id(self._secret, channel, user_id)
        return person


def _quietly(task: asyncio.Future[Any]) -> None:
    """Collect a late call's outcome, so asyncio does not report it as never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.info("usage log: a timed-out call failed later: %s", task.exception())
