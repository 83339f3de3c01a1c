"""Small interfaces the engine's surroundings implement (storage, usage log)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from bot.core.messages import UsageEvent
from bot.core.state import ConversationState


class BaseStateStore(abc.ABC):
    """Conversation state by key (``channel:user``), with optimistic versioning.

    ``load`` returns the state and its version (0 for a new or expired conversation). ``save``
    writes only if the stored version still equals ``expected_version`` and returns the new one;
    otherwise it raises :class:`bot.errors.ConflictError` and the caller retries the turn.
    """

    @abc.abstractmethod
    async def load(self, key: str) -> tuple[ConversationState | None, int]: ...

    @abc.abstractmethod
    async def save(self, key: str, state: ConversationState, expected_version: int) -> int: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> None: ...

    @abc.abstractmethod
    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete conversations idle for longer than the store's time-to-live; returns how many."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class BaseUsageSink(abc.ABC):
    """Receives the usage events of each turn; must never slow down or break a reply."""

    @abc.abstractmethod
    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None: ...

    async def erase(self, key: str, channel: str) -> None:  # noqa: B027 - nothing kept by default
        """Delete every event of one person (their right to erase)."""


class NullUsageSink(BaseUsageSink):
    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        return None
