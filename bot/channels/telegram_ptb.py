"""The Telegram channel on python-telegram-bot 22: a plain ``Bot`` pointed at
``TROLYSO_TELEGRAM_API_BASE``; each webhook body becomes an ``Update`` via ``Update.de_json`` and
goes to our own small router. No ``Application`` or ``Updater``: the webhook is served by our
Starlette app and the rules live in :mod:`bot.channels.telegram_common`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.channels.telegram_common import (
    ALLOWED_UPDATES,
    Chunk,
    Keyboard,
    TelegramChannel,
    incoming_message,
    incoming_press,
)
from bot.web.channel import ChannelContext


class PtbTelegram(TelegramChannel[Update]):
    """Telegram through python-telegram-bot."""

    library = "ptb"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        self.bot = Bot(self.token, base_url=f"{self.api_base}/bot", base_file_url=f"{self.api_base}/file/bot",
                       request=_Request())  # fmt: skip

    async def open(self) -> None:
        await self.bot.initialize()  # opens the HTTP client, then getMe
        self.username = self.bot.username

    async def close(self) -> None:
        await self.bot.shutdown()

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))

    async def set_commands(self, commands: Sequence[tuple[str, str]], language: str | None) -> None:
        await self.bot.set_my_commands([BotCommand(c, d) for c, d in commands], language_code=language)

    def parse(self, data: dict[str, Any]) -> Update:
        return Update.de_json(data, self.bot)

    async def dispatch(self, update: Update) -> None:
        if update.callback_query is not None:
            await self.serve(incoming_press(update.callback_query))
        elif update.message is not None:
            await self.serve(incoming_message(update.message))
        elif update.edited_message is not None:
            await self.serve(incoming_message(update.edited_message, edited=True))
        # anything else (channel posts, inline queries, membership changes) is not for us

    async def send_message(self, chat_id: int, chunk: Chunk) -> None:
        await self.bot.send_message(chat_id, chunk.text, reply_markup=_markup(chunk.keyboard),
                                    link_preview_options=LinkPreviewOptions(is_disabled=True))  # fmt: skip

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        await self.bot.answer_callback_query(callback_id, text=text)

    async def send_typing(self, chat_id: int) -> None:
        await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

    def flood_wait(self, exc: BaseException) -> float | None:
        return exc.seconds if isinstance(exc, FloodWait) else None


class FloodWait(TelegramError):
    """Telegram's 429 with its retry_after in seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Flood control exceeded. Retry in {seconds:g} seconds")
        self.seconds = seconds


class _Request(HTTPXRequest):
    """PTB's HTTP client, raising :class:`FloodWait` on a 429 before PTB builds its own RetryAfter:
    in PTB 22 that constructor itself emits a deprecation warning (retry_after turning into a
    timedelta), which would be an error wherever warnings are errors, as in our tests."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 429:
            try:
                seconds = float(json.loads(payload)["parameters"]["retry_after"])
            except (ValueError, KeyError, TypeError):
                return code, payload  # no retry_after to honour: PTB reports the error as usual
            raise FloodWait(seconds)
        return code, payload


def _markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(k.text, callback_data=k.callback_data, url=k.url) for k in row]
            for row in rows
        ]
    )
