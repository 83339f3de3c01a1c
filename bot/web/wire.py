"""An answer leaves the worker whole or not at all.

uvicorn writes a response's status line and headers when the app sends ``http.response.start``
and the body with ``http.response.body``: two writes, two TCP segments (it sets TCP_NODELAY). A
worker killed between them (the OOM killer, a crash, SIGKILL) leaves the proxy holding a 200's
headers and no body. nginx has then already passed the headers on, so it can neither try another
worker nor answer 502: it closes the citizen's connection mid-answer. The web chat page reports
that as "you seem to be offline"; tests/scale/test_cluster.py saw it under load.

:class:`OneWriteHTTP` is uvicorn's HTTP protocol with its writes gathered per turn of the event
loop: Starlette sends a response's start and body in the same turn, so they leave in one write.
A worker that dies before it goes gives nginx nothing, hence a 502 (which Telegram and Zalo
redeliver and the page shows as "did not go through"); after it, the answer is in the kernel and
arrives. One send instead of two also saves a segment per answer.

:data:`KEEP_ALIVE_SECONDS` is how long a worker keeps an idle connection from the proxy.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

KEEP_ALIVE_SECONDS = 75
"""Longer than the proxies keep an idle connection to a worker (nginx's upstream
``keepalive_timeout 60s``, Caddy's ``keepalive 60s``: deploy/), so the proxy always closes first.
With uvicorn's 5 s a worker could close a connection just as nginx sent a POST on it: nginx may
not send a POST twice, so the citizen got a 502 with no worker in trouble."""


class OneWrite(asyncio.Transport):
    """A transport whose writes wait for the end of the loop's turn and then go out together.

    Everything else is the real transport's; ``close`` and ``write_eof`` send what waits first
    (as asyncio's own close does with its buffer), ``abort`` drops it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._waiting:
            self._loop.call_soon(self.flush)
        self._waiting.append(bytes(data))

    def flush(self) -> None:
        if self._waiting:
            data = b"".join(self._waiting)
            self._waiting.clear()
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._waiting))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._waiting.clear()
        self._transport.abort()

    # The rest is the real transport's.
    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


class OneWriteHTTP(HttpToolsProtocol):
    """uvicorn's httptools protocol (``uvicorn[standard]``) writing through :class:`OneWrite`;
    pass it as ``uvicorn.run(..., http=OneWriteHTTP)``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWrite(transport, self.loop))
