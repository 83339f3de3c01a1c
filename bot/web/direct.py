"""Routes answered before Starlette's layers: the web chat's message API, the busiest route.

Through Starlette a message passed seven layers before its handler (the security headers, the
last-resort 500, the body limit, the exception handlers, the router, the request/response
adapter), each wrapping ``send`` again, then a Request and a Response object around it. py-spy on a
loaded worker put about a tenth of its busy CPU there, for a route whose whole contract is: read a
body of bounded size, answer one JSON document.

:class:`Direct` sits outside that stack and answers a few exact ``(method, path)`` routes itself,
with what those layers gave them: the body limit (413, before reading a declared length over it),
the security headers of :mod:`bot.web.security`, and a logged 500 for an error nothing caught.
Every other request, and those routes under another method, go on to Starlette unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette._utils import get_route_path

log = logging.getLogger("bot.web")

Scope = MutableMapping[str, Any]
Headers = list[tuple[bytes, bytes]]
Handler = Callable[[Scope, bytes], Awaitable[tuple[int, bytes, Headers]]]
"""``(scope, body)`` → ``(status, body, headers)``; the headers name at least the content type."""

_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]


class Direct:
    """ASGI app answering ``routes`` itself and passing everything else to ``app``.

    ``security`` gives the headers every answer on a path carries (see :mod:`bot.web.security`)."""

    def __init__(self, app: Callable[..., Awaitable[None]], routes: Mapping[tuple[str, str], Handler],
                 max_body: int, security: Callable[[str], Headers]) -> None:  # fmt: skip
        self.app = app
        self.routes = dict(routes)
        self.max_body = max_body
        self.security = {path: security(path) for _method, path in self.routes}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            # The path without the root_path a proxy mounted the app under, read as Starlette's
            # router reads it (its own function: both must route a request alike).
            path = get_route_path(scope)
            handler = self.routes.get((scope["method"], path))
            if handler is not None:
                await self._answer(handler, path, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, handler: Handler, path: str, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body = await self._body(scope, receive)
        except _TooLarge:
            status, content, headers = 413, b"Content Too Large", _TEXT
        else:
            if body is None:  # the client went away before it finished sending: nobody to answer
                return
            try:
                status, content, headers = await handler(scope, body)
            except Exception:  # what Starlette's last-resort layer did: log it, answer a bare 500
                log.exception("unhandled error answering %s %s", scope["method"], path)
                status, content, headers = 500, b"Internal Server Error", _TEXT
        headers = [*headers, (b"content-length", str(len(content)).encode()), *self.security[path]]
        # Both in one turn of the loop: bot.web.wire sends them as one write.
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _body(self, scope: Scope, receive: Any) -> bytes | None:
        """The request's body, or None when the client disconnected; :class:`_TooLarge` past
        ``max_body`` (a declared length is believed before anything is read)."""
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    if int(value) > self.max_body:
                        raise _TooLarge
                except ValueError:
                    pass  # the HTTP server refuses a malformed length before it reaches us
                break
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # http.disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _TooLarge(Exception):
    """The body is over the limit."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the request header ``name`` (lower case, as ASGI gives names)."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
