"""The dashboard in a real browser (Debian's Chromium driven by Playwright), over a real server.

A scripted stream of conversations runs through the real engine and the real usage writer;
then an admin logs in, reads the charts, assigns a not-understood question to a procedure and
sees the assistant answer it in the web chat, exports CSV and XLSX and reads them back, and logs
out. Wrong passwords get throttled; a volunteer gets 403 on admin pages. Skips when
/usr/bin/chromium is missing, unless ``TROLYSO_REQUIRE_SERVICES=1``. Screenshots of the overview
on a desktop and on a 360 px phone go to ``test-artifacts/admin.png`` and ``admin-phone.png``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
import sqlalchemy as sa

from bot.admin.accounts import Accounts
from bot.admin.config import AdminConfig
from bot.admin.site import AdminSite
from bot.app import App
from bot.conversations import Conversations
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.usage.pseudonym import usage_secret
from bot.usage.rows import local_day
from bot.usage.sql import SqlUsageStore
from bot.usage.writer import BatchedUsageSink
from bot.web.app import create_app
from tests.admin.conftest import FAST_HASHER, PASSWORD
from tests.admin.data import insert, row
from tests.live import ARTIFACTS, CHROMIUM_ARGS, require_chromium, served

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

playwright_api = pytest.importorskip("playwright.async_api")

ARGS = CHROMIUM_ARGS
WAIT_MS = 15_000
UNSURE = "nhà em có người vừa đi xa mãi mãi"  # "gone far for ever": a did-you-mean

STREAM: tuple[tuple[str, str, tuple[str, ...]], ...] = (  # channel, user, turns ("!" = a button's payload)
    ("web", "u1", ("lam cccd o dau", "!fb:identity_card:up")),
    ("zalo", "u2", (UNSURE,)),
    ("telegram", "u3", (UNSURE, "kich hoat vneid muc 2", "!fb:vneid:down")),
    ("zalo", "u4", ("làm sổ đỏ ở đâu",)),
    ("web", "u5", ("huong dan lam khai sinh", "benh vien", "3/5/2026", "co", "co")),
    ("zalo", "u6", ("hướng dẫn đăng ký tạm trú", "huy")),
    ("telegram", "u7", ("tôi muốn gặp người hỗ trợ", "lam ho chieu can gi")),
)


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


@contextlib.asynccontextmanager
async def serve(sqlite_url: str, engine: Engine) -> AsyncIterator[tuple[str, App]]:
    """The whole HTTP app (web chat and dashboard) with the real usage writer, on a loopback port."""
    # The admin_* values are ignored until Settings declares them; then bot.web.app reads them.
    settings = Settings(database_url=sqlite_url, channels="web", secret_key="browser-test-secret-key-0123456789",
                        admin_login_attempts=3, admin_bootstrap=False, admin_alias_refresh_seconds=0)  # fmt: skip
    db = create_db_engine(sqlite_url)
    upgrade(db)
    store = SqlStateStore(db, ttl=timedelta(hours=settings.conversation_ttl_hours))
    sink = BatchedUsageSink(SqlUsageStore(db), usage_secret(settings), Path(sqlite_url[10:]).with_name("spool.jsonl"),
                            flush_seconds=0.05)  # fmt: skip
    core = App(settings, engine, db, store, Conversations(engine, store, sink))
    web = create_app(settings, app=core)
    if not any(getattr(route, "path", "").startswith("/admin") for route in web.router.routes):
        # Until bot.web.app mounts the dashboard itself (see the report), mount it here.
        site = AdminSite(core, settings, AdminConfig(login_attempts=3, bootstrap=False, alias_refresh_seconds=0),
                         hasher=FAST_HASHER)  # fmt: skip
        web.router.routes.extend(site.routes())
    accounts = Accounts(db, FAST_HASHER)
    accounts.create("chi.lan", PASSWORD, "admin")
    accounts.create("anh.tuan", PASSWORD, "volunteer", "Xã Tân Phú")
    for channel, user, turns in STREAM:
        for text in turns:
            payload = text[1:] if text.startswith("!") else None
            await core.conversations.handle(Inbound(channel, user, "" if payload else text, payload))
    await sink.flush()
    try:
        async with served(web) as url:
            yield url, core
    finally:
        await sink.stop()
        await core.close()


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with playwright_api.async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


def count_of(core: App, kind: str) -> int:
    with core.db.connect() as connection:
        query = sa.text("SELECT coalesce(sum(count), 0) FROM usage_daily WHERE kind = :kind")
        return int(connection.execute(query, {"kind": kind}).scalar_one())


async def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/admin")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()


async def test_the_dashboard_in_a_browser(browser: Browser, sqlite_url: str, fresh_engine: Engine,
                                          tmp_path: Path) -> None:  # fmt: skip
    """Log in, read the charts, teach the assistant from the inbox, export, log out; throttling and roles hold."""
    expect = playwright_api.expect
    async with serve(sqlite_url, fresh_engine) as (base, core):
        questions = count_of(core, "question")
        assert questions == 9
        assert count_of(core, "did_you_mean") == 2
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                            accept_downloads=True)  # fmt: skip
        page = await context.new_page()
        problems: list[str] = []
        outside: list[str] = []
        failed: list[tuple[int, str]] = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
                and not m.text.startswith("Failed to load resource") else None)  # fmt: skip
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: failed.append((r.status, r.url[len(base):])) if r.status >= 400 else None)
        page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))

        # log in and read the overview
        await log_in(page, base, "chi.lan")
        await expect(page.locator("h1")).to_have_text("Tổng quan")
        kpi = page.locator(".kpi")
        await expect(kpi.filter(has_text="Cuộc trò chuyện").locator("strong")).to_have_text("7")
        await expect(kpi.filter(has_text="Câu hỏi").first.locator("strong")).to_have_text(str(questions))
        await expect(page.locator("svg.chart")).to_have_count(5)
        assert await page.locator("svg.chart polyline").count() == 3
        await expect(page.locator("svg.chart").nth(1)).to_contain_text("Thẻ căn cước (trước đây là CCCD)")
        await expect(page.locator("svg.chart").nth(2)).to_contain_text("Hoàn thành hướng dẫn")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)

        # export the overview as CSV and XLSX and read them back
        async with page.expect_download() as csv_download:
            await page.get_by_role("link", name="CSV").click()
        csv_path = tmp_path / "overview.csv"
        await (await csv_download.value).save_as(csv_path)
        summary = {line[0]: line[1] for line in csv.reader(io.StringIO(csv_path.read_text("utf-8-sig")))
                   if len(line) == 2}  # fmt: skip
        assert summary["Câu hỏi"] == str(questions)
        assert summary["Cuộc trò chuyện"] == "7"
        async with page.expect_download() as xlsx_download:
            await page.get_by_role("link", name="XLSX").click()
        xlsx_path = tmp_path / "overview.xlsx"
        await (await xlsx_download.value).save_as(xlsx_path)
        book = openpyxl.load_workbook(xlsx_path)
        values = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
        assert values["Câu hỏi"] == questions
        assert values["Hữu ích"] == 1

        # the inbox: assign the unsure question, then ask the assistant in the web chat
        await page.get_by_role("link", name="Câu chưa hiểu", exact=True).click()
        group = page.locator(".group").filter(has_text=UNSURE)
        await expect(group.locator(".count")).to_have_text("2×")
        await page.screenshot(path=str(ARTIFACTS / "admin-inbox.png"), full_page=True)
        await group.get_by_label("Thủ tục").select_option(label="Đăng ký khai tử")
        await group.get_by_role("button", name="Gán").click()
        await expect(page.locator("h1")).to_have_text("Kiểm tra trước khi dạy")
        await expect(page.locator("#preview tbody tr").first).to_contain_text("Đăng ký khai tử")
        await page.get_by_role("button", name="Lưu: dạy trợ lý").click()
        await expect(page.locator(".ok")).to_contain_text("Trợ lý giờ trả lời câu này bằng: Đăng ký khai tử")
        await expect(page.locator(".group").filter(has_text=UNSURE)).to_have_count(0)
        chat = await context.new_page()
        await chat.goto(f"{base}/chat")  # the web chat's own page, served by the same app
        await chat.locator("#q").fill(UNSURE)
        await chat.locator("#q").press("Enter")
        await expect(chat.locator("#log")).to_contain_text("Đăng ký khai tử", timeout=WAIT_MS)
        await chat.close()

        # log out: the pages ask for a login again
        await page.get_by_role("button", name="Đăng xuất").click()
        await expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
        await page.goto(f"{base}/admin/inbox")
        await expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()

        # wrong passwords are throttled
        for _ in range(3):
            await log_in(page, base, "chi.lan", "not-the-password")
        await expect(page.locator(".error")).to_contain_text("Vui lòng thử lại sau")
        await log_in(page, base, "chi.lan")
        await expect(page.locator(".error")).to_contain_text("Vui lòng thử lại sau")

        # a volunteer: their commune only, 403 on admin pages, never the questions' words
        await log_in(page, base, "anh.tuan")
        await expect(page.locator("h1")).to_have_text("Xã Tân Phú")
        response = await page.goto(f"{base}/admin/inbox")
        assert response is not None
        assert response.status == 403
        await expect(page.locator("main")).to_contain_text("Bạn không có quyền mở trang này.")
        response = await page.goto(f"{base}/admin/events")
        assert response is not None
        assert response.status == 403
        assert UNSURE not in await page.content()
        assert not outside, f"the dashboard asked other sites: {outside}"
        assert not problems, f"the browser reported: {problems}"
        assert failed == [(401, "/admin/login"), (401, "/admin/login"), (429, "/admin/login"), (429, "/admin/login"),
                          (403, "/admin/inbox"), (403, "/admin/events")], "only the refusals the test asked for"
        await context.close()


async def test_the_overview_fits_a_phone(browser: Browser, sqlite_url: str, fresh_engine: Engine) -> None:
    """On a 360 px phone the overview needs no sideways scrolling and every chart fits the screen."""
    expect = playwright_api.expect
    async with serve(sqlite_url, fresh_engine) as (base, _core):
        context = await browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2,
                                            is_mobile=True, has_touch=True, locale="vi-VN")  # fmt: skip
        page = await context.new_page()
        await log_in(page, base, "chi.lan")
        await expect(page.locator("svg.chart")).to_have_count(5)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-phone.png"), full_page=True)
        width: Any = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width} px wide on a 360 px screen"
        widths = await page.locator("svg.chart").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
        assert all(0 < w <= 340 for w in widths), widths
        await context.close()


async def test_dismissing_several_and_undoing_on_a_phone(browser: Browser, sqlite_url: str,
                                                         fresh_engine: Engine) -> None:  # fmt: skip
    """At 360 px: tick two inbox groups by tapping their questions, dismiss both with the one button,
    undo; the page never scrolls sideways and the button is in view after the ticking."""
    expect = playwright_api.expect
    async with serve(sqlite_url, fresh_engine) as (base, core):
        today = local_day(datetime.now(UTC))
        insert(core.db, [row(today, "zalo", None, f"j{i}", "not_understood", None, text, hour=0)
                         for i, text in enumerate(("asdfgh", "alo alo alo"))])  # fmt: skip
        context = await browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2,
                                            is_mobile=True, has_touch=True, locale="vi-VN")  # fmt: skip
        page = await context.new_page()
        await log_in(page, base, "chi.lan")
        await page.goto(f"{base}/admin/inbox")
        groups = page.locator(".group")
        before = await groups.count()
        assert before >= 2
        picked = [await groups.nth(i).locator(".question").inner_text() for i in range(2)]
        for i in range(2):
            await groups.nth(i).locator("label.question").tap()  # the label ticks its box
            await expect(groups.nth(i).get_by_role("checkbox")).to_be_checked()
        button = page.get_by_role("button", name="Bỏ qua các mục đã chọn")
        await expect(button).to_be_in_viewport()
        await button.tap()
        await expect(page.locator("#undo")).to_contain_text("Đã bỏ qua các câu hỏi đã chọn")
        await expect(page.get_by_role("button", name="Hoàn tác")).to_be_in_viewport()
        await expect(groups).to_have_count(before - 2)
        for text in picked:
            await expect(page.locator(".group").filter(has_text=text)).to_have_count(0)
        width: Any = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the inbox is {width} px wide on a 360 px screen"
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-inbox-dismissed-phone.png"), full_page=True)
        await page.get_by_role("link", name=re.compile("Đã bỏ qua")).tap()
        await expect(page.locator(".group")).to_have_count(2)
        await page.go_back()
        await page.get_by_role("button", name="Hoàn tác").tap()
        await expect(page.locator(".ok")).to_contain_text("Đã khôi phục")
        await expect(page.locator(".group")).to_have_count(before)
        # teaching one: the preview of the answers fits the phone too
        first = page.locator(".group").first
        await first.get_by_label("Thủ tục").select_option(label="Đăng ký khai tử")
        await first.get_by_role("button", name="Gán").tap()
        await expect(page.locator("#preview")).to_contain_text("Đăng ký khai tử")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the preview is {width} px wide on a 360 px screen"
        await page.screenshot(path=str(ARTIFACTS / "admin-teach-preview-phone.png"), full_page=True)
        await context.close()
