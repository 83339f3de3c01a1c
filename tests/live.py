"""Shared by the tests that need a real server or a real browser."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
"""Debian's Chromium as the closed test network needs it: no background calls to Google."""
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def free_port() -> int:
    """A loopback port nobody listens on now (for a server a test starts, or one that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def served(web: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(web, lifespan="on", log_level="warning", ws="none", http="h11"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def require_chromium() -> Path:
    """Debian's Chromium, or a skip saying it is missing (a failure in CI)."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the browser test"
        if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


DOC_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "vi" / "img"
"""The Vietnamese guides' screenshots (docs/vi/img): the browser tests take them."""


def doc_image(shot: Path, name: str) -> None:
    """Copy a browser test's screenshot into the guides when ``TROLYSO_UPDATE_DOCS=1``: the guides'
    pictures then show the pages as they are, without every test run changing tracked files."""
    if os.environ.get("TROLYSO_UPDATE_DOCS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        (DOC_IMAGES / name).write_bytes(shot.read_bytes())
