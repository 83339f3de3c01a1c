"""Running the real app with the Zalo channel behind uvicorn on 127.0.0.1, pointed at the fake
Zalo, and playing a Zalo user against it (the webhook in, the fake's recorded message/cs out)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import httpx
import sqlalchemy as sa
from pydantic import SecretStr

from bot.app import App, build_app
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import MORE, PRESS
from bot.conversations import Conversations, TurnEngine
from bot.core.messages import Inbound, Outbound
from bot.settings import Settings
from bot.storage.db import create_db_engine
from bot.web.app import create_app
from tests.fakes.zalo_api import FakeZalo, ZaloDelivery, to_outbound
from tests.live import served

APP_ID, OA_ID, APP_SECRET, OA_KEY = "1234567890", "999", "app-secret", "oa-secret-key"
USER = "6142494823000000000"


class ZaloSettings(Settings):
    """Settings plus the two Zalo fields the channel reads when present (proposed for bot/settings.py)."""

    zalo_oa_secret_key: SecretStr | None = None
    zalo_max_event_age_seconds: float | None = None


@dataclass
class Running:
    channel: ZaloChannel
    url: str
    http: httpx.AsyncClient
    zalo: ZaloDelivery
    fake: FakeZalo
    database_url: str
    core: App

    async def send(self, inbound: Inbound) -> list[Outbound]:
        """One turn as a Zalo user: typed text, or a button's payload sent back as text."""
        text = inbound.text if inbound.payload is None else inbound.payload
        if inbound.payload is not None and not inbound.payload.startswith("#"):
            text = PRESS + inbound.payload  # a payload no button carried (run_script's language switch)
        return await self.say(text, inbound.user_id)

    async def say(self, text: str, user: str = USER) -> list[Outbound]:
        before = len(self.fake.sent)
        response = await self.zalo.post(self.zalo.event(user, text))
        assert response.status_code == 200, response.text
        await self.channel.idle()
        return await self._expand([to_outbound(c.body["message"]) for c in self.fake.sent[before:]], user)

    async def _expand(self, replies: list[Outbound], user: str) -> list[Outbound]:
        """Press every "More" button, as a person looking for a choice would, and put the revealed
        buttons back in place: the reply as the engine made it."""
        out = []
        for reply in replies:
            while reply.buttons and (reply.buttons[-1].payload or "").startswith(MORE):
                before = len(self.fake.sent)
                await self.zalo.post(self.zalo.event(user, reply.buttons[-1].payload or ""))
                await self.channel.idle()
                page = [to_outbound(c.body["message"]) for c in self.fake.sent[before:]]
                assert len(page) == 1, page
                reply = replace(reply, buttons=reply.buttons[:-1] + page[0].buttons)
            out.append(reply)
        return out

    def stored_conversations(self) -> list[str]:
        db = create_db_engine(self.database_url)
        try:
            with db.connect() as connection:
                return list(connection.execute(sa.text("SELECT key FROM conversations")).scalars())
        finally:
            db.dispose()


@asynccontextmanager
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo OA and OAuth servers on a loopback port, with this harness's app and tokens."""
    zalo = FakeZalo(app_id=APP_ID, app_secret=APP_SECRET, access_token="access-0", refresh_token="refresh-0")
    await zalo.start()
    try:
        yield zalo
    finally:
        await zalo.close()


@asynccontextmanager
async def serving(
    fake: FakeZalo, database_url: str, engine: TurnEngine | None, **settings: object
) -> AsyncIterator[Running]:
    """The real app behind uvicorn on a free port, its Zalo channel pointed at the fake; ``engine``
    None keeps the app's own (with its help desk)."""
    values: dict[str, object] = {
        "database_url": database_url, "channels": "zalo", "max_body_bytes": 16_384, "zalo_app_id": APP_ID,
        "zalo_app_secret": SecretStr(APP_SECRET), "zalo_oa_id": OA_ID, "zalo_access_token": SecretStr("access-0"),
        "zalo_refresh_token": SecretStr("refresh-0"), "zalo_api_base": fake.url, "zalo_oauth_base": fake.url,
        "zalo_oa_secret_key": SecretStr(OA_KEY),
    }  # fmt: skip
    config = ZaloSettings(**(values | settings))
    core = build_app(config)
    if engine is not None:
        core.conversations = Conversations(engine, core.store)
    web = create_app(config, app=core)
    channel = web.state.channels[0]
    channel.retry_pause = 0.01
    try:
        async with served(web) as url, httpx.AsyncClient(timeout=10) as http:
            zalo = ZaloDelivery(http, f"{url}/zalo/webhook", app_id=APP_ID, oa_id=OA_ID, key=OA_KEY, zalo=fake)
            yield Running(channel, url, http, zalo, fake, database_url, core)
    finally:
        await core.close()
