"""The proxies in deploy/ and the workers agree on how connections between them end: the proxy
closes an idle one before the worker does, and only the platforms' webhooks and the web chat's
messages (whose delivery ids make a second delivery harmless) are sent again after a worker
received them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import uvicorn

import bot.web.app
import bot.web.systemd
from bot.channels.telegram_common import WEBHOOK_PATH
from bot.cli import main
from bot.web.wire import KEEP_ALIVE_SECONDS, OneWriteHTTP

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = (DEPLOY / "nginx" / "trolyso.conf").read_text(encoding="utf-8")
CADDYFILE = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
PLATFORM_WEBHOOKS = {WEBHOOK_PATH, "/zalo/webhook"}
WITH_DELIVERY_IDS = PLATFORM_WEBHOOKS | {"/chat/api/message"}
"""The POSTs whose id is stored with the turn: a resend is answered from the store, not applied again."""


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def nginx_locations() -> dict[str, str]:
    """Each location's pattern and its block's text."""
    return dict(re.findall(r"^\s*location\s+(.+?)\s*\{(.*?)^\s*\}", NGINX, flags=re.MULTILINE | re.DOTALL))


def test_the_proxies_close_an_idle_connection_before_the_workers_do() -> None:
    """nginx's and Caddy's idle limits to the upstream are shorter than the workers' keep-alive."""
    upstream = re.search(r"upstream\s+\w+\s*\{(.*?)\}", NGINX, flags=re.DOTALL)
    assert upstream is not None
    (nginx_idle,) = re.findall(r"^\s*keepalive_timeout\s+(\w+);", upstream.group(1), flags=re.MULTILINE)
    (caddy_idle,) = re.findall(r"^\s*keepalive\s+(\w+)\s*$", CADDYFILE, flags=re.MULTILINE)
    assert seconds(nginx_idle) < KEEP_ALIVE_SECONDS
    assert seconds(caddy_idle) < KEEP_ALIVE_SECONDS


def test_nginx_sends_a_post_again_only_where_it_carries_a_delivery_id() -> None:
    """non_idempotent is on the location of Telegram's and Zalo's webhooks and the web chat's
    messages, and nowhere else (not the dashboard's forms, not the web chat's other paths)."""
    locations = nginx_locations()
    retried = [pattern for pattern, block in locations.items() if "non_idempotent" in block]
    assert len(retried) == 1
    (pattern,) = retried
    regex = re.fullmatch(r"~\s+(\S+)", pattern)
    assert regex is not None, f"expected a regex location, got {pattern!r}"
    others = {"/admin/login", "/telegram/webhook/x", "/chat/api/updates", "/chat/api/message/x", "/x/chat/api/message"}
    for path in WITH_DELIVERY_IDS | others:
        assert bool(re.search(regex.group(1), path)) == (path in WITH_DELIVERY_IDS), path
    assert "timeout" not in re.findall(r"proxy_next_upstream\s+([^;]*);", locations[pattern])[0].split()
    assert all("proxy_pass http://trolyso;" in block for block in locations.values())


def test_trolyso_serve_gives_uvicorn_the_one_write_protocol_and_the_keep_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `trolyso serve` asks of uvicorn (bot/web/wire.py) — a wiring check, no server runs: the
    server is started by bot.web.systemd.run (uvicorn.run's two ways, telling systemd when it serves)."""
    calls: list[uvicorn.Config] = []

    def run(config: uvicorn.Config) -> bool:
        calls.append(config)
        return True

    monkeypatch.setattr(bot.web.app, "create_app", lambda settings: object())
    monkeypatch.setattr(bot.web.systemd, "run", run)
    assert main(["serve", "--workers", "1"]) == 0
    (config,) = calls
    assert config.http is OneWriteHTTP
    assert config.timeout_keep_alive == KEEP_ALIVE_SECONDS
    assert config.access_log is False  # never printed at "warning", yet built per answer when on
    assert config.server_header is False
