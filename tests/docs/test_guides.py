"""The Vietnamese guides (docs/vi/): linked from the README and the dashboard, their pictures
taken by the browser tests, so a guide never shows a page that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

from tests.admin.test_layout import GUIDE_SHOTS

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "vi"
TAKEN = {*GUIDE_SHOTS.values(), "tro-chuyen-web.png"}
"""Every picture a browser test copies into docs/vi/img with TROLYSO_UPDATE_DOCS=1."""


def test_every_picture_of_the_guides_is_taken_by_a_test() -> None:
    """Each image a guide shows exists in docs/vi/img and comes from a browser test."""
    shown = {m for page in GUIDES.glob("*.md") for m in re.findall(r"\]\(img/([^)]+)\)", page.read_text("utf-8"))}
    assert len(shown) >= 4
    assert sorted(shown - TAKEN) == [], "a picture no test takes would go stale"
    assert [name for name in sorted(shown) if not (GUIDES / "img" / name).is_file()] == []


def test_the_readme_links_both_guides() -> None:
    """README.md links the volunteers' and the admins' guide."""
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "docs/vi/tinh-nguyen-vien.md" in readme
    assert "docs/vi/quan-tri.md" in readme
