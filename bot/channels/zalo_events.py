"""Zalo webhook events: checking ``X-ZEvent-Signature`` and reading the events the bot acts on.

Zalo signs each event as ``mac=`` + hex SHA-256 of ``app_id + raw body + timestamp + OA secret
key``, where ``app_id`` and ``timestamp`` are the values inside the JSON body (facts §1.4: several
open-source integrations agree; no official prose documents it). It is a plain hash, not an HMAC,
and must be computed over the raw bytes: re-serialised JSON would differ.

Event shapes are community-sourced (facts §1.3); every field is read defensively and ids stay
strings (they are 64-bit numbers that lose digits as floats).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"

USER_MESSAGES = frozenset({
    "user_send_text", "user_send_image", "user_send_gif", "user_send_sticker", "user_send_file",
    "user_send_location", "user_send_link", "user_send_audio", "user_send_video",
    "user_send_business_card",
})  # fmt: skip
"""A person wrote to the OA. Only text carries words; the rest get the engine's "I did not catch
a question" reply (with the caption as the text, when there is one)."""


MAX_TIMESTAMP_DIGITS = 15
"""Epoch milliseconds have 13 digits until the year 2286; more is no time at all."""
_TIMESTAMPS = re.compile(rb'"timestamp"\s*:\s*"?([0-9]{1,%d})"?\s*[,}]' % MAX_TIMESTAMP_DIGITS)
"""Where the signed timestamp can be in the raw body. Inside a JSON string a quote is escaped
(``\\"timestamp\\"``), so a message's text cannot plant one; ASCII digits only: ``\\d`` would take
superscript and other Unicode digits that ``int()`` refuses."""


class BadEvent(ValueError):
    """The body is not an event we can read (answered 400)."""


def signed_timestamp(header: str | None, app_id: str, raw_body: bytes, key: str) -> str | None:
    """The body's timestamp when ``header`` signs ``raw_body`` for ``app_id``, else None.

    Runs before any JSON parsing: only a cheap scan of the raw bytes for the (at most few)
    ``"timestamp"`` fields, so an unsigned body costs no parser time whatever its shape.
    """
    if not header:
        return None
    for tries, found in enumerate(_TIMESTAMPS.finditer(raw_body)):
        if tries == 8:  # a real event has one; a body full of them is not worth hashing each time
            break
        stamp = found.group(1).decode("ascii")
        if signature_matches(header, app_id, raw_body, stamp, key):
            return stamp
    return None


URL_CHECK_BYTES = 2048


def is_url_check(raw_body: bytes) -> bool:
    """Whether an unsigned body is Zalo's check of a webhook URL being saved: a small JSON object
    (``{}`` in reports) carrying no event. Zalo wants a 200 and nothing is done with it (GobyZNS
    partner docs: "the system sends a POST to the webhook; any status but 200 refuses the URL";
    hainh.me: the webhook must always answer 200 within 2 s)."""
    if len(raw_body) > URL_CHECK_BYTES:
        return False
    try:
        data = read_json(raw_body) if raw_body.strip() else {}
    except BadEvent:
        return False
    return isinstance(data, dict) and "event_name" not in data


def read_json(raw_body: bytes) -> Any:
    """The parsed body; :class:`BadEvent` for anything that is not JSON, however it fails
    (bad UTF-8, nesting deep enough to exhaust the parser's recursion, numbers too long to read)."""
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError) as exc:
        raise BadEvent(f"not JSON ({type(exc).__name__})") from None


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex ``mac`` Zalo sends for this body."""
    return hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()


def signature_matches(header: str | None, app_id: str, raw_body: bytes, timestamp: str, key: str) -> bool:
    """Whether ``header`` (with or without ``mac=``) is the body's signature; constant time."""
    if not header:
        return False
    given = header.strip().removeprefix("mac=").strip().lower()
    expected = signature(app_id, raw_body, timestamp, key)
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class ZaloEvent:
    """The parts of an event the channel uses."""

    name: str
    app_id: str
    timestamp: str  # epoch milliseconds, as Zalo sends it (a string of digits)
    sender: str | None
    user_id: str | None  # who the bot would answer, when anyone
    oa_id: str | None  # the OA a person wrote to or followed (an app may serve several OAs)
    msg_id: str | None
    text: str

    @property
    def millis(self) -> int:
        return int(self.timestamp)

    @property
    def dedupe_key(self) -> str:
        """The same for a redelivery of this event: Zalo repeats the body as it was."""
        if self.msg_id:
            return f"m:{self.msg_id}"
        return f"e:{self.name}:{self.user_id or self.sender or ''}:{self.timestamp}"


def parse_event(data: Any) -> ZaloEvent:
    """Read an event from parsed JSON; raises :class:`BadEvent` when the envelope is wrong."""
    if not isinstance(data, dict):
        raise BadEvent("the body is not a JSON object")
    app_id = _id(data.get("app_id"))
    timestamp = _id(data.get("timestamp"))
    name = data.get("event_name")
    if not app_id or not timestamp or not isinstance(name, str) or not name or len(name) > 100:
        raise BadEvent("an event needs app_id, event_name and a timestamp in milliseconds")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise BadEvent("the timestamp is not a time in milliseconds")
    sender = _id(_dict(data.get("sender")).get("id"))
    message = _dict(data.get("message"))
    text = message.get("text")
    recipient = _id(_dict(data.get("recipient")).get("id"))
    user_id: str | None = None
    oa_id: str | None = None
    if name in USER_MESSAGES:
        user_id, oa_id = sender, recipient
    elif name == "follow":
        # The follower is in follower.id and the OA in oa_id; some third-party docs show
        # sender/recipient instead.
        user_id = _id(_dict(data.get("follower")).get("id")) or sender
        oa_id = _id(data.get("oa_id")) or recipient
    return ZaloEvent(
        name=name, app_id=app_id, timestamp=timestamp, sender=sender, user_id=user_id, oa_id=oa_id,
        msg_id=_id(message.get("msg_id")), text=text if isinstance(text, str) else "",
    )  # fmt: skip


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and -(10**30) < value < 10**30:
        return str(value)
    if isinstance(value, str) and len(value) <= 200:
        return value.strip() or None
    return None  # a float, an object, a 400-digit number or a huge string is no id
