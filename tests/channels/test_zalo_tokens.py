"""Zalo's access tokens: refreshed with the one-time refresh token when Zalo rejects or is about to
reject them, stored in channel_tokens so a restart or another worker keeps working."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bot.channels.zalo_tokens import Tokens, ZaloTokens
from bot.core.engine import Engine
from bot.storage.db import create_db_engine
from tests.channels.zalo_harness import APP_ID, APP_SECRET, Running, fake_zalo, serving
from tests.fakes.zalo_api import FakeZalo


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with fake_zalo() as zalo:
        yield zalo


@pytest.fixture
async def bot(fake: FakeZalo, sqlite_url: str, engine: Engine) -> AsyncIterator[Running]:
    async with serving(fake, sqlite_url, engine) as running:
        yield running


async def test_expired_token_is_refreshed_stored_and_survives_a_restart(
    fake: FakeZalo, database_url: str, engine: Engine
) -> None:
    """After -216, the refresh token buys a new pair, the send is retried, and a new app uses the stored pair."""
    db = create_db_engine(database_url)
    try:
        with db.begin() as connection:  # the PostgreSQL database is shared by the session's tests
            connection.execute(sa.text("DELETE FROM channel_tokens"))
    finally:
        db.dispose()
    async with serving(fake, database_url, engine) as bot:
        fake.expire_access_token()
        await bot.say("xin chào")
        refresh = fake.refreshes
        assert len(refresh) == 1
        assert refresh[0].headers["secret_key"] == APP_SECRET
        assert refresh[0].body == {
            "refresh_token": "refresh-0",
            "app_id": APP_ID,
            "grant_type": "refresh_token",
        }
        assert fake.sent
        assert fake.sent[-1].headers["access_token"] == fake.access_token != "access-0"
        assert bot.channel.status()["ok"] is True
    new_access, calls = fake.access_token, len(fake.refreshes)
    async with serving(fake, database_url, engine) as bot:  # the settings still hold the spent pair
        await bot.say("xin chào")
    assert len(fake.refreshes) == calls
    assert fake.sent[-1].headers["access_token"] == new_access


async def test_turns_that_meet_an_expired_token_together_refresh_it_once(bot: Running) -> None:
    """Two people writing at once after expiry cause one refresh (a refresh token works once) and two replies."""
    bot.fake.expire_access_token()
    for user in ("111", "222"):
        assert (await bot.zalo.post(bot.zalo.event(user, "/start"))).status_code == 200
    await bot.channel.idle()
    assert len(bot.fake.refreshes) == 1
    assert {c.user for c in bot.fake.sent} == {"111", "222"}


async def test_a_token_about_to_expire_is_refreshed_before_sending(fake: FakeZalo) -> None:
    """With less than an hour left, the token is refreshed before use and the new expiry is 25 h ahead."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    async with httpx.AsyncClient() as client:
        tokens = ZaloTokens(db=None, key="zalo:999", app_id=APP_ID, app_secret=APP_SECRET, oauth_base=fake.url,
                            client=client, seed=Tokens("access-0", "refresh-0", now + timedelta(minutes=20)),
                            clock=lambda: now)  # fmt: skip
        assert await tokens.access_token() == fake.access_token != "access-0"
        assert tokens.current.expires_at == now + timedelta(seconds=90000)
        assert await tokens.access_token() == fake.access_token
    assert len(fake.refreshes) == 1


async def test_a_database_without_the_tokens_table_is_reported(fake: FakeZalo, tmp_path: Path) -> None:
    """Tokens still work from memory when channel_tokens is missing, and status() says what to run."""
    db = sa.create_engine(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    try:
        async with httpx.AsyncClient() as client:
            tokens = ZaloTokens(db=db, key="zalo:999", app_id=APP_ID, app_secret=APP_SECRET, oauth_base=fake.url,
                                client=client, seed=Tokens("access-0", "refresh-0"))  # fmt: skip
            await tokens.open()
            assert await tokens.access_token() == "access-0"
            fake.expire_access_token()
            assert await tokens.refresh("access-0") == fake.access_token
    finally:
        db.dispose()
    assert "OperationalError" in (tokens.status()["storage_error"] or "")


async def test_reauthorised_tokens_in_the_settings_replace_the_stored_pair(
    fake: FakeZalo, sqlite_url: str, engine: Engine
) -> None:
    """A changed configured refresh token means the OA was authorised again: the configured pair wins."""
    async with serving(fake, sqlite_url, engine) as bot:
        fake.expire_access_token()
        await bot.say("xin chào")
    fake.access_token, fake.refresh_token = "admin-access", "admin-refresh"
    async with serving(fake, sqlite_url, engine, zalo_access_token=SecretStr("admin-access"),
                       zalo_refresh_token=SecretStr("admin-refresh")) as bot:  # fmt: skip
        await bot.say("xin chào")
    assert fake.sent[-1].headers["access_token"] == "admin-access"


async def test_a_refused_refresh_shows_in_status_and_the_log(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """When Zalo refuses the refresh, nothing is sent, the status (/admin/healthz) shows why while
    the public /healthz tells nothing of it, and the log says what to do."""
    bot.fake.expire_access_token()
    bot.fake.refuse_refresh = True
    with caplog.at_level(logging.ERROR, logger="bot.channel.zalo"):
        await bot.say("xin chào")
    assert bot.fake.sent == []
    assert (await bot.http.get(f"{bot.url}/healthz")).json() == {"ok": True}  # the server itself is up
    status = bot.channel.status()
    assert status["ok"] is False
    assert "Refresh token is invalid" in status["token"]["refresh_refused"]
    assert status["last_error"]["kind"] == "refused"
    assert any("refused to refresh" in r.getMessage() and "authorises the app again" in r.getMessage()
               for r in caplog.records)  # fmt: skip
