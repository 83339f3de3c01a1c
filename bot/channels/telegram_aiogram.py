"""The Telegram channel on aiogram 3: a Bot pointed at ``TROLYSO_TELEGRAM_API_BASE``, aiogram's
types to read updates, and the shared rules in :mod:`bot.channels.telegram_common`, where the
webhook, the rendering and the retries live.

Updates go straight to our three handlers rather than through aiogram's Dispatcher: we use none
of its middlewares (FSM storage, user context), and skipping them is a fifth of the per-update
cost on the webhook path (bench/webhook.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from aiogram.types.update import UpdateTypeLookupError
from aiogram.utils.token import TokenValidationError

from bot.channels.telegram_common import (
    ALLOWED_UPDATES,
    Chunk,
    Keyboard,
    TelegramChannel,
    incoming_message,
    incoming_press,
)
from bot.errors import ConfigError
from bot.web.channel import ChannelContext

log = logging.getLogger("bot.channel.telegram")

# aiogram builds ``Response[<type>]`` for every API answer; pydantic keeps parametrised models only
# while something references them, so without these the class is rebuilt on every call.
_RESPONSE_TYPES = (Response[Message], Response[bool])

GET_ME_TIMEOUT = 10
"""Seconds to wait for getMe at start-up; a slow Telegram must not hold the whole server back."""


class AiogramTelegram(TelegramChannel[Update]):
    """Telegram through aiogram. Each update is awaited to the end before the webhook answers,
    so one person's messages are answered in the order they came."""

    library = "aiogram"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_base))
        try:
            self.bot = Bot(self.token, session=session)
        except TokenValidationError as exc:
            raise ConfigError("TROLYSO_TELEGRAM_TOKEN does not look like a bot token (123456:ABC…)") from exc

    async def _on_message(self, message: Message) -> None:
        await self.serve(incoming_message(message))

    async def _on_edited(self, message: Message) -> None:
        await self.serve(incoming_message(message, edited=True))

    async def _on_press(self, query: CallbackQuery) -> None:
        await self.serve(incoming_press(query))

    async def open(self) -> None:
        me = await self.bot.get_me(request_timeout=GET_ME_TIMEOUT)
        self.username = me.username

    async def close(self) -> None:
        await self.bot.session.close()

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))

    async def set_commands(self, commands: Sequence[tuple[str, str]], language: str | None) -> None:
        await self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in commands],
                                       language_code=language)  # fmt: skip

    def parse(self, data: dict[str, Any]) -> Update:
        return Update.model_validate(data, context={"bot": self.bot})

    async def dispatch(self, update: Update) -> None:
        try:
            _kind = update.event_type
        except UpdateTypeLookupError:  # newer than this aiogram: it would warn, we just skip it
            log.debug("telegram update of an unknown type ignored update_id=%d", update.update_id)
            return
        if update.message is not None:
            await self._on_message(update.message)
        elif update.edited_message is not None:
            await self._on_edited(update.edited_message)
        elif update.callback_query is not None:
            await self._on_press(update.callback_query)

    async def send_message(self, chat_id: int, chunk: Chunk) -> None:
        await self.bot.send_message(chat_id, chunk.text, reply_markup=_markup(chunk.keyboard),
                                    link_preview_options=LinkPreviewOptions(is_disabled=True))  # fmt: skip

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        await self.bot.answer_callback_query(callback_id, text=text)

    async def send_typing(self, chat_id: int) -> None:
        await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

    def flood_wait(self, exc: BaseException) -> float | None:
        return float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else None


@lru_cache(maxsize=2048)
def _markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    """The inline keyboard for a reply. The same keyboards come back all the time (a procedure's
    section buttons), and building aiogram's models is a tenth of a webhook turn: keep them."""
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=k.text, callback_data=k.callback_data, url=k.url) for k in row] for row in rows
    ])  # fmt: skip
