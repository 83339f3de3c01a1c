"""Login limits: a budget of password checks per client address and for everyone, whatever the
usernames tried; X-Forwarded-For believed only from trusted proxies; argon2 off the event loop,
a bounded number at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.admin.auth import PasswordChecks
from bot.admin.site import AdminSite
from bot.app import App
from tests.admin.conftest import FAST_HASHER, login


@pytest.fixture
def limited(seeded: AdminSite, core: App) -> Any:
    """The seeded dashboard rebuilt with small login budgets and 127.0.0.1 as a trusted proxy."""

    def make(**limits: Any) -> AdminSite:
        settings = core.settings.model_copy(update={"trusted_proxies": "127.0.0.1", **limits})
        return AdminSite(core, settings, seeded.config, hasher=FAST_HASHER, clock=seeded.clock,
                         timer=seeded.sessions.clock)  # fmt: skip

    return make


@pytest.fixture
async def from_address() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(site: AdminSite, peer: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=Starlette(routes=site.routes()), client=(peer, 1234))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_random_usernames_from_one_address_meet_the_address_budget(limited: Any, from_address: Any) -> None:
    """A new username each time does not escape the per-address budget of password checks."""
    site = limited(login_rate_per_address="4/minute")
    client = from_address(site, "203.0.113.20")
    codes = [(await login(client, f"guess{i}", "x" * 12)).status_code for i in range(6)]
    assert codes == [401] * 4 + [429] * 2
    other = from_address(site, "203.0.113.21")
    assert (await login(other, "chi.lan")).status_code == 303, "another address has its own budget"


async def test_forwarded_for_from_an_untrusted_client_does_not_reset_the_count(limited: Any, from_address: Any) -> None:
    """A client that is not a trusted proxy cannot pose as many addresses with X-Forwarded-For."""
    site = limited(login_rate_per_address="3/minute")
    client = from_address(site, "203.0.113.30")
    codes = []
    for i in range(5):
        client.headers["X-Forwarded-For"] = f"198.51.100.{i}"
        codes.append((await login(client, f"guess{i}", "x" * 12)).status_code)
    assert codes == [401] * 3 + [429] * 2


async def test_behind_the_trusted_proxy_the_real_address_counts(limited: Any, from_address: Any) -> None:
    """From the trusted proxy, each real client (X-Forwarded-For) has its own budget."""
    site = limited(login_rate_per_address="2/minute")
    proxy = from_address(site, "127.0.0.1")
    for last in (1, 2, 3):
        proxy.headers["X-Forwarded-For"] = f"198.51.100.{last}"
        assert [(await login(proxy, "nobody", "x" * 12)).status_code for _ in range(2)] == [401, 401]
    proxy.headers["X-Forwarded-For"] = "198.51.100.1"
    assert (await login(proxy, "nobody", "x" * 12)).status_code == 429


async def test_the_global_budget_holds_across_addresses(limited: Any, from_address: Any) -> None:
    """Many addresses together cannot make more password checks than the global budget."""
    site = limited(login_rate_per_address="100/minute", login_rate_global="5/minute")
    codes = [(await login(from_address(site, f"203.0.113.{i}"), "nobody", "x" * 12)).status_code for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    refused = await login(from_address(site, "203.0.113.99"), "chi.lan")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


async def test_password_checks_run_off_the_loop_a_few_at_a_time() -> None:
    """Ten slow checks with a concurrency of 2: never more than two at once, and the event loop
    keeps ticking meanwhile."""
    checks = PasswordChecks(2)
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_check(_password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)  # argon2's CPU time, in a thread
        with lock:
            running -= 1
        return False

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.gather(*(checks.run(slow_check, "x") for _ in range(10)))
    task.cancel()
    assert most == 2
    assert ticks >= 10, "the loop was not blocked while the checks ran"
