"""Where usage rows end up: the port the batched writer writes through, and its in-memory fake.

The port is synchronous on purpose: the writer decides where a call runs (in the event loop for
SQLite, in a thread with a time limit for a server database), so an implementation only has to
be correct, never clever about concurrency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.usage.rows import DailyKey, Row, daily_key


class UsageStore(Protocol):
    """Rows and daily counts in one place; every write is all-or-nothing."""

    @property
    def inline(self) -> bool:
        """True when calls are quick enough to run in the event loop (a local SQLite file)."""
        ...

    def write(self, rows: Sequence[Row]) -> int:
        """Insert the rows whose ``event_key`` is new and add exactly those to the daily counts,
        in one transaction; returns how many were new."""
        ...

    def erase(self, person: str) -> int:
        """Delete one person's rows and take them off the daily counts; returns how many went."""
        ...

    def purge(self, before: date, limit: int) -> int:
        """Delete up to ``limit`` rows of days before ``before`` (and, once none are left, those
        days' counts); returns how many rows went, so callers repeat until it is below ``limit``."""
        ...

    def close(self) -> None:
        """Release what the store holds open."""
        ...


class MemoryUsageStore:
    """The usage store in a dict: the working fake for tests, with the same idempotency rules."""

    inline = True

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.daily: Counter[DailyKey] = Counter()
        self.writes = 0  # transactions that wrote something, for batching tests

    def write(self, rows: Sequence[Row]) -> int:
        new = [row for row in rows if row["event_key"] not in self.rows]
        for row in new:
            self.rows[row["event_key"]] = row
            self.daily[daily_key(row)] += 1
        self.writes += 1
        return len(new)

    def erase(self, person: str) -> int:
        gone = [key for key, row in self.rows.items() if row["person"] == person]
        for key in gone:
            self.daily[daily_key(self.rows.pop(key))] -= 1
        self.daily = +self.daily  # drops the counts that reached zero
        return len(gone)

    def purge(self, before: date, limit: int) -> int:
        old = [key for key, row in self.rows.items() if row["day"] < before][:limit]
        for key in old:
            self.daily[daily_key(self.rows.pop(key))] -= 1
        if len(old) < limit:
            self.daily = Counter({key: n for key, n in self.daily.items() if key[0] >= before and n > 0})
        return len(old)

    def close(self) -> None:
        return None
