"""Telling systemd the server is serving (READY=1) and stopping (STOPPING=1): datagrams to a real
unix socket, as systemd listens, and `trolyso serve` run for real with $NOTIFY_SOCKET set."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.web.systemd import notify
from tests.live import free_port

TROLYSO = Path(sys.executable).with_name("trolyso")


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A datagram socket bound at a path, as systemd's $NOTIFY_SOCKET is."""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(5)
        yield path, sock


def test_a_state_arrives_as_one_datagram(listening: tuple[str, socket.socket]) -> None:
    """notify sends the state, as is, in one datagram to the socket it is given."""
    path, sock = listening
    assert notify("READY=1", path)
    assert notify("STOPPING=1", path)
    assert [sock.recv(4096), sock.recv(4096)] == [b"READY=1", b"STOPPING=1"]


def test_an_abstract_socket_is_named_with_an_at_sign() -> None:
    """'@name' is the abstract socket 'name' (a leading NUL), as systemd passes it."""
    name = f"trolyso-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify("READY=1", "@" + name)
        assert sock.recv(4096) == b"READY=1"


def test_without_a_socket_nothing_is_sent_and_nothing_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No address: False at once; an address nobody listens on: False and a warning, never an error."""
    assert notify("READY=1", "") is False
    assert notify("READY=1", str(tmp_path / "gone")) is False
    assert "could not tell systemd READY=1" in caplog.text


def serve_and_listen(listening: tuple[str, socket.socket], database_url: str, tmp_path: Path, workers: int) -> None:
    """`trolyso serve` with $NOTIFY_SOCKET: when the first READY=1 arrives /healthz answers at
    once; each worker says it once; SIGTERM brings one STOPPING=1 and a clean exit."""
    path, sock = listening
    env = {**os.environ, "TROLYSO_DATABASE_URL": database_url, "TROLYSO_CHANNELS": "web",
           "TROLYSO_SECRET_KEY": "k" * 32, "TROLYSO_USAGE_SPOOL_PATH": str(tmp_path / "spool.jsonl"),
           "TROLYSO_ADMIN_DASHBOARD": "false", "NOTIFY_SOCKET": path}  # fmt: skip
    port = free_port()
    process = subprocess.Popen([str(TROLYSO), "serve", "--port", str(port), "--workers", str(workers)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        sock.settimeout(90)
        assert sock.recv(4096) == b"READY=1"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json() == {"ok": True}
        for _other in range(workers - 1):
            assert sock.recv(4096) == b"READY=1"
        process.send_signal(signal.SIGTERM)
        sock.settimeout(30)
        assert sock.recv(4096) == b"STOPPING=1"
        # One server re-raises the SIGTERM it stopped on (uvicorn does, as before): a clean stop to systemd.
        assert process.wait(40) in (0, -signal.SIGTERM)
        sock.settimeout(1)
        with pytest.raises(TimeoutError):
            sock.recv(4096)  # nothing more: a worker stopping never says STOPPING=1 itself
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output = process.stdout.read().decode() if process.stdout else ""
        if process.stdout is not None:
            process.stdout.close()
    assert "Traceback" not in output, output


@pytest.mark.slow
def test_one_server_says_ready_when_it_answers_and_stopping_on_sigterm(
    listening: tuple[str, socket.socket], tmp_path: Path
) -> None:
    """One process: READY=1 once /healthz answers, STOPPING=1 as SIGTERM stops it."""
    serve_and_listen(listening, f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, workers=1)


@pytest.mark.postgres
@pytest.mark.slow
def test_the_first_of_two_workers_serving_says_ready_and_the_supervisor_says_stopping(
    listening: tuple[str, socket.socket], tmp_path: Path, postgres_database: str
) -> None:
    """Two workers: the first READY=1 comes when /healthz answers (the second's is one systemd
    ignores); on SIGTERM the supervisor alone sends STOPPING=1."""
    serve_and_listen(listening, postgres_database, tmp_path, workers=2)
