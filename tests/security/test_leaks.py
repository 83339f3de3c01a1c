"""Small leaks: what /healthz tells the public, the headers and cookie flags of every page, and the
modes of the files that hold personal data or keys."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from bot.usage.pseudonym import usage_secret
from bot.usage.spool import Erasure, Spool
from bot.web.app import create_app

PAGES = [("GET", "/"), ("GET", "/chat"), ("GET", "/chat/static/chat.js"), ("GET", "/healthz"), ("GET", "/metrics"),
         ("GET", "/admin/login"), ("GET", "/admin"), ("GET", "/admin/healthz"), ("GET", "/admin/nothing-here"),
         ("GET", "/no-such-page"), ("POST", "/chat/api/message"), ("GET", "/chat/api/updates"),
         ("POST", "/zalo/webhook"), ("POST", "/telegram/webhook")]  # fmt: skip


_SETTINGS: dict[str, Any] = {
    "channels": "web,zalo,telegram", "zalo_app_id": "1", "zalo_app_secret": "s", "zalo_access_token": "t",
    "telegram_token": "123456:TEST", "telegram_webhook_secret": "abc", "telegram_api_base": "http://127.0.0.1:9",
    "zalo_api_base": "http://127.0.0.1:9", "zalo_oauth_base": "http://127.0.0.1:9", "admin_bootstrap": False,
}  # fmt: skip


@contextlib.asynccontextmanager
async def running(folder: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    values = _SETTINGS | {"database_url": f"sqlite:///{folder / 'var' / 'db.sqlite3'}"} | settings
    web = create_app(Settings(**values))
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web, client=("203.0.113.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_healthz_tells_the_public_only_ok(tmp_path: Path) -> None:
    """/healthz answers exactly {"ok": true}: no token state, library names or error texts."""
    async with running(tmp_path) as client:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"ok": True}
        detail = await client.get("/admin/healthz")
        assert detail.status_code == 303, "details need a login"
        assert "/admin/login" in detail.headers["location"]


async def test_healthz_says_not_ok_without_saying_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the database failing, the public sees 503 {"ok": false} and no exception class."""
    import bot.web.app

    def broken(_db: object) -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    async with running(tmp_path) as client:
        monkeypatch.setattr(bot.web.app, "_ping", broken)
        response = await client.get("/healthz")
        assert (response.status_code, response.json()) == (503, {"ok": False})


@pytest.mark.parametrize("production", [False, True])
async def test_every_page_carries_the_security_headers(tmp_path: Path, production: bool) -> None:
    """Every page, error and webhook answer has nosniff and a referrer policy; all but the web chat
    refuse framing; in production every answer sends HSTS and every cookie is Secure and HttpOnly."""
    extra = {"production": True, "secret_key": "k" * 40} if production else {}
    async with running(tmp_path, **extra) as client:
        for method, path in PAGES:
            response = await client.request(method, path)
            headers = response.headers
            assert headers.get("x-content-type-options") == "nosniff", path
            assert headers.get("referrer-policy"), path
            if not path.startswith("/chat"):
                assert headers.get("x-frame-options") == "DENY", path
                assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), path
            assert ("strict-transport-security" in headers) is production, path
            for cookie in headers.get_list("set-cookie"):
                flags = {part.strip().lower() for part in cookie.split(";")[1:]}
                assert "httponly" in flags, (path, cookie)
                assert "samesite=lax" in flags, (path, cookie)
                assert ("secure" in flags) is production, (path, cookie)


async def test_answers_made_outside_the_routes_carry_the_security_headers(tmp_path: Path) -> None:
    """The body limit's 413 and the last-resort 500 come from Starlette's outer layers, and still
    carry the headers (probed: a 413 had none, so neither nosniff nor the framing refusal)."""
    extra = {"production": True, "secret_key": "k" * 40, "max_body_bytes": 1024}
    web = create_app(Settings(**(_SETTINGS | {"database_url": f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}"} | extra)))

    def broken() -> bytes:
        raise RuntimeError("a bug")

    web.state.metrics.render = broken
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web, client=("203.0.113.1", 5000), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            big = b"{" + b" " * 4096 + b"}"
            answers = [await client.post("/chat/api/message", content=big, headers={"content-type": "application/json"}),
                       await client.post("/telegram/webhook", content=big, headers={"content-type": "application/json",
                                                                                   "X-Telegram-Bot-Api-Secret-Token": "abc"}),
                       await client.get("/metrics")]  # fmt: skip
    assert [a.status_code for a in answers] == [413, 413, 500]
    for answer in answers:
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.status_code
        assert answer.headers.get("referrer-policy"), answer.status_code
        assert answer.headers.get("strict-transport-security"), answer.status_code
        assert "Traceback" not in answer.text
    assert answers[1].headers.get("x-frame-options") == "DENY"
    assert answers[2].headers.get("x-frame-options") == "DENY"


def test_private_files_are_0600_in_a_0700_folder_whatever_the_umask(tmp_path: Path) -> None:
    """With umask 000, the SQLite database, its -wal/-shm, the spool and the usage key are 0600 and
    the folder made for them 0700."""
    old = os.umask(0)
    try:
        folder = tmp_path / "state" / "var"
        url = f"sqlite:///{folder / 'db.sqlite3'}"
        db = create_db_engine(url)
        upgrade(db)
        with db.begin() as connection:  # a write, so -wal and -shm exist
            connection.execute(sa.text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO probe VALUES (1)"))
        with db.connect() as reader:
            reader.execute(sa.text("SELECT * FROM probe")).all()
            spool = Spool(folder / "usage-spool.jsonl")
            spool.open()
            spool.append([Erasure("probe")])
            usage_secret(Settings(database_url=url, usage_key_file=str(folder / "usage.key")))
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.is_file()}
            spool.close()
        db.dispose()
    finally:
        os.umask(old)
    assert {"db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "usage-spool.jsonl", "usage.key"} <= set(modes), modes
    assert set(modes.values()) == {0o600}, {name: oct(mode) for name, mode in modes.items()}
    for made in (folder, folder.parent):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made


