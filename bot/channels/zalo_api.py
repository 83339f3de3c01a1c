"""The Zalo OA API v3 as this bot uses it: consultation (``message/cs``) messages with buttons.

Zalo has no callback buttons. A button of type ``oa.query.hide`` makes the person's app send the
button's payload back to the OA as an ordinary text message (hidden from the chat), so every
button we send carries a marked payload that the webhook recognises and turns back into the
engine's payload:

- ``#b:<engine payload>`` — a pressed button; the webhook makes it ``Inbound(payload=...)``.
- ``#more:<json>`` — the "More ▶" button. Zalo shows at most 5 buttons under a message, so a reply
  with more shows the first 4 and a "More ▶" button whose payload carries the rest (labels and
  payloads). Pressing it sends the next page without a conversation turn. The payload carries
  everything, so any worker can answer the press and nothing has to be remembered; when the rest
  is too long for one payload (Zalo's limit is 1,000 characters) the extra buttons go out in
  follow-up messages of at most 5 instead.

Zalo reports failures as a non-zero ``error`` in a JSON body with HTTP 200; :class:`ZaloApiError`
keeps the code and says which kind of failure it is (facts §1.8, community-sourced).

How a message is addressed (Zalo's OA help centre, "Tin nhắn phản hồi": a message sent through
the Open API that carries the ``message_id`` of the person's message is a reply, free within the
reply window; without it, it counts as a proactive message; the official zalo-php-sdk's
``MessageBuilder::withMessageId`` sets ``recipient.message_id``): an answer to a message names
that message; only a push (a volunteer's news, no message to answer) names the ``user_id``.

Text length: Zalo counts 2,000 characters per text (facts §1.7) the way its apps do, in UTF-16
code units, where an emoji is two; pieces are cut so that none is longer however it is counted.

Answers carry ``data.quota`` (facts §1.5: ``{"message_id", "user_id", "quota": {…}}``); its
``remain``/``total`` are read when present (Zalo stopped filling them in 2026 for replies).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from bot.core.messages import Button, Outbound, split_text
from bot.errors import TrolysoError

log = logging.getLogger("bot.channel.zalo")

MAX_TEXT = 2000
"""Characters per text message (three community sources agree)."""
MAX_BUTTONS = 5
"""Buttons under one message (the official PHP SDK's README)."""
MAX_TITLE = 100
"""Characters in a button title (community source)."""
MAX_QUERY = 1000
"""Characters in an ``oa.query.*`` payload (community source)."""
MAX_MORE = 50
"""Buttons a "More" payload may carry back: more than this is not something we sent."""

PRESS = "#b:"
MORE = "#more:"

TOKEN_ERRORS = frozenset({-216, -220, -124})
"""Access token invalid or expired: refresh it and retry once."""
WINDOW_ERRORS = frozenset({-213, -217, -227, -230, -232, -234, -244})
"""The person cannot be messaged now (not following, blocked, outside the reply window, night)."""
RETRY_ERRORS = frozenset({-32, -100})
"""Rate limit or unknown error on Zalo's side: worth another try after a pause."""

ErrorKind = Literal["token", "window", "retry", "refused"]

_MEANINGS = {
    -216: "access token invalid or expired", -220: "access token expired or removed",
    -124: "access token expired", -213: "the person does not follow the OA",
    -217: "blocked invite", -227: "the person is banned or inactive",
    -230: "the person has not interacted within the reply window (7 days)",
    -232: "the interaction has expired (outside the reply window)",
    -234: "night curfew (22h-6h)", -244: "the person restricted this kind of message",
    -32: "rate limited", -100: "unknown error at Zalo",
}  # fmt: skip


class ZaloApiError(TrolysoError):
    """Zalo refused a call. ``code`` is Zalo's ``error`` (None for network or HTTP failures)."""

    def __init__(self, code: int | None, message: str) -> None:
        self.code = code
        self.message = message
        meaning = _MEANINGS.get(code) if code is not None else None
        detail = f"{message} ({meaning})" if meaning and meaning not in message else message
        super().__init__(
            f"Zalo error {code}: {detail}" if code is not None else f"Zalo call failed: {detail}"
        )

    @property
    def kind(self) -> ErrorKind:
        if self.code in TOKEN_ERRORS:
            return "token"
        if self.code in WINDOW_ERRORS:
            return "window"
        if self.code is None or self.code in RETRY_ERRORS:
            return "retry"
        return "refused"


# --- what a message looks like on the wire ----------------------------------------------------


def utf16_units(text: str) -> int:
    """The length of ``text`` as Zalo's apps count it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_units(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, cut at paragraph, line or word ends."""
    pieces = []
    for piece in split_text(text, limit):
        # limit // 2 code points are at most limit units, whatever the characters.
        pieces.extend([piece] if utf16_units(piece) <= limit else split_text(piece, limit // 2))
    return pieces


def render(outbound: Outbound, lang: str, more_label: str, more_text: str) -> list[dict[str, Any]]:
    """The ``message`` objects that show ``outbound`` on Zalo: text split at 2,000 UTF-16 units,
    buttons under the last piece, more than 5 buttons paged behind "More ▶" (see the module)."""
    pieces = split_units(outbound.text, MAX_TEXT)
    pages = _pages(list(outbound.buttons), lang, more_label) if outbound.buttons else []
    if not pieces:
        if not pages:
            return []
        pieces = [more_text]
    messages: list[dict[str, Any]] = [{"text": piece} for piece in pieces]
    if pages:
        messages[-1]["attachment"] = _template(pages[0])
        messages.extend({"text": more_text, "attachment": _template(page)} for page in pages[1:])
    return messages


def _pages(buttons: list[Button], lang: str, more_label: str) -> list[list[dict[str, Any]]]:
    shown = [b for b in buttons if b.payload or b.url]
    if len(shown) <= MAX_BUTTONS:
        return [[_button(b) for b in shown]]
    head, rest = shown[: MAX_BUTTONS - 1], shown[MAX_BUTTONS - 1 :]
    more = encode_more(rest, lang)
    if len(more) <= MAX_QUERY:
        return [[*(_button(b) for b in head), _query(more_label, more)]]
    # Too much to carry in one payload: five here, the rest in follow-up messages.
    return [[_button(b) for b in shown[:MAX_BUTTONS]], *_pages(shown[MAX_BUTTONS:], lang, more_label)]


def _button(button: Button) -> dict[str, Any]:
    if button.payload:
        return _query(button.label, PRESS + button.payload)
    return {"title": button.label[:MAX_TITLE], "type": "oa.open.url", "payload": {"url": button.url}}


def _query(title: str, payload: str) -> dict[str, Any]:
    # hide, not show: the person sees the button they pressed, not our "#b:…" token in the chat.
    return {"title": title[:MAX_TITLE], "type": "oa.query.hide", "payload": payload}


def _template(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "template", "payload": {"buttons": buttons}}


def encode_more(buttons: Sequence[Button], lang: str) -> str:
    """The payload of a "More ▶" button: the language and the buttons it reveals."""
    rows = [[b.label[:MAX_TITLE], b.payload or "", b.url or ""] for b in buttons]
    return MORE + json.dumps({"l": lang, "b": rows}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Press:
    """A button of ours was pressed: the engine's payload."""

    payload: str


@dataclass(frozen=True)
class MorePage:
    """The "More ▶" button was pressed: the buttons to show next, in the conversation's language."""

    lang: str
    buttons: tuple[Button, ...]


def read_query(text: str) -> Press | MorePage | None:
    """What a text message means when it is a button's payload coming back; None for typed text.

    The payload is whatever the person's app sent, so it is checked like any input: a malformed
    one is treated as typed text, never trusted further than a typed message would be.
    """
    if text.startswith(PRESS) and len(text) > len(PRESS):
        payload = text[len(PRESS) :]
        return Press(payload) if len(payload.encode()) <= 64 else None
    if not text.startswith(MORE):
        return None
    try:
        data = json.loads(text[len(MORE) :])
        lang, rows = data["l"], data["b"]
        if not isinstance(lang, str) or not isinstance(rows, list) or not 0 < len(rows) <= MAX_MORE:
            return None
        buttons = tuple(
            Button(str(label)[:MAX_TITLE], str(payload) or None, str(url) or None)
            for label, payload, url in rows
        )
    except (ValueError, KeyError, TypeError):
        return None
    if any(b.payload is not None and len(b.payload.encode()) > 64 for b in buttons):
        return None
    return MorePage(lang, buttons)


# --- the client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What Zalo said about a message it took."""

    message_id: str
    quota: dict[str, Any]


class ZaloApi:
    """Posts consultation messages; raises :class:`ZaloApiError` on any refusal."""

    def __init__(self, api_base: str, client: httpx.AsyncClient) -> None:
        self.url = api_base.rstrip("/") + "/v3.0/oa/message/cs"
        self.client = client

    async def send(self, user_id: str, message: dict[str, Any], access_token: str,
                   reply_to: str | None = None) -> Sent:  # fmt: skip
        """Send one message to one person: as the reply to their message ``reply_to`` when there is
        one (free), else addressed to the user (a push)."""
        recipient = {"message_id": reply_to} if reply_to else {"user_id": user_id}
        body = {"recipient": recipient, "message": message}
        try:
            response = await self.client.post(self.url, json=body, headers={"access_token": access_token})
        except httpx.HTTPError as exc:
            raise ZaloApiError(None, f"{type(exc).__name__}: {exc}") from exc
        data = _json(response)
        code = _int(data.get("error"))
        if response.status_code >= 400 or code is None:
            raise ZaloApiError(code, f"HTTP {response.status_code}: {str(data.get('message', ''))[:200]}")
        if code != 0:
            raise ZaloApiError(code, str(data.get("message", "no message"))[:200])
        result = data.get("data")
        if not isinstance(result, dict):
            return Sent("", {})
        quota = result.get("quota")
        return Sent(str(result.get("message_id", ""))[:100], quota if isinstance(quota, dict) else {})


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or (isinstance(value, str) and len(value) > 20):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def quota_left(quota: dict[str, Any]) -> tuple[int, int] | None:
    """(remaining, total) from a ``data.quota`` object, when Zalo filled them in."""
    remain, total = _int(quota.get("remain")), _int(quota.get("total"))
    return (remain, total) if remain is not None and total is not None and total > 0 else None
