"""What every channel adapter shares: the HTTP routes it adds, start/stop, and how it talks to
the conversation service. Adapters turn platform updates into ``Inbound`` and ``Outbound`` into
platform calls; they hold no conversation logic."""

from __future__ import annotations

import abc
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute

from bot.conversations import Conversations
from bot.coord.notices import Notices
from bot.core.messages import Inbound, Outbound
from bot.errors import StorageError
from bot.ratelimit import RateLimiter
from bot.storage.deliveries import DuplicateDelivery
from bot.web.metrics import Metrics

log = logging.getLogger("bot.channel")


class ChannelContext:
    """What a channel may use: the conversation service, the settings and the metrics."""

    def __init__(self, conversations: Conversations, metrics: Metrics, settings: Any,
                 db: Any = None, limiter: RateLimiter | None = None, notices: Notices | None = None) -> None:  # fmt: skip
        self.conversations = conversations
        self.metrics = metrics
        self.settings = settings
        self.db = db  # the SQLAlchemy engine, for channel state such as tokens
        self.limiter = limiter or RateLimiter.from_settings(settings)  # one per app: see bot.ratelimit
        self.notices = notices or Notices()  # between workers through Redis when configured

    async def converse(self, inbound: Inbound) -> list[Outbound]:
        """One turn, timed and counted; storage trouble becomes a kind reply, never a crash."""
        started = time.perf_counter()
        try:
            replies = await self.conversations.handle(inbound)
        except DuplicateDelivery:  # handled before a restart, or by another worker: say nothing
            log.info("delivery handled already, not answered again channel=%s", inbound.channel)
            self.metrics.webhooks.labels(inbound.channel, "duplicate").inc()
            replies = []
        except StorageError:
            log.exception("turn not saved channel=%s", inbound.channel)
            self.metrics.errors.labels(inbound.channel).inc()
            from bot.core import i18n

            with i18n.use(i18n.pick_language(inbound.lang_hint)):
                replies = [Outbound(i18n._("Sorry, something went wrong on my side. Please try again, or ask for a person."))]
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.turns.labels(inbound.channel).inc()
            self.metrics.latency.labels(inbound.channel).observe(elapsed)
        # DEBUG, not INFO: at hundreds of turns a second a line each is noise; /metrics counts them.
        log.debug("turn channel=%s ms=%.1f replies=%d", inbound.channel, elapsed * 1000, len(replies))
        return replies


class BaseChannel(abc.ABC):
    """A channel adapter. ``routes`` are mounted on the one HTTP app; ``start``/``stop`` run with it."""

    name: str

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def routes(self) -> Sequence[BaseRoute]:
        return ()

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open sessions, register webhooks, start background work."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close sessions and finish background work."""

    def status(self) -> dict[str, Any]:
        """What an admin should know (for /healthz and the dashboard)."""
        return {"ok": True}


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
