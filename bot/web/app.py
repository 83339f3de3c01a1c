"""The one HTTP application: channel webhooks, the web chat, /healthz and /metrics.

/healthz answers only ``{"ok": true|false}`` (200 or 503); what is wrong is at /admin/healthz for
logged-in admins and in counters on /metrics.

    uvicorn --factory bot.web.app:create_app      (or `trolyso serve`)

Channels are chosen in the settings (TROLYSO_CHANNELS=web,telegram,zalo); each adapter adds its
routes and runs its start/stop with the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import App, build_app
from bot.errors import ConfigError
from bot.extras import require
from bot.ratelimit import LinkBudget, RateLimiter
from bot.settings import Settings
from bot.web.channel import BaseChannel, ChannelContext
from bot.web.metrics import Metrics, MetricsSink
from bot.web.security import SecuredStarlette

log = logging.getLogger("bot.web")

CHANNELS: dict[str, str] = {
    "web": "bot.channels.webchat:WebChat",
    "telegram:aiogram": "bot.channels.telegram_aiogram:AiogramTelegram",
    "telegram:ptb": "bot.channels.telegram_ptb:PtbTelegram",
    "zalo": "bot.channels.zalo:ZaloChannel",
}
"""Adapters by name, imported only when switched on (a web-only server never loads aiogram)."""
_EXTRA_OF = {"telegram:aiogram": "aiogram", "telegram:ptb": "ptb"}


def _channel_class(name: str, settings: Settings) -> type[BaseChannel]:
    key = f"telegram:{settings.telegram_library}" if name == "telegram" else name
    target = CHANNELS.get(key)
    if target is None:
        raise ConfigError(f"unknown channel {key!r} in TROLYSO_CHANNELS; choose from: web, telegram, zalo"
                          " (TROLYSO_TELEGRAM_LIBRARY: aiogram or ptb)")  # fmt: skip
    if key in _EXTRA_OF:
        require(_EXTRA_OF[key], f"TROLYSO_CHANNELS={name} with TROLYSO_TELEGRAM_LIBRARY={settings.telegram_library}")
    module, _sep, attr = target.partition(":")
    cls: type[BaseChannel] = getattr(importlib.import_module(module), attr)
    return cls


def create_app(settings: Settings | None = None, app: App | None = None) -> Starlette:
    """The ASGI app. Pass ``app`` to share one already built (tests, benchmarks)."""
    settings = settings or (app.settings if app else Settings())
    metrics = Metrics()
    core = app or build_app(settings, usage=MetricsSink(metrics))
    if app is not None and core.conversations.usage is None:
        core.conversations.usage = MetricsSink(metrics)
    metrics.watch_store(core.store)
    limiter = RateLimiter.from_settings(settings)
    if core.desk is not None:  # wrong link codes: one budget for every account (docs/security.md)
        core.desk.link_budget = LinkBudget(limiter, settings.link_rate_global)
    ctx = ChannelContext(core.conversations, metrics, settings, core.db, limiter, core.notices)
    if core.reminder_sender is not None:  # failed and dropped reminder sends show on /metrics
        core.reminder_sender.count = lambda channel, outcome: metrics.reminders.labels(channel, outcome).inc()
    channels = [_channel_class(name, settings)(ctx) for name in settings.enabled_channels()]
    if ctx.late is not None and "unsent.resend" not in core.scheduler.jobs:
        # Kept replies of a worker that died: at start-up (once channels registered), then often.
        every = min(30.0, max(1.0, ctx.late.after / 4))
        core.scheduler.add("unsent.resend", every, ctx.late.resend_due, first=1.0)
    admin = None
    if settings.admin_dashboard:
        from bot.admin.site import AdminSite

        admin = AdminSite(core, settings, limiter=limiter)  # loads taught phrasings into the matcher

    async def health() -> dict[str, Any]:
        try:
            await asyncio.to_thread(_ping, core.db)
            database = "ok"
        except Exception as exc:  # any failure means unhealthy; say which (to admins only)
            database = f"error: {type(exc).__name__}"
        return {"ok": database == "ok", "database": database,
                "channels": {c.name: c.status() for c in channels}}  # fmt: skip

    async def healthz(_request: Request) -> Response:
        """For load balancers and the public: ok or not, nothing an attacker could use."""
        ok = (await health())["ok"]
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def metrics_page(_request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    async def home(_request: Request) -> Response:
        return RedirectResponse("/chat" if "web" in settings.enabled_channels() else "/healthz")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if app is None:
            await core.start()  # the usage log's writer and daily purge
        for channel in channels:
            await channel.start()
        if admin is not None:
            await admin.start()  # first start on SQLite: prints a one-time admin password
        # Everything built so far (knowledge, matcher indexes, flows) lives as long as the process:
        # out of the collector's sight it no longer makes every full collection a 50-100 ms pause.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if admin is not None:
                await admin.stop()
            for channel in reversed(channels):
                await channel.stop()
            if ctx.late is not None:
                await ctx.late.close()
            await limiter.close()
            if app is None:
                await core.close()

    routes: list[BaseRoute] = [Route("/", home), Route("/healthz", healthz), Route("/metrics", metrics_page)]
    for channel in channels:
        routes.extend(channel.routes())
    if admin is not None:
        # What /healthz does not tell the public (tokens, the Zalo API's last error), for admins.
        async def health_detail(_request: Request, _visitor: Any) -> Response:
            body = await health()
            return JSONResponse(body, status_code=200 if body["ok"] else 503)

        routes.append(Route("/admin/healthz", admin.guard(health_detail)))
        routes.extend(admin.routes())
    # Starlette's own limit: 413 before a body over the limit is read (declared or streamed).
    # Every answer, the 413 and the last-resort 500 included, carries the security headers.
    # The busiest routes skip Starlette's layers, with the same limit, headers and 500 (bot.web.direct).
    direct = {route: handler for channel in channels for route, handler in channel.direct().items()}
    web = SecuredStarlette(routes=routes, lifespan=lifespan, max_body_size=settings.max_body_bytes,
                           production=settings.production, direct=direct)  # fmt: skip
    web.state.core = core
    web.state.metrics = metrics
    web.state.channels = channels
    web.state.admin = admin
    web.state.limiter = limiter
    web.state.late = ctx.late
    return web


def _ping(db: sa.Engine) -> None:
    with db.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
