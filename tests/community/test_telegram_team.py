"""The help desk end to end over Telegram, once per library: updates POSTed to the served app's
webhook, replies through the library to the fake Bot API. A citizen asks for a person in a
private chat; the team's group gets the request; one volunteer takes it from the group, another
is refused; the citizen is told who will call; the volunteer closes it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.app import App, build_app
from bot.channels.telegram_common import SECRET_HEADER, WEBHOOK_PATH
from bot.settings import Settings
from tests.community.conftest import ANH_SON
from tests.fakes.telegram_api import Call, FakeTelegram, Updates, as_outbound
from tests.live import served

SECRET = "team-secret"
GROUP = {"id": -1009001, "type": "supergroup", "title": "Tổ CNSCĐ Anh Sơn"}
CITIZEN, AN, BINH = 800_001, 800_002, 800_003


@pytest.fixture(params=["aiogram", "ptb"])
async def bot(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[tuple[App, FakeTelegram, Any]]:
    from bot.web.app import create_app

    fake = FakeTelegram()
    await fake.start()
    settings = Settings(database_url=sqlite_url, channels="telegram", telegram_library=request.param,  # type: ignore[arg-type]
                        telegram_token="123456:TEST", telegram_webhook_secret=SECRET, telegram_api_base=fake.url,
                        admin_bootstrap=False)  # fmt: skip
    app = build_app(settings)
    updates = Updates()
    try:
        async with served(create_app(settings, app=app)) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def send(update: dict[str, Any]) -> list[Call]:
                before = len(fake.calls)
                response = await http.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
                assert response.status_code == 200, response.text
                await fake.webhook_reply(200, response.content, response.headers.get("content-type", ""))
                return fake.calls[before:]

            yield app, fake, (updates, send)
    finally:
        await app.close()
        await fake.close()


def texts(calls: list[Call], chat: int) -> str:
    return "\n".join(c.params.get("text", "") for c in calls
                     if c.method == "sendMessage" and int(c.params["chat_id"]) == chat)  # fmt: skip


def payloads(calls: list[Call], chat: int) -> list[str]:
    return [b.payload or "" for c in calls if c.method == "sendMessage" and int(c.params["chat_id"]) == chat
            for b in as_outbound(c).buttons]  # fmt: skip


async def test_a_request_travels_from_citizen_to_group_to_volunteer_and_back(bot: Any) -> None:
    app, _fake, (updates, send) = bot
    assert app.desk is not None
    for user, name in ((AN, "Nguyễn Văn An"), (BINH, "Trần Thị Bình")):
        _v, code = app.desk.create_volunteer(name, "Tổ CNSCĐ Anh Sơn", ANH_SON, "0988000222", created_by="admin")
        calls = await send(updates.text(f"/lienket {code}", user))
        assert name in texts(calls, user)

    calls = await send(updates.text("/nhom@trolyso_test_bot", AN, chat=GROUP))
    assert "Anh Sơn" in texts(calls, GROUP["id"])
    calls = await send(updates.text("làm căn cước ở đâu", AN, chat=GROUP))  # group chatter: silence
    assert not [c for c in calls if c.method == "sendMessage"]

    for step in ("tôi muốn gặp người thật", "hd:yes", "0912 345 678", "anh son", f"hc:{ANH_SON}", "cần kích hoạt VNeID"):
        calls = await send(updates.press(step, CITIZEN) if ":" in step else updates.text(step, CITIZEN))
    calls = await send(updates.press("ht:afternoon", CITIZEN))
    ticket = int(re.search(r"#(\d+)", texts(calls, CITIZEN)).group(1))  # type: ignore[union-attr]
    to_group = texts(calls, GROUP["id"])
    assert f"#{ticket}" in to_group
    assert "cần kích hoạt VNeID" in to_group
    assert "0912345678" not in to_group
    assert payloads(calls, GROUP["id"]) == [f"hr:claim:{ticket}"]

    calls = await send(updates.press(f"hr:claim:{ticket}", BINH, chat=GROUP))
    assert "0912 345 678" in texts(calls, BINH)  # privately, to the volunteer who took it
    assert "0912" not in texts(calls, GROUP["id"])
    assert "Trần Thị Bình" in texts(calls, GROUP["id"])
    assert "Trần Thị Bình" in texts(calls, CITIZEN)
    assert "0988 000 222" in texts(calls, CITIZEN)
    toast = [c for c in calls if c.method == "answerCallbackQuery"]
    assert len(toast) == 1
    assert f"#{ticket}" in toast[0].params.get("text", "")

    calls = await send(updates.press(f"hr:claim:{ticket}", AN, chat=GROUP))
    refused = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "Trần Thị Bình" in refused[0].params.get("text", "")
    assert "0912" not in texts(calls, AN)
    assert not texts(calls, GROUP["id"])
    assert not texts(calls, CITIZEN)

    calls = await send(updates.press(f"hr:close:{ticket}:done", BINH))
    assert f"#{ticket}" in texts(calls, BINH)
    assert f"#{ticket}" in texts(calls, CITIZEN)
    stored = await app.desk.ticket(ticket)
    assert stored is not None
    assert (stored.status, stored.outcome) == ("closed", "done")


async def test_a_stranger_cannot_make_a_group_a_team_group(bot: Any) -> None:
    app, _fake, (updates, send) = bot
    calls = await send(updates.text("/nhom", 800_099, chat=GROUP))
    assert "/lienket" in texts(calls, GROUP["id"])
    assert (await app.desk.routes(ANH_SON)).targets == ()
