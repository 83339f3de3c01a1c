"""Answers through a database outage: recent conversation states kept in memory, written back later.

Answering a question needs the knowledge base, not the database. So when the state store fails
(PostgreSQL down or unreachable, SQLite's write lock held by a `db purge` or a backup), the turn
runs from the state this worker last saw for the person — or a fresh one — and the reply goes out.
The new state waits here, marked unsaved, and is written back with the usual version check once
the database answers: if another worker changed the conversation meanwhile, the database wins
(the cached turns are dropped, logged); nothing is ever overwritten blindly.

After a failure the database is left alone for ``retry_after`` seconds (then one call tries
it again), so an outage costs each turn nothing rather than a connect timeout. The cache is
bounded (least recently used goes first, unsaved states last). What truly needs the database
(an erasure, a help request's claim) still fails and says so.

Deliveries handled during the outage (:mod:`bot.storage.deliveries`) are recorded at write-back,
so a redelivery after the database returns is still refused.

The same cache saves a round trip on every turn while the database is up: a person's next message
runs on the state this worker saved for them last, without reading the row again
(:mod:`bot.storage.speculative`: the save's version check catches a state another worker moved
on, and the turn runs again on the current row; a write outside the state first confirms it).
That bet pays only where a person's messages keep reaching the same worker (one worker, or a
sticky proxy). Behind a shared socket or a round-robin proxy, half of a person's messages reach
the other worker, and each stale copy costs the whole turn twice. So each worker keeps, per
channel, the share of its copies that proved current — from the bets' outcomes and, while it does
not bet, from comparing each row it reads with the copy it held — and bets only while that share
is high (:data:`CURRENT_AT_LEAST`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState
from bot.errors import ConflictError, StorageError
from bot.storage import deliveries, speculative
from bot.storage.deliveries import DuplicateDelivery
from bot.storage.pg import Row
from bot.storage.sql import Conflict, SqlStateStore, decode

log = logging.getLogger("bot.storage")

READ_BACK_SECONDS = 1.0
"""A row a failed save (or a check) just read back serves the retried turn as a load would; later,
as any cached copy (confirmed before writes elsewhere)."""

CURRENT_AT_LEAST = 0.9
"""Run a turn on a cached copy only while at least this share of copies proved current. The
break-even: a stale copy costs a failed save, a read and the turn again (~1 ms of CPU for a web chat
message, docs/benchmarks.md), a current one saves a read (~0.1 ms): 1 − 0.1/1.1 ≈ 0.9."""

CURRENT_WEIGHT = 1 / 32
"""How much each outcome moves that share (an exponentially weighted mean): four stale copies in
a row stop the bets; after ~70 rows read unchanged, betting starts again."""


@dataclass
class _Entry:
    state: str | None  # JSON, so a caller mutating a state after saving cannot change the cache
    version: int  # the version in the database this state follows from
    dirty: bool = False  # changed here, not yet in the database
    seen: dict[str, str | None] = field(default_factory=dict)  # deliveries handled while unsaved: their replies
    doubt: str | None = None  # a state whose save failed in flight: it may have committed all the same
    writing: bool = False  # a write-back is under way
    # The row's updated_at as this state was read or saved. A clean entry with one, not expired,
    # is the next turn's state without reading the row again (the save's version check guards it).
    updated: datetime | None = None
    read_back: float | None = None  # when a failed save read it back: the retry at once needs no confirmation
    # This person's messages reach other workers too (a turn on the cached state proved stale): read
    # the row every turn, as a rerun costs more than the read it would save. Kept while cached.
    elsewhere: bool = False


class ResilientStore(BaseStateStore):
    def __init__(self, inner: SqlStateStore, size: int = 20_000, retry_after: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, *, reuse: bool = True) -> None:  # fmt: skip
        self.inner = inner
        self.reuse = reuse  # run turns on the cached state while the database is up (False: read it every turn)
        self.size = size
        self.retry_after = retry_after
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._down_until = 0.0
        self._down_since: float | None = None
        self._probing = False
        self._flusher: asyncio.Task[None] | None = None
        self.served_from_cache = 0  # turns loaded or saved without the database, for /metrics and tests
        self.dropped = 0  # unsaved states given up: the database had moved on, or the cache overflowed
        self.reused = 0  # turns run on the cached state with the database up (one round trip saved)
        self.stale = 0  # turns run again: their state was stale (the save's version check, or before a write elsewhere)
        self._current: dict[str, float] = {}  # per channel: the share of cached copies that proved current

    @property
    def engine(self) -> Any:
        return self.inner.engine

    @property
    def unsaved(self) -> int:
        return sum(1 for entry in self._entries.values() if entry.dirty)

    # --- the port ------------------------------------------------------------------------------
    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        entry = self._entries.get(key)
        if entry is not None and entry.dirty and self._available():
            await self._write_back(key, entry)
            entry = self._entries.get(key)
        if entry is not None and entry.dirty:
            speculative.clear()
            self._mark_seen(entry)
            return self._cached(key, entry)
        if entry is not None and self._down_since is None:
            read_back, entry.read_back = entry.read_back, None
            if read_back is not None and self._clock() - read_back < READ_BACK_SECONDS:
                speculative.clear()  # read by the save (or check) that just failed: as good as a load
                self._entries.move_to_end(key)
                return decode(entry.state, entry.version)
            if self._reusable(key, entry):
                self.reused += 1
                speculative.begin(partial(self._confirm, key, entry.version))
                self._entries.move_to_end(key)
                return decode(entry.state, entry.version)
        speculative.clear()
        held = entry.version if entry is not None and entry.state is not None and entry.updated is not None else None
        if self._available():
            try:
                data, version, updated = await self.inner.fetch(key)
            except StorageError as exc:
                self._failed(exc)
            except BaseException:
                self._ok()  # it answered (a duplicate delivery), or we were cancelled: no verdict
                raise
            else:
                self._ok(wrote=False)
                if held is not None and self._down_since is None:
                    self._observe(key, current=version == held)  # the copy this worker held: would it have done?
                self._remember(key, _Entry(data, version, updated=updated))
                return decode(data, version)
        return self._cached(key, entry)

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        entry = self._entries.get(key)
        data = state.model_dump_json()
        tried = False
        if (entry is None or not entry.dirty) and self._available():
            tried = True
            now = self.inner.now()
            try:
                version = await self.inner.save_json(key, data, expected_version, now)
            except ConflictError as exc:
                self._ok()
                self.stale += 1
                if speculative.running():
                    self._observe(key, current=False)
                    if entry is not None:
                        entry.elsewhere = True
                current = exc.current if isinstance(exc, Conflict) else None
                if current is not None and current[0] is not None:  # the retried turn runs on it
                    self._read_back(key, current)
                elif entry is not None:
                    entry.updated = entry.read_back = None  # stale: the retried turn loads (what it knew stays)
                raise
            except StorageError as exc:
                self._failed(exc)
            except BaseException:
                self._ok()
                raise
            else:
                self._ok()
                if speculative.running():
                    self._observe(key, current=True)
                speculative.settle()
                self._remember(key, _Entry(data, version, updated=now))
                return version
        # Unsaved: the turn goes on from here, and the state is written back later.
        if entry is None or not entry.dirty:
            # ``updated``: when this worker last saved the state these turns follow from.
            entry = _Entry(None, expected_version, dirty=True, doubt=data if tried else None,
                           updated=entry.updated if entry is not None else None)  # fmt: skip
        entry.state = data
        self._mark_seen(entry)
        self._remember(key, entry)
        self.served_from_cache += 1
        self._ensure_flusher()
        return expected_version

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)  # an erasure must reach the database; StorageError tells the person
        self._entries.pop(key, None)
        speculative.settle()  # the rest of an erasure (usage, help requests) goes ahead on any state

    def _reusable(self, key: str, entry: _Entry) -> bool:
        """A clean state this worker read or saved, not expired since, where copies tend to be
        current: the turn may run on it."""
        return (self.reuse and not entry.elsewhere and entry.state is not None and entry.updated is not None
                and self._current.get(_channel(key), 1.0) >= CURRENT_AT_LEAST
                and entry.updated >= self.inner.now() - self.inner.ttl)  # fmt: skip

    def _observe(self, key: str, *, current: bool) -> None:
        """One cached copy proved current (or stale): the channel's share moves towards it."""
        channel = _channel(key)
        share = self._current.get(channel, 1.0)
        self._current[channel] = share + CURRENT_WEIGHT * (current - share)

    def current_share(self) -> dict[str, float]:
        """Per channel, the share of this worker's cached copies that proved current (for /metrics)."""
        return dict(self._current)

    async def _confirm(self, key: str, version: int) -> bool:
        """Before a write outside the state: whether the cached ``version`` is still the row's."""
        try:
            data, found, updated = await self.inner.fetch(key)
        except DuplicateDelivery:
            self._entries.pop(key, None)  # the retried turn loads, and the database refuses it there
            return False
        except StorageError as exc:
            self._failed(exc)
            return True  # the write it guards meets the same outage, and says so
        self._ok(wrote=False)
        if found == version:
            return True
        self.stale += 1
        self._observe(key, current=False)
        if key in self._entries:
            self._entries[key].elsewhere = True
        if data is None:
            self._entries.pop(key, None)
        else:
            self._read_back(key, (data, found, updated))
        return False

    async def purge_expired(self, now: datetime | None = None) -> int:
        cutoff = (now or self.inner.now()) - self.inner.ttl
        for key in [k for k, e in self._entries.items() if not e.dirty and e.updated is not None and e.updated < cutoff]:
            del self._entries[key]  # what the database forgets, the cache does not hand to a turn either
        return await self.inner.purge_expired(now)

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self.unsaved:
            self._down_until, self._probing = 0.0, False
            await self.flush()
            if self.unsaved:
                log.error(
                    "state store: %d conversation states could not be written back at shutdown", self.unsaved
                )
        await self.inner.close()

    # --- writing back ------------------------------------------------------------------------
    async def flush(self) -> int:
        """Write back every unsaved state the database will take now; returns how many remain."""
        for key, entry in list(self._entries.items()):
            if entry.dirty and self._available():
                await self._write_back(key, entry)
        return self.unsaved

    async def _write_back(self, key: str, entry: _Entry) -> None:
        if entry.writing or entry.state is None:
            return
        data, seen = entry.state, dict(entry.seen)
        entry.writing = True
        try:
            with deliveries.aside():  # the turn now running (if any) is not the one being written
                version = await self._save_over(key, data, entry)
            if seen:  # recorded apart from the state: the save that failed may have recorded one already
                await asyncio.to_thread(self._record, seen)
        except (ConflictError, DuplicateDelivery) as exc:
            self._ok()
            # Another worker reached the database first: its state is the truth.
            log.warning("state store: conversation changed elsewhere during the outage; the turns "
                        "answered from memory are not written back (%s)", type(exc).__name__)  # fmt: skip
            if self._entries.get(key) is entry:
                del self._entries[key]
            self.dropped += 1
            return
        except StorageError as exc:
            self._failed(exc)
            return
        except BaseException:
            self._ok()
            raise
        finally:
            entry.writing = False
        self._ok()
        entry.seen = {d: r for d, r in entry.seen.items() if d not in seen}
        entry.version, entry.doubt = version, None
        # A turn may have moved the state on while we wrote: then it stays unsaved, following from ours.
        entry.dirty = entry.state != data or bool(entry.seen)

    async def _save_over(self, key: str, data: str, entry: _Entry) -> int:
        """Save ``data`` over the version the cached turns started from, unless another worker
        moved the conversation on. Two conflicts are not that:

        - the database is a step ahead with exactly the state whose save seemed to fail (the
          connection broke after the commit): that save did happen, and ours follows from it;
        - the database is *behind* what this worker saved, with an older ``updated_at``: the server
          crashed and lost its last commits (state writes do not wait for the disk, see
          bot.storage.pg). Ours carries those turns and the outage's: it goes over what is left.
          (A row that is gone is not written again: it may have been erased.)"""
        state = ConversationState.model_validate_json(data)
        try:
            return await self.inner.save(key, state, entry.version)
        except ConflictError:
            found, version, updated = await self.inner.fetch(key)
            if found is None:
                raise
            if entry.doubt is not None:
                stored, _version = decode(found, version)
                if stored is not None and stored.model_dump_json() == entry.doubt:
                    return await self.inner.save(key, state, version)
            mine = entry.updated
            if not (version < entry.version and updated is not None and mine is not None and updated < mine):
                raise
            log.warning("state store: the database lost this worker's last saves in its crash; the "
                        "conversation is written back over what it kept")  # fmt: skip
            return await self.inner.save(key, state, version)

    def _record(self, seen: dict[str, str | None]) -> None:
        now = datetime.now(UTC)
        with self.inner.engine.begin() as connection:
            for delivery_id, replies in seen.items():
                deliveries.record(connection, delivery_id, now, replies)

    def _ensure_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_loop(), name="state-write-back", context=contextvars.Context()
            )  # a context of its own: not the delivery of the turn that happened to start it

    async def _flush_loop(self) -> None:
        while self.unsaved:
            await asyncio.sleep(max(self._down_until - self._clock(), self.retry_after / 4))
            try:
                await self.flush()
            except Exception:  # the loop must outlive a surprise; the next round tries again
                log.exception("state store: write-back failed")

    # --- bookkeeping -----------------------------------------------------------------------------
    def _cached(self, key: str, entry: _Entry | None) -> tuple[ConversationState | None, int]:
        self.served_from_cache += 1
        if entry is None:
            return None, 0
        self._entries.move_to_end(key)
        return decode(entry.state, entry.version)

    def _read_back(self, key: str, row: Row) -> None:
        """A row that a failed save (or a check) just read: the retried turn runs on it as on a load."""
        data, version, updated = row
        self._remember(key, _Entry(data, version, updated=updated, read_back=self._clock()))

    def _mark_seen(self, entry: _Entry) -> None:
        delivery = deliveries.handling()
        if delivery is None:
            return
        if not delivery.recorded:
            if delivery.id in entry.seen:
                raise DuplicateDelivery(f"delivery {delivery.id} was handled already (not yet written back)",
                                        deliveries.decode(entry.seen[delivery.id]))  # fmt: skip
            entry.seen[delivery.id] = None
            delivery.recorded = True  # noted here; a second load in the same handling passes
        if delivery.id in entry.seen and delivery.replies is not None:  # the save, after the turn ran
            entry.seen[delivery.id] = delivery.replies

    def _remember(self, key: str, entry: _Entry) -> None:
        previous = self._entries.get(key)
        if previous is not None and previous.elsewhere:
            entry.elsewhere = True
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            victim = next((k for k, e in self._entries.items() if not e.dirty), None)
            if victim is None:
                victim = next(iter(self._entries))
                self.dropped += 1
                log.error("state store: cache full of unsaved states; the oldest is dropped")
            del self._entries[victim]

    def _available(self) -> bool:
        """Whether to call the database now. After a failure, once ``retry_after`` has passed, one
        call probes it while the others go on from memory; the probe's outcome decides for all."""
        if self._down_since is None:
            return True
        if self._probing or self._clock() < self._down_until:
            return False
        self._probing = True
        return True

    def _failed(self, exc: Exception) -> None:
        if self._down_since is None:
            self._down_since = self._clock()
            log.warning("state store unavailable; answering from memory and writing back later: %s", exc)
        self._down_until = self._clock() + self.retry_after
        self._probing = False

    def _ok(self, wrote: bool = True) -> None:
        """The database answered. Only a write proves it is back: with SQLite's write lock held
        elsewhere, reads go on working while every write fails."""
        self._down_until, self._probing = 0.0, False
        if self._down_since is not None and wrote:
            log.warning("state store answering again after %.1f s; %d states to write back",
                        self._clock() - self._down_since, self.unsaved)  # fmt: skip
            self._down_since = None


def _channel(key: str) -> str:
    """The channel of a store key (bot.conversations.conversation_key): copies are bet on per channel,
    since a proxy may route one channel's people to one worker and not another's."""
    return key.partition(":")[0]
