"""Small interfaces the engine's surroundings implement (storage, usage log)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.messages import UsageEvent
from bot.core.state import ConversationState


class BaseStateStore(abc.ABC):
    """Conversation state by key (``channel:user``), with optimistic versioning.

    ``load`` returns the state and its version (0 for a new or expired conversation); the state is
    a fresh copy, the caller's own to change (the engine changes it in place). ``save``
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


@dataclass(frozen=True)
class Reminder:
    """One opt-in deadline reminder: who (channel and platform user id), for which guide, the due
    date and the language. Never the answers that led to the date."""

    id: int
    channel: str
    user_id: str
    flow: str  # the guide (and its procedure) the reminder leads back to
    due: date
    lang: str
    status: str = "active"  # active | waiting (show at their next message) | done | cancelled | dropped


class BaseReminderBook(abc.ABC):
    """The opt-in deadline reminders, shared by every worker (bot.reminders.sql; an in-memory one
    for tests in bot.reminders.memory)."""

    @abc.abstractmethod
    async def add(self, channel: str, user_id: str, flow: str, due: date, lang: str, today: date) -> Reminder:
        """Store a reminder (or return the person's active one for the same guide and date)."""

    @abc.abstractmethod
    async def of_person(self, channel: str, user_id: str) -> list[Reminder]:
        """The person's reminders still to come (active or waiting), soonest first."""

    @abc.abstractmethod
    async def cancel(self, reminder_id: int, channel: str, user_id: str) -> bool:
        """Cancel one of the person's own reminders; False when it is not theirs or already over."""

    @abc.abstractmethod
    async def take_waiting(self, channel: str, user_id: str) -> list[Reminder]:
        """Reminders due but not deliverable by push (web chat, Zalo outside its window), claimed
        once: the caller shows them in the reply to the person's message."""

    @abc.abstractmethod
    async def came_back(self, reminder_id: int, channel: str, user_id: str) -> None:
        """The person opened their checklist from a reminder (counted on the dashboard)."""

    @abc.abstractmethod
    async def forget(self, channel: str, user_id: str) -> int:
        """The person's right to erase: delete all their reminders; returns how many."""
