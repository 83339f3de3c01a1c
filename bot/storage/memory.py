"""Conversation state kept in a dict: the working fake for tests and benchmarks.

It follows the same contract as :class:`bot.storage.sql.SqlStateStore` (versions, conflicts,
expiry), so code tested against it behaves the same on a database. State is stored as JSON, as
the database does, so a caller that mutates a state after saving it cannot change what is stored.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState
from bot.errors import ConflictError


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Row:
    state: str
    version: int
    updated_at: datetime


class MemoryStateStore(BaseStateStore):
    """Conversations in process memory; lost on restart and not shared between workers."""

    def __init__(self, ttl: timedelta, clock: Callable[[], datetime] | None = None) -> None:
        self.ttl = ttl
        self._clock = clock or _utc_now
        self._rows: dict[str, _Row] = {}

    # Every method runs without awaiting, so on one event loop each is atomic, as a database
    # transaction would be.
    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        row = self._rows.get(key)
        if row is None or self._expired(row, self._clock()):
            return None, 0
        return ConversationState.model_validate_json(row.state), row.version

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        now = self._clock()
        row = self._rows.get(key)
        if expected_version == 0:
            # A new conversation may take the place of an expired one; the version keeps
            # counting so a worker still holding the old version cannot overwrite the new one.
            if row is not None and not self._expired(row, now):
                raise ConflictError(f"conversation {key!r} was started by another worker")
        elif row is None or row.version != expected_version:
            raise ConflictError(f"conversation {key!r} changed since version {expected_version}")
        # A new conversation starts at a random version, as in SQL (bot.storage.pg).
        version = row.version + 1 if row is not None else random.randint(1, 1_000_000_000)  # noqa: S311 - not a secret
        self._rows[key] = _Row(state.model_dump_json(), version, now)
        return version

    async def delete(self, key: str) -> None:
        self._rows.pop(key, None)

    async def purge_expired(self, now: datetime | None = None) -> int:
        now = now or self._clock()
        expired = [key for key, row in self._rows.items() if self._expired(row, now)]
        for key in expired:
            del self._rows[key]
        return len(expired)

    def _expired(self, row: _Row, now: datetime) -> bool:
        return row.updated_at < now - self.ttl
