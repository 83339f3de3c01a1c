"""Pieces several channel adapters share. The interface every adapter implements
(:class:`bot.web.channel.BaseChannel`, :class:`bot.web.channel.ChannelContext`) lives with the
web app, so the app depends on it and never on an adapter."""

from __future__ import annotations

from collections import OrderedDict


class SeenIds:
    """The last ``size`` update ids seen, so a redelivered update is handled once."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True
