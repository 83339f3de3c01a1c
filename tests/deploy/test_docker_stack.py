"""The Docker recipe, built and run: deploy/Dockerfile built (the lock installed from PyPI),
deploy/compose.yaml started with deploy/.env filled in as docs/deploy.md says — PostgreSQL,
Redis, `trolyso db upgrade`, two app containers behind Caddy with TLS — on stand-in base images
made from Debian's packages (tests/deploy/images/: Docker Hub is out of reach here). Over HTTPS
through Caddy the web chat and the Telegram webhook answer, Docker's health checks say healthy, and
an app container killed costs only the requests it held, each a 502 at once, while the other
answers; `up -d` brings it back. Skips without Docker, except in CI (TROLYSO_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.recipe import required
from tests.deploy.stack import WEBHOOK_SECRET, Stack, docker_problem, kept_running
from tests.fakes.telegram_api import Updates

pytestmark = pytest.mark.slow
QUESTION = "làm cccd cần giấy tờ gì"
TYPED = "lam cccd can giay to gi"
ANSWER = "Giấy tờ cần chuẩn bị"
CLIENTS = 4
HEALTH_WINDOW = 5.0
"""Seconds after a kill within which Caddy may still send to the dead container: its active check
runs every 2 s and waits up to 1 s (deploy/Caddyfile), plus slack for a loaded machine."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if (problem := docker_problem()) is not None:
        required(problem)
    running = Stack(tmp_path_factory.mktemp("stack"), {
        "TROLYSO_CHANNELS": "web,telegram", "TROLYSO_TELEGRAM_TOKEN": "123456:STACK",
        "TROLYSO_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Telegram's API is out of reach: getMe and setWebhook fail at once (logged, not fatal);
        # the webhook's answer rides in its response.
        "TROLYSO_TELEGRAM_API_BASE": "http://127.0.0.1:9",
        # Caddy gives every request its own address (the test's): the per-address limit would count them all.
        "TROLYSO_WEB_RATE_PER_ADDRESS": "100000/minute",
    })  # fmt: skip
    yield from kept_running(running, "docker stack")


async def ask(client: httpx.AsyncClient, text: str = QUESTION, message_id: str | None = None) -> httpx.Response:
    body = {"user": f"stack{uuid.uuid4().hex[:10]}", "text": text, "id": message_id or f"m{uuid.uuid4().hex}"}
    return await client.post("/chat/api/message", json=body)


async def deliver(client: httpx.AsyncClient, update: dict[str, Any], secret: str = WEBHOOK_SECRET) -> httpx.Response:
    return await client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})


def answered(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    texts = [m["text"] for m in body["messages"]] if "messages" in body else [body.get("text", "")]
    return any(ANSWER in text for text in texts)


async def test_the_compose_stack_answers_over_tls_and_survives_a_killed_app_container(stack: Stack) -> None:
    """Web chat and Telegram through Caddy; healthy; one app container killed, the other answers."""
    assert stack.state("migrate")["ExitCode"] == 0, stack.logs("migrate")
    assert "database at revision" in stack.logs("migrate")
    assert {stack.health("app"), stack.health("app2"), stack.health("db")} == {"healthy"}
    for service in ("app", "app2"):  # what compose.yaml asks of each server, as Docker applied it
        assert stack.inspect(service, ".HostConfig.LogConfig") == {
            "Type": "json-file", "Config": {"max-size": "20m", "max-file": "5"}
        }  # fmt: skip
        assert stack.inspect(service, ".HostConfig.RestartPolicy")["Name"] == "unless-stopped"
        assert stack.inspect(service, ".Config.User") == "trolyso"
    updates = Updates(first_id=int(time.time()))
    trusted = ssl.create_default_context(cafile=stack.ca())
    async with httpx.AsyncClient(base_url=stack.https, verify=trusted, timeout=20) as client:
        redirect = await client.get(f"{stack.http}/chat")
        assert redirect.is_redirect
        assert redirect.headers["location"].startswith("https://")
        deadline = time.monotonic() + 30  # Caddy's first look at /healthz may predate the apps
        while (health := await client.get("/healthz")).status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert health.json() == {"ok": True}, stack.logs("caddy")
        for text in (QUESTION, TYPED):
            assert answered(reply := await ask(client, text)), reply.text
        update = updates.text(TYPED, 700_001)
        first = await deliver(client, update)
        assert answered(first), first.text
        assert (first.json()["method"], first.json()["chat_id"]) == ("sendMessage", 700_001)
        assert (await deliver(client, updates.text(TYPED, 700_002), secret="wrong")).status_code == 401
        await asyncio.sleep(2.5)  # both containers passed a look of Caddy's: each takes requests

        results: list[tuple[str, dict[str, Any], float, int]] = []
        stop = asyncio.Event()
        numbers = itertools.count(1)

        async def load() -> None:
            while not stop.is_set():
                n = next(numbers)
                if n % 2:
                    sent: dict[str, Any] = {"id": f"mload{uuid.uuid4().hex}"}
                    call, kind = ask(client, TYPED, sent["id"]), "web"
                else:
                    sent, kind = updates.text(TYPED, 710_000 + n), "telegram"
                    call = deliver(client, sent)
                started = time.monotonic()
                try:
                    status = (await call).status_code
                except httpx.HTTPError:
                    status = 0  # no answer at all: a cut connection or a hang
                results.append((kind, sent, started, status))

        tasks = [asyncio.create_task(load()) for _ in range(CLIENTS)]
        await asyncio.sleep(1.0)
        killed = time.monotonic()
        await asyncio.to_thread(stack.kill, "app2")
        await asyncio.sleep(HEALTH_WINDOW + 3.0)
        stop.set()
        await asyncio.gather(*tasks)
        failed = [(kind, round(started - killed, 2), status) for kind, _, started, status in results if status != 200]
        after = [status for _, _, started, status in results if started > killed + HEALTH_WINDOW]
        # What the dead container held, or was sent before Caddy's next look, is a 502 at once.
        assert all(status == 502 and started < HEALTH_WINDOW for _, started, status in failed), failed
        assert len(after) >= 10, (failed, len(after))
        assert set(after) == {200}, failed
        # Telegram delivers a failed update again, the page resends with the same id: answered.
        for kind, sent, _, status in results:
            if status != 200:
                again = await (deliver(client, sent) if kind == "telegram" else ask(client, TYPED, sent["id"]))
                assert again.status_code == 200
        assert stack.state("app2")["Status"] == "exited"
        assert stack.health("app") == "healthy"
        assert (await client.get("/healthz")).json() == {"ok": True}

        # `up -d` starts the killed container again; Docker's check and Caddy's find it healthy.
        await asyncio.to_thread(stack.up)
        await asyncio.to_thread(stack.wait_healthy, ["app", "app2"], 90)
        await asyncio.sleep(2.5)
        for n in range(6):
            assert answered(await ask(client)), stack.logs("app2")
            assert answered(await deliver(client, updates.text(TYPED, 720_000 + n)))

    # docs/deploy.md's backup: a custom-format dump of what the stack wrote, which pg_restore reads.
    dump = await asyncio.to_thread(stack.backup)
    assert dump[:5] == b"PGDMP"
    listing = await asyncio.to_thread(stack.restore_list, dump)
    assert "TABLE DATA public deliveries" in listing
    assert "TABLE DATA public conversations" in listing
    # Restored over the live database with the apps stopped, then started again: what was handled
    # before the backup is there again (the deliveries of this test's turns), and they answer.
    count = "SELECT count(*) FROM deliveries"
    before = int(await asyncio.to_thread(stack.sql, count))
    assert before > 10
    await asyncio.to_thread(stack.sql, "DELETE FROM deliveries")
    await asyncio.to_thread(stack.restore, dump)
    assert int(await asyncio.to_thread(stack.sql, count)) == before
    async with httpx.AsyncClient(base_url=stack.https, verify=trusted, timeout=20) as client:
        deadline = time.monotonic() + 90  # Caddy looks every 2 s; Docker's check (15 s) was proven above
        while not answered(await ask(client)):
            assert time.monotonic() < deadline, stack.logs("app", "app2")
            await asyncio.sleep(1)


def test_the_stand_ins_are_test_scaffolding_and_production_keeps_the_official_images() -> None:
    """deploy/ names Docker's official images by default; only the test passes the stand-ins."""
    compose = (Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    for default in ("python:3.11-slim", "postgres:16", "redis:7", "caddy:2"):
        assert default in compose
    assert "trolyso-test" not in compose
