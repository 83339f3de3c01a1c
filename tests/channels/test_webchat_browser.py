"""The web chat in a real browser (Debian's Chromium driven by Playwright) on a 360×640 phone screen.

Skips when /usr/bin/chromium is missing, unless ``TROLYSO_REQUIRE_SERVICES=1`` (CI), where a
missing browser is a failure. Playwright's own browser download is not used: Chromium is
launched by path. The last screenshot is saved to ``test-artifacts/webchat.png``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.app import build_app
from bot.core.engine import Engine
from bot.settings import Settings
from tests.a11y import serious_violations
from tests.channels.test_webchat import LiveServer, build_core, serve
from tests.live import ARTIFACTS, CHROMIUM_ARGS, doc_image, require_chromium

if TYPE_CHECKING:
    from playwright.async_api import Page

ARGS = CHROMIUM_ARGS
WAIT_MS = 15_000
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u23E9-\u23FA]")

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure in CI) saying it is missing."""
    return require_chromium()


@pytest.fixture
async def live(engine: Engine, sqlite_url: str) -> AsyncIterator[LiveServer]:
    async with serve(build_core(engine, sqlite_url)) as server:
        yield server


@pytest.fixture
async def phone(chromium: Path, tmp_path: Path) -> AsyncIterator[Page]:
    """A fresh browser profile with a 360×640 touch screen; yields its first page."""
    async with playwright_api.async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(chromium), args=ARGS, headless=True,
            viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="vi-VN",
        )  # fmt: skip
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


async def test_a_conversation_on_a_phone_survives_a_reload(live: LiveServer, phone: Page) -> None:
    """Typing without accents, pressing buttons through a guide, switching to English and reloading all work."""
    expect = playwright_api.expect
    page = phone
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith((live.url, "data:")) else outside.append(r.url))
    log = page.locator("#log")
    box = page.locator("#q")

    async def ask(text: str) -> None:
        await box.fill(text)
        await box.press("Enter")

    async def press(label: str, exact: bool = False) -> None:
        await page.get_by_role("button", name=label, exact=exact).last.click()

    await page.goto(f"{live.url}/chat")
    await expect(page).to_have_title(re.compile("Trợ lý số"))
    await expect(log).to_contain_text("Xin chào", timeout=WAIT_MS)

    await ask("lam cccd o dau")
    await expect(log).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    await expect(box).to_have_value("")
    await expect(log.get_by_role("link", name="https://dichvucong.gov.vn")).to_have_count(1)
    await press("Lệ phí và thời gian")
    await expect(log).to_contain_text("70.000", timeout=WAIT_MS)

    await ask("huong dan lam khai sinh")
    await expect(log).to_contain_text("Bé sinh ở đâu?", timeout=WAIT_MS)
    await press("Bệnh viện")
    await expect(log).to_contain_text("Bé sinh ngày nào?", timeout=WAIT_MS)
    await ask("3/5/2026")
    await expect(log).to_contain_text("Cha mẹ bé đã đăng ký kết hôn chưa?", timeout=WAIT_MS)
    await press("Có", exact=True)
    await expect(log).to_contain_text("liên thông một lần", timeout=WAIT_MS)
    await press("Có", exact=True)
    await expect(log).to_contain_text("Danh sách việc cần làm", timeout=WAIT_MS)

    await page.locator("#lang").click()
    await expect(log).to_contain_text("Language set to English.", timeout=WAIT_MS)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(box).to_have_attribute("placeholder", "Type your question…")
    await ask("how do i register temporary residence step by step")
    await expect(log).to_contain_text("Why are you staying at the new place?", timeout=WAIT_MS)
    await press("Renting a room or house")
    await expect(log).to_contain_text("how many months will you stay", timeout=WAIT_MS)
    user = await page.evaluate("localStorage.getItem('trolyso.chat.user')")

    await page.reload()
    await expect(log).to_contain_text("how many months will you stay")
    await expect(page.locator("#lang")).to_have_text("Tiếng Việt")
    assert await page.evaluate("localStorage.getItem('trolyso.chat.user')") == user
    await ask("about 8 months")
    await expect(log).to_contain_text("first registration here, an extension", timeout=WAIT_MS)
    await press("Extending")
    await expect(log).to_contain_text("Do you want to file online on VNeID?", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_text("")

    assert live.stored() == 1, "one browser is one conversation"
    assert await page.evaluate("document.cookie") == ""
    assert not outside, f"the page asked other sites: {outside}"
    assert not problems, f"the browser reported: {problems}"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat.png"))


@contextlib.asynccontextmanager
async def portal(html: str) -> AsyncIterator[str]:
    """A one-page "provincial portal" on another loopback port; yields its address on localhost,
    another site than 127.0.0.1, as a real portal is. (A made-up public origin served by
    ``page.route`` cannot be used: Chromium's Local Network Access checks block a public page's
    iframe of a loopback address with ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS.)"""
    body = html.encode("utf-8")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://localhost:{server.sockets[0].getsockname()[1]}/"
    finally:
        server.close()
        await server.wait_closed()


async def test_the_chat_works_inside_a_portal_iframe(live: LiveServer, phone: Page) -> None:
    """A portal on another site embeds the page in an iframe, and the chat answers inside it."""
    page = phone
    html = f'<!doctype html><title>Cổng tỉnh</title><iframe src="{live.url}/chat" width="360" height="560"></iframe>'
    async with portal(html) as address:
        await page.goto(address)
        chat = page.frame_locator("iframe")
        await playwright_api.expect(chat.locator("#log")).to_contain_text("Xin chào", timeout=WAIT_MS)
        await chat.locator("#q").fill("lam cccd o dau")
        await chat.locator("#send").click()
        await playwright_api.expect(chat.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)


@pytest.fixture
async def greeted(live: LiveServer, phone: Page) -> Page:
    """The phone on the chat page, once the greeting is shown."""
    await phone.goto(f"{live.url}/chat")
    await playwright_api.expect(phone.locator("#log")).to_contain_text("Xin chào", timeout=WAIT_MS)
    return phone


async def send(page: Page, text: str) -> None:
    """Type ``text`` in the box and press Send, as a person does."""
    await page.locator("#q").fill(text)
    await page.locator("#send").click()


def posted(route: Any) -> dict[str, Any]:
    """The JSON body of a message the page sent."""
    body: dict[str, Any] = json.loads(route.request.post_data)
    return body


async def test_a_lost_connection_keeps_the_question_for_a_retry(greeted: Page) -> None:
    """When the request fails, the page says so and puts the question back in the box to send again."""
    page = greeted
    expect = playwright_api.expect
    await page.route("**/chat/api/message", lambda route: route.abort())
    await send(page, "lam cccd o dau")
    await expect(page.locator("#status")).to_contain_text("Không kết nối được", timeout=WAIT_MS)
    await expect(page.locator("#q")).to_have_value("lam cccd o dau")
    await expect(page.locator(".msg.me")).to_have_count(0)
    await page.unroute("**/chat/api/message")
    await page.locator("#send").click()
    await expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_text("")
    await expect(page.locator(".msg.me")).to_have_count(1)


async def test_a_message_that_got_no_answer_is_sent_again_with_the_same_id(live: LiveServer, greeted: Page) -> None:
    """The worker saved the message and died (nginx answers 502): the page sends it again with the
    same id, shows the answer once, and the conversation moved one turn."""
    page = greeted
    expect = playwright_api.expect
    bodies: list[dict[str, Any]] = []

    async def dies_once(route: Any) -> None:
        bodies.append(posted(route))
        if len(bodies) == 1:
            await route.fetch()  # the worker handled it...
            await route.fulfill(status=502, body="<html>502 Bad Gateway</html>")  # ...and died before answering
        else:
            await route.continue_()

    await page.route("**/chat/api/message", dies_once)
    await send(page, "lam cccd o dau")
    await expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_text("")
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", bodies[0]["id"])
    await expect(page.locator(".msg.me")).to_have_count(1)
    await expect(page.locator(".msg:not(.me)", has_text="Công an xã, phường bất kỳ")).to_have_count(1)
    user = await page.evaluate("localStorage.getItem('trolyso.chat.user')")
    assert live.turns(f"web:{user}") == 2  # the greeting, then the question once

    await send(page, "lam ho chieu o dau")  # the next message has an id of its own
    await expect(page.locator("#log")).to_contain_text("hộ chiếu", timeout=WAIT_MS)
    assert len(bodies) == 3
    assert bodies[2]["id"] != bodies[0]["id"]


async def test_a_message_that_never_gets_through_is_given_back_plainly(greeted: Page) -> None:
    """Every try fails (502): after two resends with the same id the page says it could not reach
    the assistant and puts the question back in the box."""
    page = greeted
    expect = playwright_api.expect
    ids: list[str] = []

    async def down(route: Any) -> None:
        ids.append(posted(route)["id"])
        await route.fulfill(status=502, body="bad gateway")

    await page.route("**/chat/api/message", down)
    await send(page, "lam cccd o dau")
    await expect(page.locator("#status")).to_contain_text("Không kết nối được", timeout=WAIT_MS)
    await expect(page.locator("#q")).to_have_value("lam cccd o dau")
    assert len(ids) == 3
    assert len(set(ids)) == 1


async def test_deleting_the_chat_deletes_it_on_the_server_too(live: LiveServer, phone: Page) -> None:
    """"Xóa cuộc trò chuyện", once confirmed, deletes the conversation on the server and starts afresh with a new id."""
    page = phone
    expect = playwright_api.expect
    await page.goto(f"{live.url}/chat")
    await page.locator("#q").fill("lam cccd o dau")
    await page.locator("#send").click()
    await expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    before = await page.evaluate("localStorage.getItem('trolyso.chat.user')")
    dialogs: list[str] = []

    async def refuse(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.once("dialog", refuse)
    await page.locator("#reset").click()
    await expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ")
    assert dialogs, "asked first"
    assert "Xóa cuộc trò chuyện này?" in dialogs[0], "a refusal keeps everything"
    assert live.stored() == 1

    async def accept(dialog: Any) -> None:
        await dialog.accept()

    page.once("dialog", accept)
    await page.locator("#reset").click()
    await expect(page.locator("#log")).not_to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    await expect(page.locator("#log")).to_contain_text("Xin chào", timeout=WAIT_MS)
    await expect(page.locator("#log")).to_contain_text("đã được xóa")
    assert await page.evaluate("localStorage.getItem('trolyso.chat.user')") != before
    assert live.stored() == 1, "the old conversation is gone from the server; only the new one is kept"


@pytest.fixture
async def with_desk(sqlite_url: str) -> AsyncIterator[LiveServer]:
    """The whole app as `trolyso serve` builds it (help desk included), web chat on."""
    async with serve(build_app(Settings(database_url=sqlite_url, channels="web", admin_bootstrap=False))) as server:
        yield server


async def test_answered_buttons_phone_keyboard_and_nothing_personal_stored(with_desk: LiveServer,
                                                                          phone: Page) -> None:  # fmt: skip
    """Earlier buttons are disabled once answered, the phone step opens the digit keyboard, and
    localStorage keeps no message text and no phone number."""
    page = phone
    expect = playwright_api.expect
    box = page.locator("#q")
    await page.goto(f"{with_desk.url}/chat")
    await expect(page.locator("#log")).to_contain_text("Xin chào", timeout=WAIT_MS)
    greeting_button = page.locator("#log button.choice").first
    await box.fill("tôi muốn gặp người thật")
    await box.press("Enter")
    yes = page.locator('[data-payload="hd:yes"]')
    await expect(yes).to_be_enabled(timeout=WAIT_MS)
    await expect(greeting_button).to_be_disabled()
    await expect(box).to_have_attribute("inputmode", "text")
    await yes.click()
    await expect(page.locator("#log")).to_contain_text("0912 345 678", timeout=WAIT_MS)
    await expect(yes).to_be_disabled()
    await expect(box).to_have_attribute("inputmode", "tel")
    await expect(box).to_have_attribute("type", "tel")
    await box.fill("0912345678")
    await box.press("Enter")
    await expect(page.locator('[data-payload="hd:stop"]').last).to_be_enabled(timeout=WAIT_MS)
    await expect(box).to_have_attribute("inputmode", "text")
    stored: dict[str, str] = await page.evaluate(
        "Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))")
    assert set(stored) <= {f"trolyso.chat.{k}" for k in ("user", "lang", "waiting", "flow", "started")}, stored
    assert not any(secret in value for value in stored.values() for secret in ("0912345678", "người thật")), stored


async def test_icons_not_emoji_and_header_buttons_for_fingers(live: LiveServer, phone: Page) -> None:
    """Section markers are inline SVG icons, not emoji; header buttons are at least 44 px with a visible focus."""
    page = phone
    expect = playwright_api.expect
    await page.goto(f"{live.url}/chat")
    await page.locator("#q").fill("lam cccd o dau")
    await page.locator("#q").press("Enter")
    await expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
    text: str = await page.locator("#log").inner_text()
    assert not EMOJI.search(text), EMOJI.findall(text)
    assert await page.locator("#log svg.icon").count() >= 2, "the markers' meaning drawn, not dropped"
    for tool in ("#lang", "#reset"):
        box = await page.locator(tool).bounding_box()
        assert box is not None
        assert box["height"] >= 44, (tool, box)
        assert box["width"] >= 44, (tool, box)
    await page.locator("#q").focus()
    for _ in range(30):  # back with the keyboard, past the answer's buttons, to the header
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("document.activeElement.id") == "reset":
            break
    assert await page.evaluate("document.activeElement.id") == "reset"
    assert await page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert await page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    assert await serious_violations(page) == [], "axe-core finds nothing serious on the chat page"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.locator("#q").focus()
    await page.screenshot(path=str(ARTIFACTS / "webchat-vi.png"))
    doc_image(ARTIFACTS / "webchat-vi.png", "tro-chuyen-web.png")


async def test_the_page_works_at_200_percent_zoom(live: LiveServer, chromium: Path, tmp_path: Path) -> None:
    """At 200 % zoom on a 360 px phone (180 CSS px) nothing needs sideways scrolling and the chat still answers."""
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 180, "height": 320}, device_scale_factor=4,
                                                is_mobile=True, has_touch=True, locale="vi-VN")  # fmt: skip
            page = await context.new_page()
            await page.goto(f"{live.url}/chat")
            await playwright_api.expect(page.locator("#log")).to_contain_text("Xin chào", timeout=WAIT_MS)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 180, f"{width} px wide at 200 % zoom"
            for selector in ("#lang", "#reset", "#q", "#send"):
                box = await page.locator(selector).bounding_box()
                assert box is not None
                assert 0 <= box["x"] <= box["x"] + box["width"] <= 180, (selector, box)
            await page.locator("#q").fill("lam cccd o dau")
            await page.locator("#send").click()
            await playwright_api.expect(page.locator("#log")).to_contain_text("Công an xã, phường bất kỳ", timeout=WAIT_MS)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "webchat-zoom.png"))
        finally:
            await browser.close()
