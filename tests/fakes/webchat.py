"""What the web chat page (bot/web/static/chat.js) sends, for tests that play it over HTTP."""

from __future__ import annotations

import uuid
from typing import Any


def message_id() -> str:
    """A new message's random id, shaped as the page makes them (``m`` and 32 hex digits)."""
    return f"m{uuid.uuid4().hex}"


def message(user: str, text: str | None = None, **fields: Any) -> dict[str, Any]:
    """The body of POST /chat/api/message as the page sends it: the browser's id, a new message id
    (give ``id=`` to resend one) and ``text`` or other fields (``payload``, ``lang``)."""
    body: dict[str, Any] = {"user": user, "id": message_id()}
    if text is not None:
        body["text"] = text
    return body | fields
