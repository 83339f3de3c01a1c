"""A fake Telegram Bot API on 127.0.0.1, recording every request, with one-shot error injection.

It answers what aiogram 3 and python-telegram-bot 22 call (docs/facts §3.2): getMe, setWebhook,
deleteWebhook, getWebhookInfo, getUpdates (long polling with Telegram's offset-confirms rule),
sendMessage, editMessageText, answerCallbackQuery, sendChatAction … Anything else gets Telegram's
404 and is recorded, so a test fails loudly when the bot starts using a new method.

Requests come as form fields (both libraries) or JSON (our polling loop); non-string values in a
form are JSON strings, so ``reply_markup`` and friends are decoded back into objects.

``Updates`` builds the update bodies a real Telegram would send: text, presses, media, edits.
``WebhookQueues`` delivers them to a webhook the way Telegram's Bot API server does (one update of a
chat at a time), and ``delay`` makes the API slow to accept the messages the bot sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.core.messages import Button, Outbound

BOT = {"id": 999000, "is_bot": True, "first_name": "Trợ lý số", "username": "trolyso_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip
_INTS = ("chat_id", "offset", "limit", "timeout", "message_id")
_JSON = ("reply_markup", "allowed_updates", "entities", "reply_parameters", "link_preview_options")
_TRUE = (
    "setwebhook",
    "deletewebhook",
    "answercallbackquery",
    "sendchataction",
    "close",
    "logout",
    "setmycommands",
)


@dataclass
class Call:
    method: str  # as the client spelled it, e.g. "sendMessage"
    params: dict[str, Any]
    token: str
    at: float  # time.monotonic() when the request arrived
    status: int = 200


class FakeTelegram:
    """Start with ``await fake.start()``; ``url`` is what TROLYSO_TELEGRAM_API_BASE should be."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.fail_next: dict[str, dict[str, Any]] = {}  # lower-case method -> error body, used once
        self.queue: list[dict[str, Any]] = []  # updates waiting for getUpdates
        self.webhook: dict[str, Any] = {}
        self.url = ""
        self.delay = 0.0  # seconds the API takes to accept each message the bot sends
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._queued = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- control and inspection ------------------------------------------------------------------
    def flood_once(self, method: str, retry_after: int) -> None:
        """The next ``method`` call gets 429 with ``retry_after`` seconds."""
        self.fail_next[method.lower()] = {"ok": False, "error_code": 429,
                                          "description": f"Too Many Requests: retry after {retry_after}",
                                          "parameters": {"retry_after": retry_after}}  # fmt: skip

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        self.queue.append(update)
        self._queued.set()

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def sent(self) -> list[Call]:
        """sendMessage calls that succeeded (what a person would see), oldest first."""
        return [c for c in self.named("sendMessage") if c.status == 200]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the fake Telegram did not see what was expected in {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def webhook_reply(self, status: int, body: bytes, content_type: str, token: str = "webhook") -> Call | None:
        """What Telegram does with a webhook's response: a JSON body naming a ``method`` is run as
        that Bot API call (recorded like one); anything else is ignored."""
        if status != 200 or not content_type.startswith("application/json") or not body:
            return None
        params = json.loads(body)
        method = params.pop("method")
        call = Call(method, params, token, time.monotonic())
        self.calls.append(call)
        try:
            call.status, _answer = await self._answer(method.lower(), params)
        finally:
            self._changed.set()
        return call

    # --- the endpoint ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, await _params(request), request.match_info["token"], time.monotonic())
        self.calls.append(call)
        if self.delay and method.lower() == "sendmessage":
            await asyncio.sleep(self.delay)
        try:
            status, body = await self._answer(method.lower(), call.params)
        finally:
            self._changed.set()
        call.status = status
        return web.json_response(body, status=status)

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        failure = self.fail_next.pop(method, None)
        if failure is not None:
            return int(failure["error_code"]), failure
        if method == "getme":
            return _ok(BOT)
        if method in ("sendmessage", "editmessagetext"):
            if not str(params.get("text", "")).strip():
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                }
            return _ok(self._message(params))
        if method == "getupdates":
            return _ok(await self._updates(params))
        if method == "getwebhookinfo":
            return _ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                        "pending_update_count": len(self.queue)})  # fmt: skip
        if method == "setwebhook":
            self.webhook = params
        elif method == "deletewebhook":
            self.webhook = {}
        if method in _TRUE:
            return _ok(True)
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": params["chat_id"], "type": "private"},
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params["text"],
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        if offset:  # an offset confirms (forgets) every update before it
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        if not self.queue and params.get("timeout"):
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), min(float(params["timeout"]), 2.0))
        return self.queue[: int(params.get("limit") or 100)]


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            params[key] = value if isinstance(value, str) else "<file>"
    for key in _INTS:
        if isinstance(params.get(key), str) and params[key].lstrip("-").isdigit():
            params[key] = int(params[key])
    for key in _JSON:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def as_outbound(call: Call) -> Outbound:
    """The message a sendMessage call showed, as our own Outbound (text and buttons)."""
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    buttons = tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for row in rows for b in row)
    return Outbound(call.params["text"], buttons)


def queue_of(update: dict[str, Any]) -> int:
    """The queue Telegram's Bot API server files ``update`` in (telegram-bot-api, Client.cpp): a
    chat's messages and their edits share the chat's id; a person's button presses have a queue of
    their own (their user id shifted by ``3 << 33``); anything else here, one per update."""
    for field in ("message", "edited_message"):
        if field in update:
            return int(update[field]["chat"]["id"])
    if "callback_query" in update:
        return int(update["callback_query"]["from"]["id"]) + (3 << 33)
    return -int(update["update_id"])


@dataclass
class Delivered:
    """One webhook request Telegram made: which update, when (loop time) and what came back."""

    update_id: int
    posted: float
    answered: float
    status: int  # 0: no answer (the connection failed)


class WebhookQueues:
    """Telegram's side of a webhook, as its Bot API server behaves (telegram-bot-api,
    WebhookActor.cpp): the updates of one queue (:func:`queue_of`) are sent one at a time, the next
    only once the webhook answered 2xx for the one before; other queues go in parallel. An update
    answered otherwise is sent again and holds its queue up. One whose request was cut off (the
    worker killed: :meth:`run` cancelled) stays first in its queue, for the next :meth:`run`."""

    def __init__(self, retry_in: float = 0.1) -> None:
        self.pending: dict[int, list[dict[str, Any]]] = {}
        self.delivered: list[Delivered] = []
        self.retry_in = retry_in

    def add(self, *updates: dict[str, Any]) -> None:
        for update in updates:
            self.pending.setdefault(queue_of(update), []).append(update)

    async def run(self, post: Callable[[dict[str, Any]], Awaitable[int]]) -> None:
        """Deliver every pending update through ``post`` (which answers the webhook's status)."""
        await asyncio.gather(*(self._deliver(queue, post) for queue in list(self.pending.values())))

    async def _deliver(self, queue: list[dict[str, Any]], post: Callable[[dict[str, Any]], Awaitable[int]]) -> None:
        loop = asyncio.get_running_loop()
        while queue:
            posted = loop.time()
            try:
                status = await post(queue[0])
            except Exception:  # the connection failed: no answer
                status = 0
            self.delivered.append(Delivered(queue[0]["update_id"], posted, loop.time(), status))
            if 200 <= status < 300:
                queue.pop(0)
            else:
                await asyncio.sleep(self.retry_in)


class Updates:
    """Update bodies as Telegram sends them, with increasing update ids."""

    def __init__(self, first_id: int = 1001) -> None:
        self._ids = itertools.count(first_id)
        self._message_ids = itertools.count(5001)
        self._callbacks = itertools.count(1)

    @staticmethod
    def user(user_id: int, lang: str | None = "vi") -> dict[str, Any]:
        person: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Lan"}
        if lang:
            person["language_code"] = lang
        return person

    def message(self, user_id: int, chat: dict[str, Any] | None = None, lang: str | None = "vi",
                **content: Any) -> dict[str, Any]:  # fmt: skip
        """A message update; ``content`` holds the fields: text=…, sticker=…, photo=…"""
        body = {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": chat or {"id": user_id, "type": "private", "first_name": "Lan"},
                "from": self.user(user_id, lang), **content}  # fmt: skip
        return {"update_id": next(self._ids), "message": body}

    def text(
        self, text: str, user_id: int, lang: str | None = "vi", chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            command = text.split()[0]
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.message(user_id, chat, lang, text=text, **extra)

    def sticker(self, user_id: int) -> dict[str, Any]:
        return self.message(user_id, sticker={"file_id": "CAAC1", "file_unique_id": "u1", "type": "regular",
                                              "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                              "emoji": "👍"})  # fmt: skip

    def photo(self, user_id: int) -> dict[str, Any]:
        size = {"file_id": "AgAD1", "file_unique_id": "p1", "width": 90, "height": 90}
        return self.message(user_id, photo=[size], caption="giấy tờ của tôi")

    def edited(self, text: str, user_id: int) -> dict[str, Any]:
        update = self.text(text, user_id)
        update["edited_message"] = {**update.pop("message"), "edit_date": int(time.time())}
        return update

    def press(self, data: str, user_id: int, message_id: int = 1, lang: str | None = "vi",
              chat: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        """A button press: the callback_query Telegram sends when ``data``'s button is tapped."""
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": chat or {"id": user_id, "type": "private", "first_name": "Lan"},
                   "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")}, "text": "…"}  # fmt: skip
        query = {"id": f"cb{next(self._callbacks)}", "chat_instance": "ci1", "data": data,
                 "from": self.user(user_id, lang), "message": message}  # fmt: skip
        return {"update_id": next(self._ids), "callback_query": query}

    def other(self, **fields: Any) -> dict[str, Any]:
        """An update of another type (inline_query, my_chat_member, a future type …)."""
        return {"update_id": next(self._ids), **fields}
