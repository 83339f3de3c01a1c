"""Telling systemd when the server is serving and when it stops (deploy/systemd/trolyso.service,
``Type=notify``): ``READY=1`` and ``STOPPING=1`` as datagrams to ``$NOTIFY_SOCKET``, the protocol
of sd_notify(3), in a few lines rather than a library. Without that variable (Docker, a terminal)
nothing is sent.

``READY=1`` comes from uvicorn's ``callback_notify``, whose first call is on the server's first
tick: after the app's lifespan startup (knowledge, matcher, channels) and after the socket listens,
so ``systemctl start`` returns when /healthz can answer. With several workers each sends it once
(the unit has ``NotifyAccess=all``): the first worker serving makes the service started; the
others' are ignored.

``STOPPING=1`` comes from the process systemd started, as it begins to stop: the single server's
shutdown, or the supervisor of several workers as it stops them. Never from a worker alone: one
that uvicorn replaces would tell systemd the whole service is stopping, and systemd would kill it
``TimeoutStopSec`` later."""

from __future__ import annotations

import logging
import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("bot.systemd")


def notify(state: str, address: str | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1``) to systemd's notification socket, ``address`` or else
    ``$NOTIFY_SOCKET`` (a path, or an abstract name starting with ``@``). False when there is none
    or the send failed (logged: a server that cannot tell systemd still serves)."""
    address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        log.warning("could not tell systemd %s", state, exc_info=True)
        return False
    return True


_told_ready = False


async def ready() -> None:
    """uvicorn's ``callback_notify`` (called again every ``timeout_notify`` s): READY=1, once."""
    global _told_ready
    if not _told_ready:
        _told_ready = True
        notify("READY=1")


class _Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        notify("STOPPING=1")
        await super().shutdown(sockets)


class _Workers(Multiprocess):
    def terminate_all(self) -> None:  # called only as the supervisor stops
        notify("STOPPING=1")
        super().terminate_all()


def run(config: uvicorn.Config) -> bool:
    """Run the server as ``uvicorn.run`` does (one process, or a supervisor of ``config.workers``),
    telling systemd when it serves and when it stops. False when a single server never started."""
    config.callback_notify = ready
    if config.workers > 1:
        _Workers(config, sockets=[config.bind_socket()]).run()
        return True
    server = _Server(config)
    server.run()
    return server.started
