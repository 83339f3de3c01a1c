"""A fake Zalo: the OA API (``POST /v3.0/oa/message/cs``) and OAuth (``POST /v4/oa/access_token``)
on 127.0.0.1, recording every request, with one-shot error injection; and Zalo's webhook side,
which signs events and POSTs them to the bot.

It behaves like Zalo as far as the facts go (docs/facts §1.5-1.8), each rule with its source:

- errors are a non-zero ``error`` in a JSON body with HTTP 200 (facts §1.5; chatwoot's client);
- an access token other than the current one gets ``-216`` (facts §1.8, chatwoot);
- a refresh token works once and each refresh returns a new pair with ``expires_in`` as a string
  of seconds (facts §1.6; zalo-java-sdk ``GetAccessTokenByRefreshToken``);
- a message is addressed by ``recipient.message_id`` (a reply to the person's message: Zalo OA help
  centre, "messages through the Open API should carry the inbound message_id"; zalo-php-sdk
  ``MessageBuilder::withMessageId``) or ``recipient.user_id`` (a proactive message); an unknown
  message id gets ``-201`` (invalid parameter: caresoft's table of OA error codes);
- ``per_minute`` set: sends past it within a clock minute get ``-32`` (rate limit; chatwoot
  retries it, ``RETRYABLE_CODES``; counted per minute as the issue reports);
- a user in ``inactive`` (no interaction for 7 days) cannot be sent a proactive message: ``-230``
  (facts §1.7, chatwoot's ``message_sender.rb``); a reply to their fresh message still goes;
- a text longer than 2,000 characters as Zalo counts them (UTF-16 units) is refused with ``-201``
  (facts §1.7: 2,000 characters; the code is the generic invalid-parameter one, unverified);
- accepted sends answer ``data: {message_id, user_id, quota}`` (facts §1.5), the quota from
  ``quota`` when set (``remain``/``total``, facts §1.7).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from aiohttp import web

from bot.core.messages import Button, Outbound

_MSG_IDS = itertools.count(1)
"""Message ids unique in the test process, as Zalo's are: a restarted server (a new harness over the
same database) must not take its first message for a redelivery of the last run's."""

@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    accepted: bool = False  # message/cs: Zalo took the message (a person would see it)
    answered: float | None = None  # time.monotonic() when the answer left
    user: str | None = None  # message/cs: who the message was for (from user_id or message_id)


class FakeZalo:
    """Start with ``await fake.start()``; ``url`` is both the API and the OAuth base."""

    def __init__(self, *, app_id: str, app_secret: str, access_token: str, refresh_token: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.calls: list[Call] = []
        self.fail_next: list[dict[str, Any]] = []  # bodies answered to the next message/cs calls, in order
        self.refuse_refresh = False
        self.delay = 0.0  # seconds message/cs waits before answering
        self.inbound: dict[str, str] = {}  # msg_id of a person's message -> their user id (see ZaloDelivery)
        self.per_minute: int | None = None  # message/cs sends allowed per clock minute, then -32
        self.inactive: set[str] = set()  # users who have not interacted for 7 days: pushes get -230
        self.quota: dict[str, Any] | None = None  # what data.quota says
        self._minute: tuple[int, int] = (0, 0)  # (minute, sends in it)
        self._minutes_passed = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v4/oa/access_token", self._access_token)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what was asked ---------------------------------------------------------------------

    @property
    def sent(self) -> list[Call]:
        """message/cs calls Zalo accepted (what a person would see), oldest first."""
        return [c for c in self.calls if c.path == "/v3.0/oa/message/cs" and c.accepted]

    @property
    def refreshes(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/v4/oa/access_token"]

    def next_minute(self) -> None:
        """Zalo's rate-limit minute turns (without the test waiting for the clock)."""
        self._minutes_passed += 1

    def expire_access_token(self) -> None:
        """Zalo forgets the current access token; sends with it get -216 until a refresh."""
        self.access_token = f"revoked-{next(self._ids)}"

    # --- the endpoints ----------------------------------------------------------------------

    async def _message(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("access_token") != self.access_token:
            return self._done(call, {"error": -216, "message": "Access token is invalid"})
        if self.fail_next:
            return self._done(call, self.fail_next.pop(0))
        recipient = body.get("recipient") or {}
        reply_to = recipient.get("message_id")
        user = self.inbound.get(reply_to) if reply_to else recipient.get("user_id")
        call.user = user
        if user is None:
            return self._done(call, {"error": -201, "message": "Parameter recipient is invalid"})
        if self.per_minute is not None:
            minute = int(time.time() // 60) + self._minutes_passed
            count = self._minute[1] + 1 if self._minute[0] == minute else 1
            self._minute = (minute, count)
            if count > self.per_minute:
                return self._done(call, {"error": -32, "message": "Exceed rate limit"})
        if not reply_to and user in self.inactive:
            return self._done(call, {"error": -230, "message": "User has not interacted with the OA in the last 7 days"})
        text = (body.get("message") or {}).get("text") or ""
        if len(text.encode("utf-16-le")) // 2 > 2000:
            return self._done(call, {"error": -201, "message": "Parameter text is invalid (over 2000 characters)"})
        call.accepted = True
        data: dict[str, Any] = {"message_id": f"mid{next(self._ids)}", "user_id": user}
        if self.quota is not None:
            data["quota"] = dict(self.quota)
        return self._done(call, {"error": 0, "message": "Success", "data": data})

    async def _access_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        call = self._record(request, {k: str(v) for k, v in form.items()})
        if (
            self.refuse_refresh
            or request.headers.get("secret_key") != self.app_secret
            or form.get("app_id") != self.app_id
            or form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return self._done(call, {"error": -14014, "error_name": "Invalid refresh token",
                                     "error_description": "Refresh token is invalid or expired"})  # fmt: skip
        n = next(self._ids)
        self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"
        call.accepted = True
        return self._done(call, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                                 "expires_in": "90000"})  # fmt: skip

    async def _unknown(self, request: web.Request) -> web.Response:
        call = self._record(request, {})
        return self._done(call, {"error": -404, "message": "fake Zalo: unknown endpoint"}, status=404)

    def _record(self, request: web.Request, body: dict[str, Any]) -> Call:
        call = Call(request.path, dict(request.headers), body, time.monotonic())
        self.calls.append(call)
        return call

    def _done(self, call: Call, body: dict[str, Any], status: int = 200) -> web.Response:
        call.answered = time.monotonic()
        return web.json_response(body, status=status)


# --- Zalo's side of the webhook: signed events as a person's actions produce them -------------


def sign(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The ``X-ZEvent-Signature`` header Zalo sends (facts §1.4), computed independently of the bot."""
    return (
        "mac=" + hashlib.sha256(f"{app_id}{raw_body.decode()}{timestamp}{oa_secret_key}".encode()).hexdigest()
    )


def to_outbound(message: dict[str, Any]) -> Outbound:
    """What a person sees of one recorded ``message/cs`` message: its text and buttons.

    A query button keeps the exact payload Zalo would send back when it is pressed.
    """
    buttons = []
    for b in (message.get("attachment") or {}).get("payload", {}).get("buttons", []):
        if b["type"] in ("oa.query.show", "oa.query.hide"):
            buttons.append(Button(b["title"], payload=b["payload"]))
        elif b["type"] == "oa.open.url":
            buttons.append(Button(b["title"], url=b["payload"]["url"]))
        else:
            raise AssertionError(f"unexpected button type {b['type']!r}")
    return Outbound(message["text"], tuple(buttons))


class ZaloDelivery:
    """Zalo's webhook deliveries to the bot: builds events, signs them, POSTs them over HTTP."""

    def __init__(
        self, http: httpx.AsyncClient, webhook_url: str, *, app_id: str, oa_id: str, key: str,
        zalo: FakeZalo | None = None,
    ) -> None:
        self.zalo = zalo  # the API side, told which person each delivered message came from
        self.http = http
        self.webhook_url = webhook_url
        self.app_id = app_id
        self.oa_id = oa_id
        self.key = key
        self._msg_ids = _MSG_IDS

    def event(self, user: str, text: str = "", name: str = "user_send_text", *, msg_id: str | None = None,
              timestamp: int | None = None, sender: str | None = None) -> dict[str, Any]:  # fmt: skip
        """A user → OA event as Zalo shapes it (facts §1.3)."""
        stamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
        msg_id = msg_id or f"msg{next(self._msg_ids)}"
        if self.zalo is not None:
            self.zalo.inbound[msg_id] = sender or user
        return {
            "app_id": self.app_id, "user_id_by_app": f"app-{user}", "event_name": name,
            "sender": {"id": sender or user}, "recipient": {"id": self.oa_id},
            "message": {"msg_id": msg_id, "text": text}, "timestamp": stamp,
        }  # fmt: skip

    async def post(self, event: dict[str, Any] | bytes, *, signature: str | None = "auto") -> httpx.Response:
        """POST ``event`` (a dict is serialised once, like Zalo); ``signature=None`` sends no header."""
        raw = event if isinstance(event, bytes) else json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            assert isinstance(event, dict)
            signature = sign(event["app_id"], raw, event["timestamp"], self.key)
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return await self.http.post(self.webhook_url, content=raw, headers=headers)
