"""The interface between the HTTP app and its channel adapters: what a channel may use
(:class:`ChannelContext`) and what it offers (:class:`BaseChannel`: routes, start/stop, status).

It lives with the web app, below the adapters: bot.web.app builds channels by name from its
registry and depends only on this interface; adapters in bot.channels implement it. Adapters
turn platform updates into ``Inbound`` and ``Outbound`` into platform calls; they hold no
conversation logic."""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from starlette.routing import BaseRoute

from bot.conversations import Conversations
from bot.coord.notices import Notices
from bot.core.messages import Inbound, Outbound
from bot.errors import StorageError
from bot.ratelimit import RateLimiter
from bot.storage import deliveries
from bot.storage.deliveries import DuplicateDelivery
from bot.web.direct import Handler
from bot.web.late import LateReplies
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
        # Replies acknowledged before they left, kept until sent (bot.web.late): with a database only.
        after = getattr(settings, "unsent_resend_after_seconds", None)
        self.late = LateReplies(db, float(after or 60.0)) if isinstance(db, sa.Engine) else None

    async def converse(self, inbound: Inbound) -> list[Outbound]:
        """One turn, timed and counted; storage trouble becomes a kind reply, never a crash."""
        started = time.perf_counter()
        try:
            replies = await self.conversations.handle(inbound)
        except DuplicateDelivery as exc:  # handled before a restart, or by another worker
            # Its replies again, as stored with it: the worker that handled it may have died before
            # sending them. The turn itself is not run again.
            log.info("delivery handled already, its replies sent again channel=%s replies=%d",
                     inbound.channel, len(exc.replies))  # fmt: skip
            self.metrics.webhooks.labels(inbound.channel, "duplicate").inc()
            deliveries.mark_saved()  # saved by the first handling: a channel waiting for that may answer
            replies = exc.replies
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

    def direct(self) -> Mapping[tuple[str, str], Handler]:
        """Busy routes the app answers before Starlette's layers (:mod:`bot.web.direct`), keyed
        by method and path; each also in :meth:`routes`, for its other methods."""
        return {}

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open sessions, register webhooks, start background work."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close sessions and finish background work."""

    def status(self) -> dict[str, Any]:
        """What an admin should know (for /healthz and the dashboard)."""
        return {"ok": True}
