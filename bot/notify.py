"""Messages for someone other than the person whose turn it is: a team group told of a new help
request, a citizen told who will call. Each channel registers how it pushes a message to a chat;
the conversation service hands every turn's notices here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.core.desk import Notice
from bot.core.messages import Outbound

log = logging.getLogger("bot.notify")

Pusher = Callable[[str, Sequence[Outbound]], Awaitable[bool]]
"""Send messages to one chat of a channel; True when the platform accepted them."""


class Notifier:
    """Routes notices to the channel they belong to. Never raises: a notice that cannot be sent is
    logged, and the help request it is about stays in the dashboard queue (and is reminded)."""

    def __init__(self) -> None:
        self._pushers: dict[str, Pusher] = {}

    def register(self, channel: str, pusher: Pusher) -> None:
        self._pushers[channel] = pusher

    def reaches(self, channel: str) -> bool:
        return channel in self._pushers

    async def send(self, notices: Sequence[Notice]) -> int:
        """Send each notice; returns how many went out."""
        return len(notices) - len(await self.send_each(notices))

    async def send_each(self, notices: Sequence[Notice]) -> list[Notice]:
        """Send each notice; returns those that did not go out."""
        failed: list[Notice] = []
        for notice in notices:
            pusher = self._pushers.get(notice.target.channel)
            if pusher is None:
                log.warning("notice not sent: channel %s is not running", notice.target.channel)
                failed.append(notice)
                continue
            try:
                ok = await pusher(notice.target.chat_id, notice.messages)
            except Exception:
                log.exception("notice failed channel=%s", notice.target.channel)
                ok = False
            if not ok:
                failed.append(notice)
        return failed
