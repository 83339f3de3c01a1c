"""Every dashboard text has its Vietnamese; English is the message id itself."""

from __future__ import annotations

import re
from pathlib import Path

from bot.admin.texts import VI, percent, tr
from bot.core import i18n

ADMIN = Path(__file__).resolve().parents[2] / "bot" / "admin"
LITERAL = re.compile(r"""\b(?:t|tr)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")


def used_texts() -> set[str]:
    found: set[str] = set()
    for path in [*ADMIN.glob("*.py"), *(ADMIN / "templates").glob("*.html")]:
        if path.name == "texts.py":  # the table itself, and its docstring's example
            continue
        for double, single in LITERAL.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def test_every_text_has_a_vietnamese_entry() -> None:
    """Each t("…") of the templates and tr("…") of the code is in the Vietnamese table."""
    used = used_texts()
    assert len(used) > 100
    assert sorted(used - VI.keys()) == []


def test_vietnamese_is_the_default_and_english_the_id() -> None:
    """Without a chosen language the dashboard speaks Vietnamese; numbers follow the locale."""
    assert tr("Overview") == "Tổng quan"
    assert percent(0.875) == "87,5%"
    with i18n.use("en"):
        assert tr("Overview") == "Overview"
        assert percent(0.875) == "87.5%"
    assert percent(None) == "—"


def test_placeholders_survive_translation() -> None:
    """A Vietnamese entry keeps the {placeholders} of its English id."""
    for english, vietnamese in VI.items():
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", vietnamese)), english
