"""axe-core for the browser tests: :func:`serious_violations` runs it on the page in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

AXE = Path(__file__).with_name("axe.min.js")
BLOCKING = ("serious", "critical")


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as "rule: target" lines (none is good).

    The page's own Content-Security-Policy forbids inline scripts, so the script is evaluated
    through the DevTools protocol, which that policy does not govern."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results: Any = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
            for v in results["violations"] if v.get("impact") in BLOCKING]  # fmt: skip
