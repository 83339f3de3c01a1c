"""The help desk end to end over Telegram, once per library: updates POSTed to the served app's
webhook, replies through the library to the fake Bot API. A citizen asks for a person in a
private chat; the team's group gets the request; one volunteer takes it from the group, another
is refused; the citizen is told who will call; the volunteer closes it."""

from __future__ import annotations

import asyncio
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


async def open_request(app: App, updates: Updates, send: Any) -> int:
    """Bình is a volunteer of the team whose group is GROUP; a citizen has asked for a person: the
    ticket's number."""
    assert app.desk is not None
    _v, code = app.desk.create_volunteer("Trần Thị Bình", "Tổ CNSCĐ Anh Sơn", ANH_SON, "0988000222", created_by="admin")
    await send(updates.text(f"/lienket {code}", BINH))
    await send(updates.text("/nhom", BINH, chat=GROUP))
    for step in ("tôi muốn gặp người thật", "hd:yes", "0912 345 678", "anh son", f"hc:{ANH_SON}", "cần kích hoạt VNeID"):
        await send(updates.press(step, CITIZEN) if ":" in step else updates.text(step, CITIZEN))
    calls = await send(updates.press("ht:afternoon", CITIZEN))
    return int(re.search(r"#(\d+)", texts(calls, CITIZEN)).group(1))  # type: ignore[union-attr]



@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_claim_in_the_group_waits_for_the_volunteers_private_answer_being_sent(lib: str, sqlite_url: str) -> None:
    """Bình takes a request in the group while the answer to what she just asked the bot privately
    waits out a flood wait: the claim's reply, with the citizen's number, reaches her private chat
    after that answer (a warning about the ID number she typed, then the answer), not before it."""
    from tests.channels.test_telegram import serve_core

    fake = FakeTelegram()
    await fake.start()
    settings = Settings(database_url=sqlite_url, channels="telegram", telegram_library=lib,  # type: ignore[arg-type]
                        telegram_token="123456:TEST", telegram_webhook_secret="s3cret", telegram_api_base=fake.url,
                        admin_bootstrap=False, telegram_webhook_reply=False)  # fmt: skip
    try:
        async with serve_core(build_app(settings), fake) as live:

            async def send(update: dict[str, Any]) -> list[Call]:
                before = len(fake.calls)
                assert (await live.post(update)).status_code == 200
                return fake.calls[before:]

            ticket = await open_request(live.core, live.updates, send)
            fake.flood_once("sendMessage", retry_after=2)
            before = len(fake.calls)
            asked = asyncio.create_task(send(live.updates.text("so cccd cua toi la 001203004567 lam ho chieu o dau", BINH)))
            await fake.wait_for(lambda: any(c.status == 429 for c in fake.named("sendMessage")))
            await send(live.updates.press(f"hr:claim:{ticket}", BINH, chat=GROUP))
            await asked
    finally:
        await fake.close()
    private = [c.params["text"] for c in fake.calls[before:]
               if c.method == "sendMessage" and c.status == 200 and c.params["chat_id"] == BINH]  # fmt: skip
    assert len(private) == 3, private
    claimed = [n for n, text in enumerate(private) if "0912 345 678" in text]
    assert claimed == [len(private) - 1], private
