"""Long polling: the Telegram bot without a public address (a laptop, a pilot behind NAT).

    trolyso telegram --polling

One loop for both libraries: ``getUpdates`` is fetched here as plain JSON and each update goes
through the same ``handle_update`` as a webhook body (de-duplication, rules, retries), then the
library of ``TROLYSO_TELEGRAM_LIBRARY`` sends the replies. A batch's updates are handled in
Telegram's own lines (:func:`line_of`: a chat's messages and edits, a person's button presses):
each line in order, the lines side by side, so one chat waiting on a slow send or a flood wait no
longer holds up everyone else's answers. The offset is confirmed only once the whole batch was
handled: a crash means Telegram delivers the unconfirmed ones again (and the delivery ids stored
with each turn refuse the ones already handled).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from bot.app import App, build_app
from bot.channels.telegram_common import ALLOWED_UPDATES, TelegramChannel
from bot.errors import ConfigError
from bot.extras import require
from bot.settings import Settings
from bot.web.channel import ChannelContext
from bot.web.metrics import Metrics, MetricsSink

log = logging.getLogger("bot.channel.telegram")

POLL_TIMEOUT = 25
"""Seconds Telegram holds a getUpdates open when nothing is waiting."""
MAX_BACKOFF = 30.0


def make_channel(ctx: ChannelContext) -> TelegramChannel[Any]:
    """The adapter of ``TROLYSO_TELEGRAM_LIBRARY`` (imported only when chosen)."""
    library = ctx.settings.telegram_library
    if library in ("aiogram", "ptb"):
        require(library, f"TROLYSO_TELEGRAM_LIBRARY={library}")
    if library == "aiogram":
        from bot.channels.telegram_aiogram import AiogramTelegram

        return AiogramTelegram(ctx)
    if library == "ptb":
        from bot.channels.telegram_ptb import PtbTelegram

        return PtbTelegram(ctx)
    raise ConfigError(f"TROLYSO_TELEGRAM_LIBRARY is {library!r}; choose aiogram or ptb")


class _Api:
    """The two raw Bot API calls polling needs, with Telegram's errors turned into decisions."""

    def __init__(self, settings: Settings, token: str, poll_timeout: int) -> None:
        self.url = f"{str(settings.telegram_api_base).rstrip('/')}/bot{token}"
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=poll_timeout + 10.0))
        self.poll_timeout = poll_timeout

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        response = await self.client.post(f"{self.url}/{method}", json=params)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        code = (
            body.get("error_code", response.status_code) if isinstance(body, dict) else response.status_code
        )
        description = body.get("description", "") if isinstance(body, dict) else ""
        if code in (401, 404):
            raise ConfigError(
                f"Telegram refused the bot token ({code} {description}); check TROLYSO_TELEGRAM_TOKEN"
            )
        retry_after = (body.get("parameters") or {}).get("retry_after") if isinstance(body, dict) else None
        raise _ApiError(method, code, description, float(retry_after) if retry_after else None)

    async def updates(self, offset: int | None, timeout: int) -> list[Any]:
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            params["offset"] = offset
        result = await self.call("getUpdates", params)
        return list(result) if isinstance(result, list) else []


class _ApiError(Exception):
    def __init__(self, method: str, code: object, description: str, retry_after: float | None) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.code = code
        self.retry_after = retry_after


async def run_polling(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    app: App | None = None,
    poll_timeout: int = POLL_TIMEOUT,
) -> None:
    """Fetch and answer updates until ``stop`` is set (or the task is cancelled, e.g. Ctrl-C).

    ``app`` shares an already built core (tests); otherwise one is built from ``settings``.
    """
    stop = stop or asyncio.Event()
    metrics = Metrics()
    core = app or build_app(settings, usage=MetricsSink(metrics))
    channel = make_channel(ChannelContext(core.conversations, metrics, settings))
    api = _Api(settings, channel.token, poll_timeout)
    offset: int | None = None
    if app is None:
        await core.start()
    try:
        await channel.open_safely()
        await _take_over_from_webhook(api)
        log.info("telegram polling library=%s bot=%s", channel.library, channel.username)
        backoff = 1.0
        while not stop.is_set():
            try:
                batch = await _unless_stopped(api.updates(offset, poll_timeout), stop)
            except (httpx.HTTPError, _ApiError) as exc:
                wait = getattr(exc, "retry_after", None) or backoff
                backoff = min(backoff * 2, MAX_BACKOFF)
                hint = (
                    " (a webhook is set, or another poller runs)" if getattr(exc, "code", None) == 409 else ""
                )
                log.warning("telegram getUpdates failed: %s%s; retrying in %.0f s", exc, hint, wait)
                await _unless_stopped(asyncio.sleep(wait), stop)
                continue
            backoff = 1.0
            offset = await _handle_batch(channel, batch or [], offset)  # the next getUpdates confirms it
    finally:
        await _confirm(api, offset)
        await channel.stop()
        await api.client.aclose()
        if app is None:
            await core.close()
        log.info("telegram polling stopped")


def line_of(data: object) -> object:
    """The line an update waits in, as Telegram's Bot API server files them: a chat's messages and
    edits share the chat's; a person's button presses have their own; anything else its own."""
    if isinstance(data, dict):
        for field in ("message", "edited_message"):
            message = data.get(field)
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and chat.get("id") is not None:
                return ("chat", chat["id"])
        press = data.get("callback_query")
        sender = press.get("from") if isinstance(press, dict) else None
        if isinstance(sender, dict) and sender.get("id") is not None:
            return ("presses", sender["id"])
    return ("update", id(data))


async def _handle_batch(channel: TelegramChannel[Any], batch: list[Any], offset: int | None) -> int | None:
    """Handle ``batch``: each line's updates in order, the lines at once. The offset past the
    batch's last update (``offset`` if it had none), once every one was handled."""
    lines: dict[object, list[Any]] = {}
    for data in batch:
        lines.setdefault(line_of(data), []).append(data)
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if isinstance(update_id, int):
            offset = update_id + 1

    async def one_after_another(updates: list[Any]) -> None:
        for data in updates:
            await channel.handle_update(data)

    done = await asyncio.gather(*(one_after_another(updates) for updates in lines.values()), return_exceptions=True)
    for outcome in done:  # as before, a failure no update's handling caught stops the poller
        if isinstance(outcome, BaseException):
            raise outcome
    return offset


async def _take_over_from_webhook(api: _Api) -> None:
    """getUpdates answers 409 while a webhook is set, so polling removes it first."""
    try:
        await api.call("deleteWebhook", {"drop_pending_updates": False})
    except (httpx.HTTPError, _ApiError) as exc:
        log.warning("telegram deleteWebhook failed: %s", exc)


async def _confirm(api: _Api, offset: int | None) -> None:
    """Tell Telegram the handled updates are done, so a restart does not answer them twice."""
    if offset is None:
        return
    try:
        await api.updates(offset, 0)
    except Exception as exc:  # at worst the last batch is delivered again, and SeenIds is new then
        log.warning("telegram: could not confirm the last updates: %s", exc)


async def _unless_stopped(work: Any, stop: asyncio.Event) -> Any:
    """Await ``work`` unless ``stop`` is set first; then cancel it and return None."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return task.result() if not task.cancelled() else None
