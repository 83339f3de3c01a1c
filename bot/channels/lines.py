"""One person's messages in order without making each wait for the one before's sending.

A person typing short lines in a burst ("cho hỏi", "làm cccd", "ở đâu ạ") sends several messages
within a fraction of a second. Their turns must run in the order they came (each reads the state
the one before saved), and their replies must leave in that order too. But a turn need not wait
for the previous turn's replies to reach the platform: on Zalo a send takes a few hundred
milliseconds, and a webhook that may answer only once its turn is saved would otherwise wait for
every earlier reply of the burst (see :mod:`bot.channels.zalo`).

So a channel holds two per-person orders:

- :class:`PersonLocks` — one turn (load, run, save) at a time per person;
- :class:`SendLines` — the replies: a turn takes its place in the person's line while it still
  holds the turn lock (so places are taken in the order turns ran), lets the lock go, then waits
  for the places before it to be left before sending.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PersonLocks:
    """A lock per person, kept only while someone holds or waits for it. asyncio's lock wakes its
    waiters first come, first served, so turns run in the order they asked."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def one_at_a_time(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Place:
    """A place in one person's line: :meth:`reached` once every place before it was left;
    :meth:`leave` once done (again is a no-op; before the place was reached is allowed)."""

    def __init__(self, line: SendLines, key: str, before: asyncio.Future[None] | None) -> None:
        self._line = line
        self._key = key
        self._before = before
        self._leaving = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def reached(self) -> None:
        if self._before is not None and not self._before.done():
            # asyncio.wait, not await: a turn cancelled while waiting must not cancel the place
            # before it, which belongs to another turn.
            await asyncio.wait({self._before})

    def leave(self) -> None:
        """Let the next place go, once the ones before have gone too: a turn that leaves early (it
        failed, or was cancelled while waiting) must not let a later one overtake an earlier one."""
        if self._leaving:
            return
        self._leaving = True
        if self._before is None or self._before.done():
            self._line._left(self._key, self)
        else:
            self._before.add_done_callback(lambda _before: self._line._left(self._key, self))


class SendLines:
    """Per person, the order replies leave in: places are handed out in the order :meth:`join` is
    called, and each is reached once the ones before it were left. Nothing is kept for a person
    whose line is empty."""

    def __init__(self) -> None:
        self._last: dict[str, Place] = {}

    def __len__(self) -> int:
        return len(self._last)

    def join(self, key: str) -> Place:
        """The next place in ``key``'s line, taken now, without waiting (call it where the order is
        known: under the turn's lock)."""
        last = self._last.get(key)
        place = Place(self, key, last.done if last is not None else None)
        self._last[key] = place
        return place

    def _left(self, key: str, place: Place) -> None:
        if not place.done.done():
            place.done.set_result(None)
        if self._last.get(key) is place:
            del self._last[key]
