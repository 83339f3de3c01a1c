"""Headers every response carries, whatever produced it (a page, a webhook answer, a 404, a 413).

- ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` everywhere;
- outside the web chat (which portals embed, see :mod:`bot.channels.webchat`), the page may not be
  framed: ``X-Frame-Options: DENY`` and a ``frame-ancestors 'none'`` policy when the handler set
  no policy of its own;
- in production (``TROLYSO_PRODUCTION=1``, always behind https): ``Strict-Transport-Security``,
  and every cookie is ``Secure`` even when the proxy speaks plain http to us.

Handlers that set their own value of one of these keep it: this only fills what is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.web.direct import Direct, Handler

HSTS = "max-age=31536000; includeSubDomains"
EMBEDDABLE = ("/chat",)
"""Paths a portal may frame (the web chat page sends its own frame-ancestors)."""

_BASE: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_NO_FRAMING: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: Callable[..., Awaitable[None]], production: bool = False) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        framable = embeddable(str(scope.get("path", "")))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.fill(list(message.get("headers") or []), framable)
            await send(message)

        await self.app(scope, receive, with_headers)

    def fill(self, headers: list[tuple[bytes, bytes]], framable: bool) -> list[tuple[bytes, bytes]]:
        have = {name.lower() for name, _value in headers}
        wanted = list(_BASE) + ([] if framable else list(_NO_FRAMING))
        if self.production:
            wanted.append((b"strict-transport-security", HSTS.encode()))
            headers = [(n, _secure_cookie(v) if n.lower() == b"set-cookie" else v) for n, v in headers]
        headers.extend((name, value) for name, value in wanted if name not in have)
        return headers


def embeddable(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in EMBEDDABLE)


class SecuredStarlette(Starlette):
    """Starlette with :class:`SecurityHeaders` around its whole stack. ``add_middleware`` would put
    it inside Starlette's own outer layers, whose answers then went without the headers: the body
    limit's 413 and the last-resort 500.

    ``direct`` routes are answered before all of it by :class:`bot.web.direct.Direct`, with the
    same headers, body limit and last-resort 500."""

    def __init__(self, *args: Any, production: bool = False,
                 direct: Mapping[tuple[str, str], Handler] | None = None, **kwargs: Any) -> None:  # fmt: skip
        self.production = production
        self.direct = dict(direct or {})
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        secured = SecurityHeaders(super().build_middleware_stack(), production=self.production)
        if not self.direct:
            return secured
        limit = self.max_body_size if self.max_body_size is not None else sys.maxsize
        return Direct(secured, self.direct, limit, lambda path: secured.fill([], embeddable(path)))


def _secure_cookie(value: bytes) -> bytes:
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"
