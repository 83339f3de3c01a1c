"""The web chat: a page at /chat and a small JSON API it talks to (placeholder until built)."""

from __future__ import annotations

from bot.channels.base import BaseChannel


class WebChat(BaseChannel):
    name = "web"
