"""Telegram, whichever library speaks to it: the webhook, the rules, the rendering.

Both adapters (aiogram, python-telegram-bot) subclass :class:`TelegramChannel` and only say how
their library parses an update, sends a message and reports a flood wait. What a citizen or
Telegram can observe lives here, once, so the two libraries cannot drift apart:

* ``POST /telegram/webhook``: the secret header compared in constant time (401 before anything is
  read), JSON only (415), a well-formed update (400), ``update_id`` de-duplicated, else 200 —
  also for update types we skip, so Telegram never retries them;
* we answer text and button presses in private chats; media get a polite "text only" reply, an
  edit a "send it again" one. In groups only a team's business is heard (``/nhom``, "Nhận" under a
  help request), and its replies go to the volunteer privately; everything else in groups,
  channels, bots and service messages is ignored: answering in a group would publish a citizen's
  question to all in it;
* ``Outbound`` → messages within 4096 UTF-16 units, inline keyboards with 1-64 byte
  ``callback_data`` (a longer payload is dropped and logged, so the message still goes out);
* "typing…" after a second, 429s waited out, every press answered so the spinner stops, one
  chat's turns and replies in order (a turn waits for the one before, not for its sends:
  :mod:`bot.channels.lines`), and no exception ever reaching the library.
"""

from __future__ import annotations

import abc
import asyncio
import contextvars
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import SeenIds
from bot.channels.lines import PersonLocks, Place, SendLines
from bot.channels.telegram_render import (
    CHANNEL,
    MAX_CALLBACK_BYTES,
    MAX_TEXT,
    MEDIA_FIELDS,
    SHORT_LABEL,
    Chunk,
    Incoming,
    Keyboard,
    KeyButton,
    Kind,
    callback_data_fits,
    incoming_message,
    incoming_press,
    keyboard,
    method_json,
    polite_reply,
    render,
    split_for_telegram,
    utf16_len,
)
from bot.core import i18n
from bot.core.messages import Inbound, Outbound
from bot.errors import ConfigError
from bot.storage.deliveries import Outgoing, delivering, handling, mark_saved, sending_to
from bot.web.channel import BaseChannel, ChannelContext
from bot.web.direct import Handler, Headers, Scope, header

__all__ = [
    "CHANNEL", "MAX_CALLBACK_BYTES", "MAX_TEXT", "MEDIA_FIELDS", "SHORT_LABEL", "Chunk", "Incoming",
    "KeyButton", "Keyboard", "Kind", "TelegramChannel", "callback_data_fits", "incoming_message",
    "incoming_press", "keyboard", "polite_reply", "render", "split_for_telegram", "utf16_len",
]  # fmt: skip

log = logging.getLogger("bot.channel.telegram")


WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
_SECRET_HEADER_NAME = SECRET_HEADER.lower().encode()  # as ASGI gives header names
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
TYPING_AFTER = 1.0
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 s after each chat action
ANSWER_WITHIN = 10.0
"""The webhook answers when the turn is done, or after this long with the turn still running."""
FLOOD_ATTEMPTS = 3
MAX_FLOOD_WAIT = 60.0
"""A longer ``retry_after`` is not waited out: the reply would come too late to make sense."""
DRAIN_WITHIN = 10.0
TOAST_LIMIT = 200
"""answerCallbackQuery shows at most 200 characters."""
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

class _HideTokens(logging.Filter):
    """Blanks bot tokens out of log lines: Bot API URLs carry the token, and httpx (PTB's client and
    our polling loop) logs every request URL at INFO."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(token in message for token in self.tokens):
            for token in self.tokens:
                message = message.replace(token, "<token>")
            record.msg, record.args = message, ()
        return True


_HIDE_TOKENS = _HideTokens()


class _ReplySlot:
    """The webhook response of one update, which can carry one Bot API call ("reply to the
    webhook"): the turn's last message goes there instead of into a request of its own, which
    saves a round trip and a third of the CPU per update. Open while the webhook still waits."""

    __slots__ = ("body", "open")

    def __init__(self) -> None:
        self.open = True
        self.body: dict[str, Any] | None = None


_SLOT: contextvars.ContextVar[_ReplySlot | None] = contextvars.ContextVar("telegram_reply_slot", default=None)


class BadUpdate(ValueError):
    """The body is JSON but not a Telegram update."""


U = TypeVar("U")


def menu_commands() -> list[tuple[str, str]]:
    """The commands a citizen sees in Telegram's menu, in the current language (volunteers'
    commands are theirs to know, not on everyone's menu)."""
    return [
        ("start", i18n._("Start again")),
        ("menu", i18n._("All procedures")),
        ("xa", i18n._("Choose your commune or ward")),
        ("huyyeucau", i18n._("Cancel my request for a person")),
        ("lang", i18n._("Language / Ngôn ngữ")),
        ("xoadulieu", i18n._("Delete my data")),
        ("help", i18n._("How to use the assistant")),
    ]


# --- the channel ------------------------------------------------------------------------------------
class TelegramChannel(BaseChannel, Generic[U]):
    """The Telegram channel; subclasses bind it to one library (``U`` is its Update type)."""

    name = CHANNEL
    library: ClassVar[str]

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        settings = ctx.settings
        if settings.telegram_token is None:
            raise ConfigError("the telegram channel needs TROLYSO_TELEGRAM_TOKEN (the token from @BotFather)")
        self.token: str = settings.telegram_token.get_secret_value()
        _HIDE_TOKENS.tokens.add(self.token)
        for name in ("httpx", "aiohttp.client"):
            logging.getLogger(name).addFilter(_HIDE_TOKENS)
        secret = settings.telegram_webhook_secret
        self._secret: bytes | None = None
        if secret is not None:
            if not _SECRET_RE.fullmatch(secret.get_secret_value()):
                raise ConfigError(
                    "TROLYSO_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
                )
            self._secret = secret.get_secret_value().encode()
        self.api_base: str = str(settings.telegram_api_base).rstrip("/")
        self.webhook_reply: bool = bool(getattr(settings, "telegram_webhook_reply", True))
        self.seen = SeenIds()
        self.username: str | None = None
        self.webhook_url: str | None = None
        self.error: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns = PersonLocks()  # one turn (load, run, save) at a time per chat
        self._sends = SendLines()  # and their replies leave in that order, without holding up the next turn
        ctx.conversations.notifier.register(self.name, self.push)

    # --- what each library provides -------------------------------------------------------------
    @abc.abstractmethod
    async def open(self) -> None:
        """Open the library's HTTP session and learn the bot's username (getMe)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the library's HTTP session."""

    @abc.abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None: ...

    @abc.abstractmethod
    async def set_commands(self, commands: Sequence[tuple[str, str]], language: str | None) -> None:
        """The command menu Telegram shows beside the text box (``language`` None: the default)."""

    @abc.abstractmethod
    def parse(self, data: dict[str, Any]) -> U:
        """The library's Update for ``data``; raises when it is not one."""

    @abc.abstractmethod
    async def dispatch(self, update: U) -> None:
        """Route ``update`` through the library to :meth:`serve` (or nowhere, when ignored)."""

    @abc.abstractmethod
    async def send_message(self, chat_id: int, chunk: Chunk) -> None: ...

    @abc.abstractmethod
    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        """Stop the button's spinner; ``text`` shows as a short notice over the chat."""

    @abc.abstractmethod
    async def send_typing(self, chat_id: int) -> None: ...

    @abc.abstractmethod
    def flood_wait(self, exc: BaseException) -> float | None:
        """Seconds to wait when ``exc`` is the library's 429 error, else None."""

    # --- lifecycle -------------------------------------------------------------------------------
    def routes(self) -> Sequence[BaseRoute]:
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])]

    async def start(self) -> None:
        """Open the session; with TROLYSO_PUBLIC_URL, point Telegram's webhook at us."""
        public_url = self.ctx.settings.public_url
        if public_url and self._secret is None:
            raise ConfigError("TROLYSO_PUBLIC_URL is set, so Telegram would call our webhook: set "
                              "TROLYSO_TELEGRAM_WEBHOOK_SECRET too, or anyone could post fake updates")  # fmt: skip
        await self.open_safely()
        if self.error is None and self.ctx.late is not None:  # replies a stopped worker kept: ours to send
            self.ctx.late.register(self.name, self.resend)
        if public_url and self._secret is not None:
            url = public_url.rstrip("/") + WEBHOOK_PATH
            try:
                await self.set_webhook(url, self._secret.decode())
            except Exception as exc:  # the server still runs its other channels; /healthz says why
                log.exception("setWebhook failed url=%s", url)
                self.error = f"setWebhook failed: {type(exc).__name__}"
            else:
                self.webhook_url = url
                log.info("telegram webhook set library=%s url=%s", self.library, url)

    async def open_safely(self) -> None:
        """Open the session and show the command menu; a Telegram outage at start-up is reported,
        not fatal."""
        try:
            await self.open()
        except Exception as exc:
            log.exception("telegram getMe failed library=%s", self.library)
            self.error = f"getMe failed: {type(exc).__name__}"
            return
        try:
            for language in i18n.LANGUAGES:
                with i18n.use(language):
                    commands = menu_commands()
                await self.set_commands(commands, None if language == i18n.DEFAULT_LANGUAGE else language)
        except Exception as exc:  # a missing menu is not worth failing the start
            log.warning("telegram setMyCommands failed: %s", type(exc).__name__)

    async def stop(self) -> None:
        await self.drain()
        try:
            await self.close()
        except Exception:
            log.exception("closing the telegram session failed")

    async def drain(self) -> None:
        """Let turns still running finish (for a while), so no accepted update is dropped."""
        if self._tasks:
            _done, late = await asyncio.wait(set(self._tasks), timeout=DRAIN_WITHIN)
            for task in late:
                task.cancel()
            if late:
                log.warning("telegram: %d turns cancelled at shutdown", len(late))

    def status(self) -> dict[str, Any]:
        return {"ok": self.error is None, "library": self.library, "bot": self.username,
                "webhook": self.webhook_url, **({"error": self.error} if self.error else {})}  # fmt: skip

    # --- the webhook -----------------------------------------------------------------------------
    async def webhook(self, request: Request) -> Response:
        """Telegram's POST. The update is processed before we answer (so replies go out in order and
        a crash makes Telegram redeliver), unless it takes over ANSWER_WITHIN: then we answer and
        the turn finishes in a tracked task, so a long flood wait never holds Telegram's connection
        until it gives up and redelivers (SeenIds would catch that, but the queue behind would stall).

        What the 200 waits for: the turn saved with its update id and replies, AND those replies
        sent. Telegram never delivers an update again once it had a 200, so a 200 after the save
        alone would lose the answer to a worker killed before sending it. Telegram sends a chat's
        next message only after that 200 (its Bot API server keeps one update of a chat's queue in
        flight), so a burst reaches us one message at a time; but after a 200 at the bound it sends
        the next at once, and a button press (a queue of its own) may come while the chat's replies
        are still being sent. Such a turn waits for the previous turn only, not for its sends
        (:mod:`bot.channels.lines`): it is saved at once, and the replies still to go at its 200 are
        kept in the database until sent, so a worker killed then loses neither (:mod:`bot.web.late`)."""
        secret, content_type = request.headers.get(SECRET_HEADER), request.headers.get("content-type", "")
        status, content, media_type = await self.answer(secret, content_type, await request.body())
        return Response(content, status_code=status, media_type=media_type)

    def direct(self) -> Mapping[tuple[str, str], Handler]:
        return {("POST", WEBHOOK_PATH): self._webhook_direct}

    async def _webhook_direct(self, scope: Scope, body: bytes) -> tuple[int, bytes, Headers]:
        """Telegram's POST, as the app answers it: before Starlette's layers (bot.web.direct)."""
        secret, content_type = header(scope, _SECRET_HEADER_NAME), header(scope, b"content-type") or ""
        status, content, media_type = await self.answer(secret, content_type, body)
        return status, content, [(b"content-type", media_type.encode())] if media_type else []

    async def answer(self, secret: str | None, content_type: str, body: bytes) -> tuple[int, bytes, str | None]:
        """The webhook's status, body and media type for a request with the secret header
        ``secret``, the content type ``content_type`` and ``body`` (see :meth:`webhook`)."""
        if not self.authorised(secret):
            return self._refuse(401, "unauthorized", "wrong or missing secret token")
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != "application/json":
            return self._refuse(415, "unsupported_media", "send the update as application/json")
        try:
            data = json.loads(body)
            update = self.admit(data)
        except BadUpdate as exc:
            return self._refuse(400, "bad_update", str(exc))
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            return self._refuse(400, "bad_json", "the body is not valid JSON")
        if update is None:
            self.ctx.metrics.webhooks.labels(self.name, "duplicate").inc()
            return 200, b"", None
        slot = _ReplySlot() if self.webhook_reply else None
        saved = asyncio.Event()
        token = _SLOT.set(slot)
        try:
            with delivering(self.delivery_id(update), saved) as delivery:  # the task runs with the slot and this
                task = self._spawn(self._handle(update))
        finally:
            _SLOT.reset(token)
        done, _late = await asyncio.wait({task}, timeout=ANSWER_WITHIN)
        # A 200 before the turn is through: Telegram never sends this update again, so a worker
        # killed now would lose its replies (saved: ok_unsent; they are kept in the database until
        # sent, bot.web.late) or the message itself (ok_unsaved).
        result = "ok" if done else "ok_unsent" if saved.is_set() else "ok_unsaved"
        if result == "ok_unsaved":
            log.warning("telegram update answered at the bound before its turn was saved")
        if slot is not None:
            slot.open = False  # a turn still running sends its last message itself
        if result == "ok_unsent" and self.ctx.late is not None:
            await self.ctx.late.keep(self.name, delivery)
        self.ctx.metrics.webhooks.labels(self.name, result).inc()
        if slot is not None and slot.body is not None:
            return 200, orjson.dumps(slot.body), "application/json"
        return 200, b"", None

    def authorised(self, given: str | None) -> bool:
        if self._secret is None or given is None:
            return False
        return hmac.compare_digest(given.encode("latin-1"), self._secret)

    def _refuse(self, status: int, result: str, why: str) -> tuple[int, bytes, str]:
        self.ctx.metrics.webhooks.labels(self.name, result).inc()
        log.warning("telegram webhook refused status=%d reason=%s", status, result)
        return status, why.encode(), "text/plain; charset=utf-8"

    def admit(self, data: object) -> U | None:
        """The parsed update, or None when this update_id was handled already."""
        if not isinstance(data, dict):
            raise BadUpdate("an update is a JSON object")
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise BadUpdate("an update needs an integer update_id")
        try:
            update = self.parse(data)
        except Exception as exc:
            raise BadUpdate(f"not a Telegram update: {type(exc).__name__}") from exc
        if not self.seen.first_time(str(update_id)):
            log.info("telegram update redelivered, ignored update_id=%d", update_id)
            return None
        return update

    async def handle_update(self, data: object) -> None:
        """Admit and process one update now (long polling)."""
        try:
            update = self.admit(data)
        except BadUpdate as exc:
            log.warning("telegram update skipped: %s", exc)
            return
        if update is not None:
            await self.process(update)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def delivery_id(self, update: U) -> str:
        return f"telegram:{self.token.partition(':')[0]}:{getattr(update, 'update_id', '')}"

    async def process(self, update: U, saved: asyncio.Event | None = None) -> None:
        """Handle one update; ``saved`` is set once its turn is saved (or refused as handled before)."""
        # The update id goes into the database with the turn's state: once across restarts and workers.
        with delivering(self.delivery_id(update), saved):
            await self._handle(update)

    async def _handle(self, update: U) -> None:
        try:
            await self.dispatch(update)
        except Exception:
            log.exception("telegram update failed library=%s", self.library)
            self.ctx.metrics.errors.labels(self.name).inc()
        delivery = handling()
        if self.ctx.late is not None and delivery is not None:
            await self.ctx.late.finished(delivery.outgoing)  # not when cancelled: a killed worker keeps its rows

    # --- answering ---------------------------------------------------------------------------------
    async def serve(self, incoming: Incoming) -> None:
        """Apply the rules to one message or press and send what they call for."""
        team = incoming.team_action()
        if team is not None:
            await self.serve_team(incoming, team)
            return
        if incoming.callback_id is not None:
            await self.attempt("answerCallbackQuery", partial(self.answer_callback, incoming.callback_id))
        if not incoming.answerable() or incoming.chat_id is None:
            log.debug("telegram update ignored kind=%s private=%s", incoming.kind, incoming.private)
            return
        chat_id = incoming.chat_id
        inbound = incoming.inbound()
        if inbound is None:
            with i18n.use(i18n.pick_language(incoming.language_code)):
                polite = polite_reply(incoming.kind)
            mark_saved()  # no turn to save
            if polite is not None:
                out = sending_to(str(chat_id))
                out.replies = [Outbound(polite)]
                await self.deliver(chat_id, out.replies, _SLOT.get(), out)
            return
        # One chat's turns run one after another and their replies leave in that order, but a turn
        # does not wait for the one before's replies to be sent (why: webhook's docstring).
        key = str(chat_id)
        out = sending_to(key)  # what the webhook keeps if it answers before these replies left
        place: Place | None = None
        try:
            async with self._turns.one_at_a_time(key):
                out.replies = replies = await self.converse(chat_id, inbound)
                place = self._sends.join(key)  # taken before the next turn runs: replies leave in order
            await place.reached()
            await self.deliver(chat_id, replies, _SLOT.get(), out)
        finally:
            if place is not None:
                place.leave()

    async def serve_team(self, incoming: Incoming, inbound: Inbound) -> None:
        """A volunteer acting in a team group: the group hears only what the engine sends it as a
        notice ("taken by …"); the volunteer's own reply (the phone number!) goes to their private
        chat, and a press gets its outcome as a pop-up too, in case they never opened one."""
        assert incoming.user_id is not None
        key = str(incoming.user_id)  # their private chat's id: in line with its replies
        out = sending_to(key)
        place: Place | None = None
        try:
            async with self._turns.one_at_a_time(key):
                out.replies = replies = await self.ctx.converse(inbound)
                place = self._sends.join(key)
            if incoming.callback_id is not None:  # the pop-up need not wait for earlier sends
                toast = replies[0].text[:TOAST_LIMIT] if replies else None
                await self.attempt("answerCallbackQuery", partial(self.answer_callback, incoming.callback_id, toast))
            await place.reached()
            await self.deliver(incoming.user_id, replies, None, out)
        finally:
            if place is not None:
                place.leave()

    async def push(self, chat_id: str, messages: Sequence[Outbound]) -> bool:
        """Send to a chat that did not just write to us (a team group, a citizen told who will call).
        No chat lock and no place in the chat's line: the turn that made the notice may hold the
        lock of this very chat, and it would wait for that chat's earlier sends (as on Zalo)."""
        try:
            target = int(chat_id)
        except ValueError:
            log.warning("telegram push to a chat id that is not a number")
            return False
        return await self.deliver(target, messages)

    async def resend(self, chat_id: str, replies: Sequence[Outbound], _delivery_id: str) -> None:
        """Replies kept by a worker that stopped before sending them (:mod:`bot.web.late`): in the
        chat's line, after the replies already waiting there."""
        place = self._sends.join(chat_id)
        try:
            await place.reached()
            await self.deliver(int(chat_id), replies)
        finally:
            place.leave()

    async def converse(self, chat_id: int, inbound: Inbound) -> list[Outbound]:
        typing = asyncio.create_task(self._typing(chat_id))
        try:
            return await self.ctx.converse(inbound)
        finally:
            typing.cancel()
            await asyncio.gather(typing, return_exceptions=True)

    async def _typing(self, chat_id: int) -> None:
        await asyncio.sleep(TYPING_AFTER)
        while True:
            try:
                await self.send_typing(chat_id)
            except Exception as exc:  # a missing "typing…" is not worth a retry
                log.info("sendChatAction failed: %s", type(exc).__name__)
                return
            await asyncio.sleep(TYPING_EVERY)

    async def deliver(self, chat_id: int, replies: Sequence[Outbound], slot: _ReplySlot | None = None,
                      out: Outgoing | None = None) -> bool:  # fmt: skip
        """Send the replies in order; stop at the first that cannot be sent, so none arrives out of
        turn. With an open webhook ``slot``, the last message rides in the webhook's response:
        Telegram runs it after the ones sent before, so the order holds. ``out`` counts the replies
        wholly sent (a long one goes in several messages)."""
        chunks = _numbered(replies)
        last = chunks.pop() if slot is not None and chunks else None
        for done, chunk in chunks:
            if not await self.attempt("sendMessage", partial(self.send_message, chat_id, chunk)):
                return False
            if out is not None:
                out.sent = done
        if last is None:
            return True
        if slot is not None and slot.open and slot.body is None:
            slot.body = method_json(chat_id, last[1])
            if out is not None:
                out.sent = last[0]
            return True
        ok = await self.attempt("sendMessage", partial(self.send_message, chat_id, last[1]))
        if ok and out is not None:
            out.sent = last[0]
        return ok

    async def attempt(self, what: str, call: Callable[[], Awaitable[None]]) -> bool:
        """Run one Bot API call, waiting out 429s; failures are logged, never raised."""
        for number in range(1, FLOOD_ATTEMPTS + 1):
            try:
                await call()
                return True
            except Exception as exc:
                wait = self.flood_wait(exc)
                if wait is None:
                    log.warning("telegram %s failed: %s: %s", what, type(exc).__name__, exc)
                    return False
                if wait > MAX_FLOOD_WAIT or number == FLOOD_ATTEMPTS:
                    log.warning(
                        "telegram %s gave up on flood control retry_after=%.0f attempt=%d", what, wait, number
                    )
                    return False
                log.info("telegram %s flood control, retrying in %.1f s", what, wait)
                await asyncio.sleep(wait)
        return False


def _numbered(replies: Sequence[Outbound]) -> list[tuple[int, Chunk]]:
    """Each message to send, with how many replies are wholly sent once it is (a long reply is
    split into several messages)."""
    numbered: list[tuple[int, Chunk]] = []
    for n, outbound in enumerate(replies):
        parts = render(outbound)
        numbered.extend((n + 1 if i == len(parts) - 1 else n, part) for i, part in enumerate(parts))
    return numbered
