"""Runs each inbound message as one turn: load the person's state, ask the engine, save.

Two guarantees meet here. Within a process, a per-person lock handles one person's messages in
the order they arrived. Between worker processes, the store's version check lets only one turn
win; the loser reloads the new state and runs its turn again, so no message is lost or counted
twice. A turn may run on the state this worker cached (bot.storage.speculative): if that proves
stale before the turn writes anything outside its state, the engine lets the ConflictError
through and the turn runs again the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.desk import BaseHelpDesk, Target
from bot.core.messages import Inbound, Outbound, UsageEvent
from bot.core.ports import BaseStateStore, BaseUsageSink
from bot.core.state import ConversationState
from bot.core.trust import id_number_note, secret_warning
from bot.core.turn import Turn
from bot.errors import ConflictError, StorageError
from bot.notify import Notifier
from bot.storage import deliveries

log = logging.getLogger("bot.conversations")

MAX_ATTEMPTS = 5
"""Turns tried per message before giving up; more than that means something is badly wrong."""


class TurnEngine(Protocol):
    """What :class:`Conversations` needs from :class:`bot.core.engine.Engine` (fakes welcome)."""

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn: ...


@dataclass
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # turns holding or waiting for the lock; the entry goes when it drops to 0


class Conversations:
    """The glue between channels, the engine and storage; one per process, shared by channels."""

    def __init__(self, engine: TurnEngine, store: BaseStateStore, usage: BaseUsageSink | None = None,
                 notifier: Notifier | None = None, desk: BaseHelpDesk | None = None) -> None:  # fmt: skip
        self.engine = engine
        self.store = store
        self.usage = usage
        self.notifier = notifier or Notifier()
        self.desk = desk
        self._locks: dict[str, _KeyLock] = {}

    @property
    def busy(self) -> int:
        """How many people have a turn running or waiting in this process."""
        return len(self._locks)

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Answer one message; raises :class:`StorageError` when the state cannot be saved."""
        key = conversation_key(inbound.channel, inbound.user_id)
        async with self._serialised(key):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                state, version = await self.store.load(key)
                try:
                    turn = await self.engine.handle(inbound, state, owned=True)  # loaded for this turn alone
                except ConflictError:  # it ran on a stale cached state, found before it wrote anything
                    log.info("conversation state was stale, retrying channel=%s attempt=%d", inbound.channel, attempt)
                    continue
                if getattr(turn, "erase", False):
                    await self._erase(key, inbound)
                    deliveries.mark_saved()
                    return turn.messages
                # An OTP, a password or a card: say never to share it; an ID number: not needed here.
                warning = secret_warning(inbound.text) or id_number_note(inbound.text)
                replies = [warning, *turn.messages] if warning is not None else list(turn.messages)
                deliveries.keep(replies)  # saved with the delivery id: a redelivery after a crash sends them again
                try:
                    await self.store.save(key, turn.state, version)
                except ConflictError:
                    log.info(
                        "conversation changed by another worker, retrying channel=%s attempt=%d",
                        inbound.channel,
                        attempt,
                    )
                    continue
                deliveries.mark_saved()  # Zalo's webhook may answer 200 now: a redelivery is refused as seen
                await self._record(key, inbound.channel, turn.events)  # stamped with the engine's time
                notices = getattr(turn, "notices", None)
                # After the save: a notice is never sent for a turn that did not happen. Nor twice: a
                # redelivery gets the stored replies only (docs/deploy.md, "Guarantees"), so neither
                # the notices nor the "please call" added when one fails are part of what is stored.
                if notices:
                    failed = await self.notifier.send_each(notices)
                    replies += [n.undelivered for n in failed if n.undelivered is not None]  # e.g. "please call"
                return replies
        raise StorageError(
            f"gave up on a {inbound.channel} message after {MAX_ATTEMPTS} attempts: other workers kept "
            "changing the same conversation; check for a message loop or a stuck worker"
        )

    async def forget(self, channel: str, user_id: str) -> None:
        """Delete what is remembered about one person (after their turns in progress finish)."""
        key = conversation_key(channel, user_id)
        async with self._serialised(key):
            await self.store.delete(key)

    async def _erase(self, key: str, inbound: Inbound) -> None:
        """The person's right to erase: their state, usage events and help requests' details go."""
        await self.store.delete(key)
        if self.usage is not None:
            await self.usage.erase(key, inbound.channel)
        if self.desk is not None:
            await self.desk.forget(Target(inbound.channel, inbound.user_id))
        log.info("data erased on request channel=%s", inbound.channel)

    async def _record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        if self.usage is None:
            return
        try:
            await self.usage.record(key, channel, events)
        except Exception:  # counting is never worth a failed reply
            log.exception("usage sink failed channel=%s events=%d", channel, len(events))

    @asynccontextmanager
    async def _serialised(self, key: str) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _KeyLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]


def conversation_key(channel: str, user_id: str) -> str:
    """The store key of one person in one channel."""
    return f"{channel}:{user_id}"
