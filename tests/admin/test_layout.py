"""Every dashboard page at 360, 768 and 1366 px in Debian's Chromium: no sideways scrolling of the
page (wide tables scroll inside keyboard-focusable regions), the whole nav visible, and no serious
or critical axe-core finding. Screenshots go to ``test-artifacts/layout/``; the Vietnamese guides
in docs/vi/ use some of them (see tests/docs/test_guides.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from bot.core.engine import Engine
from tests.a11y import serious_violations
from tests.admin.test_browser import ARGS, log_in, playwright_api, serve
from tests.admin.test_community_pages import seed_community
from tests.live import ARTIFACTS, doc_image, require_chromium

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

SHOTS = ARTIFACTS / "layout"
WIDTHS = (360, 768, 1366)
ADMIN_PAGES = {
    "tong-quan": "/admin", "xa-phuong": "/admin/commune", "yeu-cau": "/admin/requests",
    "tinh-nguyen-vien": "/admin/volunteers", "to-cong-nghe-so": "/admin/teams", "cau-chua-hieu": "/admin/inbox",
    "su-kien": "/admin/events", "cach-hoi-da-day": "/admin/aliases", "bao-cao-quy": "/admin/report",
    "nguoi-dung": "/admin/users", "nhat-ky": "/admin/audit",
}  # fmt: skip
GUIDE_SHOTS = {"tong-quan-1366": "tong-quan.png", "cau-chua-hieu-1366": "cau-chua-hieu.png",
               "bao-cao-quy-1366": "bao-cao-quy.png", "tnv-yeu-cau-360": "yeu-cau-dien-thoai.png"}
"""Screenshots the Vietnamese guides show (docs/vi/img), by the name this test gives them."""
VOLUNTEER_PAGES = {"tnv-xa": "/admin/commune", "tnv-yeu-cau": "/admin/requests", "tnv-to": "/admin/teams"}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = require_chromium()
    async with playwright_api.async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def check_page(page: Page, base: str, name: str, path: str, width: int) -> list[str]:
    """Problems of one page at one width; its screenshot saved whatever they are."""
    problems: list[str] = []
    response = await page.goto(base + path)
    assert response is not None
    if response.status != 200:
        return [f"{name}@{width}: status {response.status}"]
    await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    scroll: Any = await page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{name}@{width}: the page is {scroll} px wide")
    hidden: Any = await page.evaluate(
        """() => [...document.querySelectorAll('.top nav a')].filter(a => {
             const r = a.getBoundingClientRect();
             return r.width === 0 || r.right > window.innerWidth + 1 || r.left < -1;
           }).map(a => a.textContent)"""
    )
    if hidden:
        problems.append(f"{name}@{width}: nav links cut off: {hidden}")
    unreachable: Any = await page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1
             && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.tabIndex < 0
             && !e.querySelector('a, button, input, select, textarea, [tabindex]')).map(e => e.className)"""
    )
    if unreachable:
        problems.append(f"{name}@{width}: scrolling regions the keyboard cannot reach: {unreachable}")
    if width in (360, 1366):
        problems += [f"{name}@{width}: axe {v}" for v in await serious_violations(page)]
    return problems


async def test_every_page_at_three_widths(browser: Browser, sqlite_url: str, fresh_engine: Engine) -> None:
    """At 360, 768 and 1366 px every admin and volunteer page fits, shows its whole nav and passes axe-core."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with serve(sqlite_url, fresh_engine) as (base, core):
        now = datetime.now(UTC).replace(month=11, day=23, hour=5) if datetime.now(UTC).month == 12 else datetime.now(UTC)
        seed_community(SimpleNamespace(db=core.db, clock=lambda: now))  # type: ignore[arg-type]
        problems: list[str] = []
        for width in WIDTHS:
            context = await browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN",
                                                bypass_csp=True, is_mobile=width < 700,
                                                has_touch=width < 700)  # fmt: skip
            page = await context.new_page()
            await log_in(page, base, "chi.lan")
            for name, path in ADMIN_PAGES.items():
                problems += await check_page(page, base, name, path, width)
            await context.clear_cookies()
            await log_in(page, base, "anh.tuan")
            for name, path in VOLUNTEER_PAGES.items():
                problems += await check_page(page, base, name, path, width)
            await context.close()
        for shot, image in GUIDE_SHOTS.items():
            doc_image(SHOTS / f"{shot}.png", image)
        assert problems == []
        assert len(list(SHOTS.glob("*.png"))) >= len(WIDTHS) * (len(ADMIN_PAGES) + len(VOLUNTEER_PAGES))


def test_the_vendored_axe_is_the_one_the_readme_names() -> None:
    """tests/a11y/axe.min.js is axe-core as its README says, with its licence beside it."""
    folder = Path(__file__).resolve().parents[1] / "a11y"
    head = (folder / "axe.min.js").read_text(encoding="utf-8")[:200]
    assert head.startswith("/*! axe v4.14.1")
    assert "Mozilla Public" in head
    assert "axe-core 4.14.1" in (folder / "README.md").read_text(encoding="utf-8")
    assert "Mozilla Public License" in (folder / "LICENSE-axe-core.txt").read_text(encoding="utf-8")
