"""`trolyso serve --workers 2` as an operator runs it: two real processes on one port and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from tests.fakes.webchat import message_id
from tests.live import free_port
from tests.scale.cluster import workers_of

TROLYSO = Path(sys.executable).with_name("trolyso")


def test_several_workers_on_sqlite_are_refused_naming_postgresql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes one writer: --workers 2 on it stops with a message that names PostgreSQL."""
    monkeypatch.setenv("TROLYSO_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["serve", "--workers", "2"]) == 2
    error = capsys.readouterr().err
    assert "2 workers need PostgreSQL" in error
    assert "TROLYSO_DATABASE_URL=postgresql" in error


@pytest.fixture
def cluster(postgres_database: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`trolyso serve --workers 2` on a free port over the test database; stopped with SIGTERM."""
    port = free_port()
    env = {**os.environ, "TROLYSO_DATABASE_URL": postgres_database, "TROLYSO_CHANNELS": "web",
           "TROLYSO_SECRET_KEY": "k" * 32, "TROLYSO_USAGE_SPOOL_PATH": str(tmp_path / "spool.jsonl"),
           "TROLYSO_ADMIN_DASHBOARD": "false"}  # fmt: skip
    process = subprocess.Popen([str(TROLYSO), "serve", "--workers", "2", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (
                    httpx.get(f"{url}/healthz", timeout=2).status_code == 200
                    and len(workers_of(process.pid)) == 2
                ):
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            time.sleep(0.3)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def ask(url: str, user: str, text: str) -> httpx.Response:
    return httpx.post(f"{url}/chat/api/message", json={"user": user, "id": message_id(), "text": text}, timeout=10)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_worker_processes_answer_and_survive_one_being_killed(
    cluster: tuple[subprocess.Popen[bytes], str],
) -> None:
    """Both processes answer; a killed worker is replaced while the other goes on; SIGTERM ends all."""
    process, url = cluster
    workers = workers_of(process.pid)
    assert len(workers) == 2
    for n in range(10):
        response = ask(url, f"citizen{n:04d}", "lam cccd o dau")
        assert response.status_code == 200
        assert "Thẻ căn cước" in str(response.json())
    os.kill(workers[0], signal.SIGKILL)
    answered = [ask(url, f"after{n:05d}", "lam cccd o dau").status_code for n in range(20)]
    assert answered == [200] * 20
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(workers_of(process.pid)) < 2:
        time.sleep(0.2)
    replaced = workers_of(process.pid)
    assert len(replaced) == 2
    assert workers[0] not in replaced
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
