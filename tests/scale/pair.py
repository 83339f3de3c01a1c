"""Two `trolyso serve` processes on their own ports over one PostgreSQL and one Redis, so a test can
send one request to worker A and the next to worker B (behind a proxy they would share a port)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.webchat import message_id
from tests.live import free_port

TROLYSO = Path(sys.executable).with_name("trolyso")
TELEGRAM_SECRET = "pair-s3cret"


@dataclass
class Worker:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def say(self, http: httpx.AsyncClient, user: str, **body: Any) -> httpx.Response:
        return await http.post(f"{self.url}/chat/api/message", json={"user": user, "id": message_id(), **body})

    async def telegram(self, http: httpx.AsyncClient, update: dict[str, Any]) -> httpx.Response:
        return await http.post(f"{self.url}/telegram/webhook", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})  # fmt: skip


@contextlib.asynccontextmanager
async def two_workers(database_url: str, tmp_path: Path, **settings: str) -> AsyncIterator[tuple[Worker, Worker]]:
    """Workers A and B, each a real process; ``settings`` are TROLYSO_* variables (lower-case
    names without the prefix). Stopped with SIGTERM at the end."""
    env = {**os.environ, "TROLYSO_DATABASE_URL": database_url, "TROLYSO_CHANNELS": "web",
           "TROLYSO_SECRET_KEY": "k" * 32, "TROLYSO_ADMIN_BOOTSTRAP": "false"}  # fmt: skip
    env.update({f"TROLYSO_{name.upper()}": value for name, value in settings.items()})
    workers: list[Worker] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"worker-{name}.log"
            own = {**env, "TROLYSO_USAGE_SPOOL_PATH": str(tmp_path / f"spool-{name}.jsonl")}
            with log.open("wb") as out:
                process = subprocess.Popen([str(TROLYSO), "serve", "--port", str(port)], env=own,
                                           stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
            workers.append(Worker(f"http://127.0.0.1:{port}", process, log))
        async with httpx.AsyncClient(timeout=2) as http:
            for worker in workers:
                deadline = time.monotonic() + 90
                while True:
                    assert worker.process.poll() is None, worker.output()
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(f"{worker.url}/healthz")).status_code == 200:
                            break
                    assert time.monotonic() < deadline, worker.output()
                    await asyncio.sleep(0.2)
        yield workers[0], workers[1]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                await asyncio.to_thread(worker.process.wait, 30)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
