"""The community pages in Debian's Chromium: an admin adds a volunteer and reads the one-time code,
the volunteer links with it in chat, a citizen's help request shows in the queue with its phone
number, the admin closes it, and the teams report counts it."""

from __future__ import annotations

import re

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound
from tests.admin.test_browser import browser, chromium, log_in, serve  # noqa: F401 - fixtures
from tests.live import ARTIFACTS

playwright_api = pytest.importorskip("playwright.async_api")
ANH_SON = "nghean.xa-anh-son"
WAIT_MS = 15_000


async def test_a_volunteer_and_a_request_through_the_dashboard(browser, sqlite_url: str,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                fresh_engine: Engine) -> None:  # fmt: skip
    expect = playwright_api.expect
    async with serve(sqlite_url, fresh_engine) as (base, core):
        from bot.app import build_engine, communes
        from bot.helpdesk.sql import SqlHelpDesk

        desk = SqlHelpDesk(core.db)
        core.conversations.engine = build_engine().with_desk(desk, communes())  # the chat side of this app
        core.conversations.desk = desk
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        await log_in(page, base, "chi.lan")
        await page.goto(f"{base}/admin/volunteers")
        await page.get_by_label("Họ tên").fill("Phạm Thị Hạnh")
        await page.get_by_label("Tổ", exact=True).fill("Tổ CNSCĐ xóm 4")
        await page.get_by_label("Xã/phường").select_option(ANH_SON)
        await page.get_by_label("Số điện thoại").fill("0977 123 456")
        await page.get_by_role("button", name="Thêm tình nguyện viên").click()
        shown = await page.locator("main").inner_text()
        found = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", shown)
        assert found is not None, shown
        await page.reload()
        assert found.group(1) not in await page.locator("main").inner_text()  # shown once only

        async def say(user: str, text: str = "", payload: str | None = None) -> str:
            replies = await core.conversations.handle(Inbound("telegram", user, text, payload))
            return "\n".join(r.text for r in replies)

        assert "Phạm Thị Hạnh" in await say("7001", f"/lienket {found.group(1)}")
        for text, payload in (("tôi muốn gặp người thật", None), ("", "hd:yes"), ("0912 345 678", None),
                              ("anh son", None), ("", f"hc:{ANH_SON}"), ("làm lại căn cước", None)):  # fmt: skip
            await say("7002", text, payload)
        sent = await say("7002", "", "ht:morning")
        ticket = re.search(r"#(\d+)", sent)
        assert ticket is not None, sent

        await page.goto(f"{base}/admin/requests")
        queue = page.locator("main")
        await expect(queue).to_contain_text("làm lại căn cước", timeout=WAIT_MS)
        await expect(queue).to_contain_text("0912", timeout=WAIT_MS)  # an admin sees the number
        await page.goto(f"{base}/admin/requests/{ticket.group(1)}")
        await page.get_by_label("Kết quả").select_option("done")
        await page.get_by_role("button", name="Đóng yêu cầu").click()
        stored = await desk.ticket(int(ticket.group(1)))
        assert stored is not None
        assert (stored.status, stored.outcome) == ("closed", "done")

        await page.goto(f"{base}/admin/teams")
        await expect(page.locator("main")).to_contain_text("Xã Anh Sơn", timeout=WAIT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-teams.png"), full_page=True)
        assert not problems, problems
