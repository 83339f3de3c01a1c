"""bot.web.wire: a worker killed while answering sends the whole answer or nothing, never headers
without their body (what made nginx cut a citizen's connection in tests/scale/test_cluster.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.live import free_port

# A server whose /die answer kills its own process (SIGKILL, as the OOM killer would) right after
# the app sent the response's start, before its body: the moment between uvicorn's two writes.
SERVER = """
import os, signal, sys
import uvicorn
from starlette.responses import JSONResponse, StreamingResponse
from bot.web.wire import OneWriteHTTP

async def app(scope, receive, send):
    async def dying(message):
        await send(message)
        if message["type"] == "http.response.start" and scope["path"] == "/die":
            os.kill(os.getpid(), signal.SIGKILL)

    if scope["path"] == "/stream":  # a body sent over several turns of the loop
        async def parts():
            for n in range(3):
                yield b"part%d;" % n
        response = StreamingResponse(parts())
    else:
        response = JSONResponse({"text": "x" * 2000})
    await response(scope, receive, dying)

http = OneWriteHTTP if sys.argv[2] == "one-write" else "httptools"
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http=http, lifespan="off", log_level="warning")
"""


def serve(protocol: str) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), protocol])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"the test server on port {port} did not start")
                time.sleep(0.05)
        yield port
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def one_write() -> Iterator[int]:
    yield from serve("one-write")


@pytest.fixture
def two_writes() -> Iterator[int]:
    yield from serve("httptools")


def killed_mid_answer(port: int) -> bytes:
    """Everything a client receives from a request whose worker dies between start and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /die HTTP/1.1\r\nHost: test\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def test_a_worker_killed_between_start_and_body_sends_nothing(one_write: int) -> None:
    """The proxy sees a connection closed before any answer, so it can answer 502 itself."""
    assert killed_mid_answer(one_write) == b""


def test_uvicorn_alone_would_send_the_headers_without_the_body(two_writes: int) -> None:
    """The control: the kill lands between uvicorn's two writes, so the test above can fail."""
    received = killed_mid_answer(two_writes)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"\r\n\r\n")  # the headers, with content-length: 2000, and no body


def test_answers_arrive_whole_on_a_kept_alive_connection(one_write: int) -> None:
    """Several answers, a streamed one among them, on one connection: nothing lost or reordered."""
    with httpx.Client(base_url=f"http://127.0.0.1:{one_write}", timeout=10) as client:
        for _ in range(3):
            assert client.get("/").json() == {"text": "x" * 2000}
            assert client.get("/stream").content == b"part0;part1;part2;"
        assert client.get("/", headers={"Connection": "close"}).json() == {"text": "x" * 2000}
