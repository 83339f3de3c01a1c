"""Several usage sinks behind one: the server counts metrics and keeps the usage log side by side."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import UsageEvent
from bot.core.ports import BaseUsageSink


class FanOutSink(BaseUsageSink):
    """Hands each call to every sink in turn; one failing does not keep the others from theirs."""

    def __init__(self, *sinks: BaseUsageSink) -> None:
        self.sinks = sinks

    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        await self._each("record", key, channel, events)

    async def erase(self, key: str, channel: str) -> None:
        await self._each("erase", key, channel)

    async def _each(self, method: str, *args: object) -> None:
        first: BaseException | None = None
        for sink in self.sinks:
            try:
                await getattr(sink, method)(*args)
            except Exception as exc:  # the others still get their turn; the first error is raised
                first = first or exc
        if first is not None:
            raise first
