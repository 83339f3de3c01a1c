"""A turn running on this worker's cached state, before the database has confirmed it.

The state store (:class:`bot.storage.resilient.ResilientStore`) hands a turn the state this worker
saved last, without reading the row again: one round trip per turn instead of two. The save's
version check catches a state another worker moved on meanwhile; the turn then runs again on the
current row (read back by the failed save where it can, else loaded), and its replies were
never sent.

What a turn does *outside* its state cannot be taken back that way: a help request opened, a
reminder set or cancelled. So every such write (the help desk's and the reminder book's
transactions) first calls :func:`confirm`, which — once per turn, and only for a turn running on
an unconfirmed cached state — reads the row's version (and whether the delivery was handled
already). If the cache was stale it raises :class:`bot.errors.ConflictError` before anything
happens, and the turn is run again on the fresh state. A turn on a confirmed state has exactly
the guarantees of a load-then-save turn.

The store sets the turn's :class:`Unconfirmed` in the context during its ``load``, which runs in
the turn's task (``Conversations.handle``); tasks started inside the turn carry it with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from bot.errors import ConflictError


@dataclass
class Unconfirmed:
    check: Callable[[], Awaitable[bool]]  # reads the row: True if the cached state is current
    confirmed: bool = False
    stale: bool = False
    settled: bool = False  # the turn's state was saved: nothing left to guard


_CURRENT: ContextVar[Unconfirmed | None] = ContextVar("unconfirmed_turn", default=None)


def begin(check: Callable[[], Awaitable[bool]]) -> Unconfirmed:
    """This task's turn runs on a cached state; ``check`` reads the database to confirm it."""
    turn = Unconfirmed(check)
    _CURRENT.set(turn)
    return turn


def clear() -> None:
    """This task's turn runs on a state just read from the database: nothing to confirm."""
    if _CURRENT.get() is not None:
        _CURRENT.set(None)


def running() -> bool:
    """Whether this task's turn runs on a cached state that no save has confirmed yet."""
    turn = _CURRENT.get()
    return turn is not None and not turn.settled


def settle() -> None:
    """The turn's state was saved (its version check passed): later writes need no confirmation."""
    turn = _CURRENT.get()
    if turn is not None:
        turn.settled = True


async def confirm() -> None:
    """Call before a write outside the conversation state; raises ConflictError if the turn runs on
    a stale cached state, so that it is run again before it changes anything."""
    turn = _CURRENT.get()
    if turn is None or turn.settled or turn.confirmed:
        return
    if turn.stale or not await turn.check():
        turn.stale = True
        raise ConflictError("the cached conversation state was stale; the turn runs again on the current one")
    turn.confirmed = True
