"""Telegram messages in and out, with no I/O: what we read from an update and how a reply
becomes messages and inline keyboards. Shared by both library adapters through
:mod:`bot.channels.telegram_common`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.i18n import _
from bot.core.messages import Button, Inbound, Outbound, split_text

log = logging.getLogger("bot.channel.telegram")

CHANNEL = "telegram"

MAX_TEXT = 4096
"""Telegram's limit for one message, counted in UTF-16 code units (an emoji counts twice)."""
MAX_CALLBACK_BYTES = 64
SHORT_LABEL = 20
"""Two buttons share a row only when both labels are this short; long Vietnamese names stay alone."""
MEDIA_FIELDS = ("sticker", "photo", "voice", "audio", "video", "video_note", "animation", "document",
                "location", "venue", "contact", "poll", "dice", "story")  # fmt: skip
"""Message fields a person sends that carry no text we can read."""


# --- rendering ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyButton:
    """One inline keyboard button, library-neutral: exactly one of ``callback_data`` and ``url``."""

    text: str
    callback_data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[KeyButton, ...], ...]


@dataclass(frozen=True)
class Chunk:
    """One ``sendMessage``: text within Telegram's limit and the keyboard under it (if any)."""

    text: str
    keyboard: Keyboard = ()


def method_json(chat_id: int, chunk: Chunk) -> dict[str, Any]:
    """``sendMessage`` as a webhook response body: Telegram runs it as if we had called it."""
    body: dict[str, Any] = {"method": "sendMessage", "chat_id": chat_id, "text": chunk.text,
                            "link_preview_options": {"is_disabled": True}}  # fmt: skip
    if chunk.keyboard:
        body["reply_markup"] = {"inline_keyboard": [
            [{"text": k.text, **({"url": k.url} if k.url else {"callback_data": k.callback_data})} for k in row]
            for row in chunk.keyboard
        ]}  # fmt: skip
    return body


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_for_telegram(text: str) -> list[str]:
    """Pieces of ``text`` within :data:`MAX_TEXT`, cut at paragraph, line or word ends."""
    limit = MAX_TEXT
    while True:
        pieces = split_text(text, limit)
        if all(utf16_len(p) <= MAX_TEXT for p in pieces):
            return pieces
        limit -= 512  # astral characters count twice; at 2048 every piece fits


def callback_data_fits(payload: str) -> bool:
    return 1 <= len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES


def keyboard(buttons: Sequence[Button]) -> Keyboard:
    """Inline keyboard rows for ``buttons``; buttons Telegram would refuse are left out, loudly."""
    rows: list[list[KeyButton]] = []
    for button in buttons:
        label = button.label.strip()
        if not label:
            log.error("button without a label dropped payload=%r", button.payload)
            continue
        if button.url:
            key = KeyButton(label, url=button.url)
        elif button.payload and callback_data_fits(button.payload):
            key = KeyButton(label, callback_data=button.payload)
        else:
            log.error("button %r dropped: its payload must be 1-%d bytes, got %d", label, MAX_CALLBACK_BYTES,
                      len((button.payload or "").encode("utf-8")))  # fmt: skip
            continue
        last = rows[-1] if rows else None
        if (
            last is not None
            and len(last) == 1
            and len(last[0].text) <= SHORT_LABEL
            and len(label) <= SHORT_LABEL
        ):
            last.append(key)
        else:
            rows.append([key])
    return tuple(tuple(row) for row in rows)


def render(outbound: Outbound) -> list[Chunk]:
    """The messages that show ``outbound``; its buttons go under the last one."""
    rows = keyboard(outbound.buttons)
    pieces = split_for_telegram(outbound.text)
    if not pieces:
        if not rows:
            return []
        pieces = ["…"]  # Telegram refuses an empty message, and the buttons need one to sit under
    return [Chunk(p) for p in pieces[:-1]] + [Chunk(pieces[-1], rows)]


# --- what came in -----------------------------------------------------------------------------------
class Kind(StrEnum):
    TEXT = "text"
    PRESS = "press"
    MEDIA = "media"
    EDITED = "edited"
    OTHER = "other"  # service messages and the like: nothing to say


@dataclass(frozen=True)
class Incoming:
    """A message or button press reduced to what the rules need, whichever library parsed it."""

    kind: Kind
    chat_id: int | None
    private: bool
    user_id: int | None
    from_bot: bool = False
    text: str = ""
    data: str | None = None
    callback_id: str | None = None
    language_code: str | None = None

    def answerable(self) -> bool:
        """Only a person in a private chat with the bot gets an answer."""
        return self.private and self.chat_id is not None and self.user_id is not None and not self.from_bot

    def team_action(self) -> Inbound | None:
        """In a group, only two things are ours: ``/nhom`` (make this the team's group) and a press
        of "Nhận" under a help request. The reply goes to the person privately, never the group."""
        if self.private or self.chat_id is None or self.user_id is None or self.from_bot:
            return None
        user, group = str(self.user_id), str(self.chat_id)
        if self.kind is Kind.PRESS and self.data and self.data.startswith(TEAM_PRESS):
            return Inbound(CHANNEL, user, payload=self.data, lang_hint=self.language_code, group=group)
        if self.kind is Kind.TEXT and self.text.split("@")[0].split(" ")[0].lower() in TEAM_COMMANDS:
            return Inbound(CHANNEL, user, self.text.split(" ")[0].split("@")[0], lang_hint=self.language_code,
                           group=group)  # fmt: skip
        return None

    def inbound(self) -> Inbound | None:
        """What the conversation service gets; None when there is nothing to converse about."""
        user = str(self.user_id)
        if self.kind is Kind.TEXT:
            return Inbound(CHANNEL, user, self.text, lang_hint=self.language_code)
        if self.kind is Kind.PRESS and self.data:
            return Inbound(CHANNEL, user, payload=self.data, lang_hint=self.language_code)
        return None


TEAM_PRESS = "hr:claim:"
TEAM_COMMANDS = frozenset({"/nhom", "/team"})


# Both libraries mirror the Bot API's field names (message.chat.type, from_user.language_code,
# callback_query.data …), so one reader serves both; each adapter passes its own typed objects.
def incoming_message(message: Any, *, edited: bool = False) -> Incoming:
    """An :class:`Incoming` for a Message of either library."""
    user = message.from_user
    if edited:
        kind = Kind.EDITED
    elif message.text is not None:
        kind = Kind.TEXT
    elif any(getattr(message, name, None) for name in MEDIA_FIELDS):
        kind = Kind.MEDIA
    else:
        kind = Kind.OTHER
    return Incoming(kind, message.chat.id, str(message.chat.type) == "private",
                    user.id if user else None, bool(user and user.is_bot), message.text or "",
                    language_code=user.language_code if user else None)  # fmt: skip


def incoming_press(query: Any) -> Incoming:
    """An :class:`Incoming` for a CallbackQuery of either library."""
    chat = query.message.chat if query.message is not None else None
    user = query.from_user
    return Incoming(Kind.PRESS, chat.id if chat else None, bool(chat and str(chat.type) == "private"),
                    user.id, bool(user.is_bot), data=query.data, callback_id=query.id,
                    language_code=user.language_code)  # fmt: skip


def polite_reply(kind: Kind) -> str | None:
    """The kind word for what we cannot read, in the current locale; None to stay silent."""
    if kind is Kind.MEDIA:
        return _("I can only read text messages. Please type your question in words.")
    if kind is Kind.EDITED:
        return _("I only read new messages, not edited ones. Please send your corrected message again.")
    return None
