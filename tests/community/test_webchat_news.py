"""A citizen on the web chat asks for a person; a volunteer on Telegram takes the request; the
page learns who will call: the server cannot push to a browser, so the news waits in the outbox
until the page asks (/chat/api/updates) — once, then it is gone. In a real browser too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bot.app import App, build_app
from bot.core.messages import Inbound
from bot.settings import Settings
from tests.channels.test_webchat import LiveServer, serve
from tests.community.conftest import ANH_SON
from tests.fakes.webchat import message_id
from tests.live import CHROMIUM_ARGS, require_chromium

if TYPE_CHECKING:
    from playwright.async_api import Page

WEB_USER = "webcitizen-0001"
WAIT_MS = 15_000


@pytest.fixture
async def live(sqlite_url: str) -> AsyncIterator[LiveServer]:
    async with serve(build_app(Settings(database_url=sqlite_url, channels="web", admin_bootstrap=False))) as server:
        yield server


async def volunteer_takes(core: App, ticket: int) -> None:
    assert core.desk is not None
    _v, code = core.desk.create_volunteer("Lê Văn Bảo", "Tổ xóm 5", ANH_SON, "0966000555", created_by="admin")
    await core.conversations.handle(Inbound("telegram", "901", text=f"/lienket {code}"))
    await core.conversations.handle(Inbound("telegram", "901", payload=f"hr:claim:{ticket}"))


async def test_the_news_waits_for_the_page_and_is_taken_once(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:

        async def say(**body: Any) -> dict[str, Any]:
            response = await http.post("/chat/api/message", json={"user": WEB_USER, "id": message_id(), **body})
            assert response.status_code == 200, response.text
            return dict(response.json())

        for step in ({"text": "tôi muốn gặp người thật"}, {"payload": "hd:yes"}, {"text": "0912345678"},
                     {"text": "anh son"}, {"payload": f"hc:{ANH_SON}"}, {"payload": "hn:skip"}):  # fmt: skip
            await say(**step)
        sent = await say(payload="ht:any")
        ticket = int(re.search(r"#(\d+)", sent["messages"][0]["text"]).group(1))  # type: ignore[union-attr]
        assert (await http.get("/chat/api/updates", params={"user": WEB_USER})).json() == {"messages": []}

        await volunteer_takes(live.core, ticket)
        # The page names its person in a header (a URL's query reaches the proxy's access log).
        news = (await http.get("/chat/api/updates", headers={"X-Chat-User": WEB_USER})).json()["messages"]
        assert len(news) == 1
        assert "Lê Văn Bảo" in news[0]["text"]
        assert "0966 000 555" in news[0]["text"]
        assert news[0]["buttons"] == [{"label": "Hủy yêu cầu của tôi", "payload": f"hx:{ticket}"}]
        assert (await http.get("/chat/api/updates", params={"user": WEB_USER})).json() == {"messages": []}
        assert (await http.get("/chat/api/updates", params={"user": "other-user-1"})).json() == {"messages": []}
        refused = await http.get("/chat/api/updates", params={"user": "x"})
        assert refused.status_code == 400
        assert (await http.get("/chat/api/updates", headers={"X-Chat-User": "x"})).status_code == 400


@pytest.mark.parametrize("clock", ["fake", "real"])
async def test_the_page_shows_who_will_call_while_it_is_open(live: LiveServer, tmp_path: Path, clock: str) -> None:
    """With a fake clock the page's periodic look finds the news; in real time the look the server
    holds open (a long-poll) is woken by the push itself: the name shows within a second or two."""
    chromium = require_chromium()
    playwright_api = pytest.importorskip("playwright.async_api")
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="vi-VN")  # fmt: skip
        try:
            page: Page = context.pages[0] if context.pages else await context.new_page()
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url))
            if clock == "fake":
                await page.clock.install()
            await page.goto(f"{live.url}/chat")
            log, box = page.locator("#log"), page.locator("#q")
            await expect(log).to_contain_text("Xin chào", timeout=WAIT_MS)
            for text in ("toi muon gap nguoi that", None, "0912 345 678", "duc son", None, None, None):
                if text is None:  # press the first choice under the last reply
                    await log.locator(".msg.bot").last.get_by_role("button").first.click()
                else:
                    await box.fill(text)
                    await box.press("Enter")
                await expect(page.locator("#app")).to_have_class("app", timeout=WAIT_MS)  # not "app busy"
            await expect(log).to_contain_text("Đã gửi", timeout=WAIT_MS)
            found = re.search(r"#(\d+)", await log.locator(".msg.bot").last.inner_text())
            assert found is not None
            if clock == "real":
                await page.wait_for_timeout(1500)  # the page's look is now held by the server
            await volunteer_takes(live.core, int(found.group(1)))
            if clock == "fake":
                await page.clock.run_for(21_000)  # the page looks every 20 s while a request is open
                await expect(log).to_contain_text("Lê Văn Bảo", timeout=WAIT_MS)
            else:  # well before the 20 s look: the push woke the held one
                await expect(log).to_contain_text("Lê Văn Bảo", timeout=3000)
            # Its looks for news name the person in a header, never in the URL the proxy logs.
            looks = [url for url in asked if "/chat/api/updates" in url]
            assert looks
            assert not [url for url in looks if "user=" in url]
        finally:
            await context.close()


async def test_news_nobody_fetched_is_purged_after_a_week(live: LiveServer) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.storage.outbox import MAX_AGE, Outbox

    box = Outbox(live.core.db, "web")
    await box.put(WEB_USER, [{"text": "cũ", "buttons": []}])
    assert box.purge(datetime.now(UTC) + MAX_AGE - timedelta(minutes=1)) == 0
    assert box.purge(datetime.now(UTC) + MAX_AGE + timedelta(minutes=1)) == 1
    assert await box.take(WEB_USER) == []
