"""The web chat: a small page at /chat that a provincial portal links to or embeds in an iframe,
and the JSON API the page talks to.

The page is three static files served by the app itself — no framework, no CDN, no web fonts,
no cookies — so a cheap phone on a slow connection loads it in one round of small requests.
Each browser keeps a random id in localStorage; the conversation itself lives on the server, like
every other channel's, so a reload carries on where it was.

    GET  /chat                   the page (Vietnamese; an English switch on it)
    GET  /chat/static/<file>     its stylesheet and script, cacheable, gzip when asked
    GET  /chat/api/updates       X-Chat-User: id, ?wait=seconds  →  {"messages": [...]} waiting in the
                                 outbox; with ``wait`` an empty answer is held until news comes
                                 (from any worker: :mod:`bot.channels.web_updates`)
    POST /chat/api/message       {"user": id, "id": id, "text": "..."} or {"user": id, "id": id,
                                 "payload": "..."}, optional "lang": "vi" | "en"; "id" is the
                                 message's own random id  →  {"messages": [...]}; a message may
                                 say what it "expects" typed ("phone": the page opens the digits);
                                 sent as application/json, anything else is 415

Exactly once: the page gives each message a random ``id`` and sends the same one again when it
retries (no answer came: a flaky network, a worker restarting behind the proxy). The turn is
handled as the delivery ``web:<user>:<id>`` (:mod:`bot.storage.deliveries`): stored with the
conversation state and its replies, so a repeat is not applied again and gets the first answer
back, word for word. The namespace is the ``user`` id because that is all the server knows of a
visitor (no cookies, no login): whoever holds a user id *is* that person to the server (they can
already read its news at /chat/api/updates), so nobody reaches another person's stored answers
by guessing message ids alone. A message without an id comes from a page loaded before ids
existed: it is refused (400) with a message asking to reload the page, which the old page shows
and puts the text back in the box. Handled, it would be applied twice when resent — the proxy in
front sends a message again to another worker when the first one died holding it (deploy/nginx),
and an id-less message cannot be told from a new one. The page needs JavaScript (there is no
form that posts without it), so nothing else sends id-less messages.

Limits (:mod:`bot.ratelimit`): the id is chosen by the browser, so messages are limited per id
and per client address (``web_rate_per_user``, ``web_rate_per_address``); over either, 429 with
Retry-After and a kind message the page shows. Someone typing, even pressing buttons quickly,
stays far below them.

Embedding: the page sends ``frame-ancestors *`` and no X-Frame-Options, so any portal may put it
in an iframe. Nothing on the page acts with the visitor's authority (no cookies, no login), so
being framed risks no clickjacking of anything that matters; a deployment that wants to allow
only its own portal sets ``web_frame_ancestors`` (see :data:`DEFAULT_FRAME_ANCESTORS`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.web_updates import Doorbell, parse_wait
from bot.core import i18n
from bot.core.i18n import _
from bot.core.messages import Inbound, Outbound
from bot.core.text import storable
from bot.errors import ConfigError
from bot.ratelimit import Rule, client_address, parse_proxies, request_address, retry_after
from bot.storage.deliveries import delivering
from bot.storage.outbox import Outbox
from bot.web.channel import BaseChannel, ChannelContext
from bot.web.direct import Handler, Headers, Scope, header

log = logging.getLogger("bot.channel.web")

USER_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""What the page's random per-browser id looks like; anything else is refused."""
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""What the page's random per-message id looks like (the same characters, so the delivery id
``web:<user>:<id>`` stays under the store's 200 characters); anything else is refused."""
USER_HEADER = "x-chat-user"
"""The header the page names its person in when it asks for news (kept out of URLs and so out of
the proxy's access logs; ``?user=`` from an older page is still read)."""
MAX_TEXT = 4000
"""Characters per typed message; the page's text box stops there too."""
MAX_PAYLOAD_BYTES = 64
"""A button payload is never longer (see :class:`bot.core.messages.Button`)."""
DEFAULT_FRAME_ANCESTORS = "*"
"""Who may embed the page. A deployment may narrow it with a ``web_frame_ancestors`` setting
(e.g. ``'self' https://dichvucong.tinh.gov.vn``); until that setting exists, any portal may."""

_ASSETS = {"chat.css": "text/css; charset=utf-8", "chat.js": "text/javascript; charset=utf-8"}


class BadMessage(ValueError):
    """A request the API refuses: ``kind`` picks the citizen's message, ``detail`` tells a developer."""

    def __init__(self, kind: str, detail: str, lang: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.lang = lang


def read_message(body: bytes) -> tuple[Inbound, str]:
    """The API request ``body`` as an Inbound and the message's id, or :class:`BadMessage` saying
    what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadMessage("malformed", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadMessage("malformed", "the body must be a JSON object")
    lang = data.get("lang")
    if lang is not None and lang not in i18n.LANGUAGES:
        raise BadMessage("malformed", f"lang must be one of {', '.join(i18n.LANGUAGES)}")
    user = data.get("user")
    if not isinstance(user, str) or not USER_ID.fullmatch(user):
        raise BadMessage("malformed", "user must be 8-64 characters of A-Z a-z 0-9 _ -", lang)
    message_id = data.get("id")
    if message_id is None:  # a page loaded before messages had ids (see the module's doc)
        raise BadMessage("outdated", "id is missing: every message needs its random id (reload the page)", lang)
    if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
        raise BadMessage("malformed", "id must be 8-64 characters of A-Z a-z 0-9 _ -", lang)
    return _inbound(data, user, lang), message_id


def _inbound(data: dict[str, Any], user: str, lang: str | None) -> Inbound:
    text, payload = data.get("text"), data.get("payload")
    if text is not None and not isinstance(text, str):
        raise BadMessage("malformed", "text must be a string", lang)
    if payload is not None and not isinstance(payload, str):
        raise BadMessage("malformed", "payload must be a string", lang)
    if text and payload:
        raise BadMessage("malformed", "send text or payload, not both", lang)
    if payload:
        payload = _clean(payload)
        if len(payload.encode()) > MAX_PAYLOAD_BYTES or "\n" in payload:
            raise BadMessage(
                "malformed", f"payload must be one line of at most {MAX_PAYLOAD_BYTES} bytes", lang
            )
        return Inbound("web", user, payload=payload, lang_hint=lang)
    if text is not None and len(text) > MAX_TEXT:
        raise BadMessage("too_long", f"text must be at most {MAX_TEXT} characters", lang)
    text = _clean(text or "")
    if not text.strip():
        raise BadMessage("empty", "send a non-empty text or a payload", lang)
    return Inbound("web", user, text, lang_hint=lang)


def _clean(value: str) -> str:
    """Drop control characters and lone surrogates, which no database or page should store."""
    return storable(value)


def _friendly(kind: str) -> str:
    if kind == "empty":
        return _("Please type a message, or press one of the buttons.")
    if kind == "outdated":
        return _("This chat page is out of date. Please reload the page, then send your message again.")
    if kind == "too_long":
        return _("That message is too long: please keep it under {limit} characters.").format(
            limit=i18n.number(MAX_TEXT)
        )
    return _("Sorry, the chat could not read that message. Please reload the page and try again.")


def render(messages: Sequence[Outbound]) -> dict[str, Any]:
    """Replies as the API's JSON: each button has a ``payload`` to send back or a ``url`` to open."""
    out = []
    for message in messages:
        buttons: list[dict[str, str]] = []
        for button in message.buttons:
            if button.payload:
                buttons.append({"label": button.label, "payload": button.payload})
            elif button.url:
                buttons.append({"label": button.label, "url": button.url})
        out.append({"text": message.text, "buttons": buttons, **({"expects": message.expects} if message.expects else {})})
    return {"messages": out}


@dataclass(frozen=True)
class _Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    version: str  # the start of the body's SHA-256: its ETag and its ?v= in the page


def _asset(body: bytes, media_type: str) -> _Asset:
    version = hashlib.sha256(body).hexdigest()[:16]
    return _Asset(body, gzip.compress(body, mtime=0), media_type, version)


def _static_file(name: str) -> bytes:
    return (resources.files("bot.web") / "static" / name).read_bytes()


class WebChat(BaseChannel):
    """The page, its two assets and the message API; the files are read once, at start-up."""

    name = "web"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        self.assets = {name: _asset(_static_file(name), kind) for name, kind in _ASSETS.items()}
        html = _static_file("chat.html").decode("utf-8")
        for name, asset in self.assets.items():
            # Relative URLs keep working when a proxy serves the app under a prefix (/trolyso/chat).
            html = html.replace("{{" + name + "}}", f"chat/static/{name}?v={asset.version}")
        self.page = _asset(html.encode("utf-8"), "text/html; charset=utf-8")
        ancestors = str(getattr(ctx.settings, "web_frame_ancestors", None) or DEFAULT_FRAME_ANCESTORS)
        if re.search(r"[;,\x00-\x1f]", ancestors):
            raise ConfigError(f"web_frame_ancestors {ancestors!r}: list sources separated by spaces, "
                              "e.g. 'self' https://portal.example.gov.vn")  # fmt: skip
        # The server cannot reach a browser: messages for a web person (a volunteer took their
        # request) wait in the outbox until the page asks (/chat/api/updates).
        self.outbox = Outbox(ctx.db, self.name) if ctx.db is not None else None
        self.doorbell = Doorbell(ctx.notices)  # wakes a waiting poll in any worker on a push
        if self.outbox is not None:
            ctx.conversations.notifier.register(self.name, self.push)
        settings = ctx.settings
        self.limiter = ctx.limiter
        self.proxies = parse_proxies(getattr(settings, "trusted_proxies", ""))
        self.per_user = Rule.parse("web_user", getattr(settings, "web_rate_per_user", "30/minute;400/hour"))
        self.polls = Rule.parse("web_updates", "240/minute")
        self.per_address = Rule.parse("web_address", getattr(settings, "web_rate_per_address", "120/minute;2000/hour"))
        self.page_headers = {
            "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {ancestors}",
            "Referrer-Policy": "no-referrer",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            "Cache-Control": "no-cache",
        }

    def routes(self) -> Sequence[BaseRoute]:
        return (
            Route("/chat", self._page, methods=["GET"]),
            Route("/chat/static/{name}", self._static, methods=["GET"]),
            Route("/chat/api/message", self._message, methods=["POST"]),
            Route("/chat/api/updates", self._updates, methods=["GET"]),
        )

    async def push(self, user: str, messages: Sequence[Outbound]) -> bool:
        assert self.outbox is not None
        await self.outbox.put(user, render(messages)["messages"])
        await self.doorbell.announce(user)  # a hint only: the outbox row is what the page gets
        return True

    async def _updates(self, request: Request) -> Response:
        """Messages that arrived for this person while the page was open or away. The page names
        the person in a header: whoever holds the id is that person, and a URL's query ends up in
        the proxy's access log. ``?user=`` still works for a page loaded before the header."""
        user = request.headers.get(USER_HEADER) or request.query_params.get("user", "")
        if not USER_ID.fullmatch(user):
            return _json(400, {"error": "user must be 8-64 characters of A-Z a-z 0-9 _ -"})
        # The page asks every few seconds; a flood of asks is limited like messages, separately.
        wait = await self.limiter.hit(self.polls, request_address(request, self.proxies))
        if wait:
            return _json(*self._too_fast(wait, None))
        try:
            hold = parse_wait(request.query_params.get("wait"))
            messages = await self.doorbell.take(user, hold, self.outbox.take) if self.outbox is not None else []
        except Exception:  # the database is down: the page simply asks again later
            log.exception("web chat updates failed")
            return _json(503, {"error": "try again later"})
        return _json(200, {"messages": messages})

    def status(self) -> dict[str, Any]:
        return {"ok": True, "page": "/chat"}

    async def _page(self, request: Request) -> Response:
        return _send(request, self.page, self.page_headers)

    async def _static(self, request: Request) -> Response:
        asset = self.assets.get(request.path_params["name"])
        if asset is None:
            return Response("not found", status_code=404, media_type="text/plain")
        # A versioned URL (?v= the current digest) never changes: cache it for a year. Any other
        # (an old page's link) is answered with today's file and cached briefly.
        current = request.query_params.get("v") == asset.version
        cache = "public, max-age=31536000, immutable" if current else "public, max-age=300"
        return _send(request, asset, {"Cache-Control": cache})

    def direct(self) -> Mapping[tuple[str, str], Handler]:
        return {("POST", "/chat/api/message"): self._message_direct}

    async def _message_direct(self, scope: Scope, body: bytes) -> tuple[int, bytes, Headers]:
        """A message, as the app answers it: before Starlette's layers (bot.web.direct)."""
        peer = scope.get("client")
        address = client_address(peer[0] if peer else None, header(scope, b"x-forwarded-for"), self.proxies)
        status, data, retry = await self.answer(header(scope, b"content-type") or "", address, body)
        headers = [*_JSON_HEADERS, *([(b"retry-after", retry.encode())] if retry else [])]
        return status, orjson.dumps(data), headers

    async def _message(self, request: Request) -> Response:
        """The same through Starlette's router: what an app without the direct route serves."""
        address = request_address(request, self.proxies)
        status, data, retry = await self.answer(request.headers.get("content-type", ""), address, await request.body())
        return _json(status, data, retry)

    async def answer(self, content_type: str, address: str, body: bytes) -> tuple[int, dict[str, Any], str | None]:
        """A message's status, JSON answer and Retry-After (when too fast); the request's
        ``content_type`` header, the client's ``address`` and the ``body`` are all it needs."""
        try:
            # The page always declares JSON. Another site's page can post text/plain or a form
            # without a CORS preflight, making its visitors' browsers send messages here; JSON
            # cross-site needs a preflight, which this API never grants.
            if content_type.split(";")[0].strip().lower() != "application/json":
                raise BadMessage("media", "send the message as application/json")
            # over the app's max_body_size, the app answers 413 first
            inbound, message_id = read_message(body)
        except BadMessage as exc:
            # Refused messages count against the address too: a flood of garbage is a flood.
            wait = await self.limiter.hit(self.per_address, address)
            if wait:
                return self._too_fast(wait, exc.lang)
            self.ctx.metrics.webhooks.labels(self.name, "bad_request").inc()
            with i18n.use(i18n.pick_language(exc.lang)):
                refusal = {"error": _friendly(exc.kind), "detail": exc.detail}
            return (415 if exc.kind == "media" else 400), refusal, None
        # The address's budget and the person's in one step (with Redis, one round trip).
        wait = await self.limiter.hit_all(((self.per_address, (address,)), (self.per_user, (inbound.user_id,))))
        if wait:
            return self._too_fast(wait, inbound.lang_hint)
        try:
            # A resend of this message gets the replies stored with it (see the module's doc).
            with delivering(f"web:{inbound.user_id}:{message_id}"):
                replies = await self.ctx.converse(inbound)
        except Exception:  # a bug must reach the log, not the citizen
            log.exception("web chat turn failed")
            self.ctx.metrics.webhooks.labels(self.name, "error").inc()
            with i18n.use(i18n.pick_language(inbound.lang_hint)):
                sorry = _("Sorry, something went wrong on my side. Please try again, or ask for a person.")
            return 500, {"error": sorry}, None
        self.ctx.metrics.webhooks.labels(self.name, "ok").inc()
        return 200, render(replies), None

    def _too_fast(self, wait: float, lang: str | None) -> tuple[int, dict[str, Any], str]:
        self.ctx.metrics.webhooks.labels(self.name, "rate_limited").inc()
        seconds = retry_after(wait)
        with i18n.use(i18n.pick_language(lang)):
            message = _("You are sending messages very quickly. Please wait {seconds} seconds, then try again.")
        return 429, {"error": message.format(seconds=seconds), "retry_after": int(seconds)}, seconds


_NO_SNIFF = {"X-Content-Type-Options": "nosniff"}
_JSON_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
"""The direct route's own headers; nosniff and the rest come with every answer (bot.web.security)."""


class _Json(JSONResponse):
    """Starlette's JSONResponse encoded by orjson (the same compact UTF-8 JSON, ~17x faster)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _json(status: int, data: dict[str, Any], retry: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store", **_NO_SNIFF, **({"Retry-After": retry} if retry else {})}
    return _Json(data, status_code=status, headers=headers)


def _send(request: Request, asset: _Asset, headers: dict[str, str]) -> Response:
    """``asset`` gzipped when the browser takes it, with an ETag per encoding (304 when it has it)."""
    zipped = "gzip" in request.headers.get("accept-encoding", "")
    etag = f'"{asset.version}-gz"' if zipped else f'"{asset.version}"'
    common = {**headers, **_NO_SNIFF, "ETag": etag, "Vary": "Accept-Encoding"}
    held = [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in held or "*" in held:
        return Response(status_code=304, headers=common)
    if zipped:
        return Response(
            asset.gzipped, media_type=asset.media_type, headers={**common, "Content-Encoding": "gzip"}
        )
    return Response(asset.body, media_type=asset.media_type, headers=common)
