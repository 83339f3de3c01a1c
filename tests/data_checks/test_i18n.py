"""Translation catalogs: complete, not fuzzy, and the locale helpers of bot.core.i18n."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.core import i18n
from bot.data.paths import data_root, locales_dir
from bot.i18n_check import check_catalogs, source_messages

VI_PO = locales_dir() / "vi" / "LC_MESSAGES" / "messages.po"


def test_the_real_catalogs_pass_the_check() -> None:
    """check_catalogs() finds no missing, fuzzy or absent translation in the shipped catalogs."""
    assert check_catalogs() == []


def test_every_message_of_the_code_has_a_vietnamese_translation() -> None:
    """Each msgid passed to _() in bot/ has a non-empty, non-fuzzy Vietnamese msgstr."""
    wanted = source_messages()
    assert "All procedures" in wanted
    assert len(wanted) >= 30
    with VI_PO.open("rb") as fh:
        catalog = read_po(fh)
    untranslated = sorted(m for m in wanted if catalog.get(m) is None or catalog.get(m).fuzzy
                          or not catalog.get(m).string)  # fmt: skip
    assert not untranslated, f"no Vietnamese for: {untranslated}"


def test_vietnamese_is_what_the_citizen_sees_by_default() -> None:
    """Without a chosen language, _() returns the Vietnamese text; in English, the message id."""
    assert i18n.current() == "vi"
    assert i18n._("All procedures") == "Tất cả thủ tục"
    with i18n.use("en"):
        assert i18n._("All procedures") == "All procedures"


# --- a broken catalog ------------------------------------------------------------------------
# check_catalogs() reads bot.data.paths.locales_dir() and takes no folder, so it cannot be pointed
# at a temporary catalog in-process without patching module globals. Instead the checkout is copied
# (bot/, data folders, pyproject.toml) and the real function runs there in a fresh interpreter.


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A throwaway copy of the checkout whose catalogs a test may break."""
    root = data_root()
    dest = tmp_path / "checkout"
    shutil.copytree(root / "bot", dest / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("knowledge", "flows", "locales"):
        shutil.copytree(root / name, dest / name)
    shutil.copy(root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def check_in(checkout: Path) -> list[str]:
    code = "import json, bot; from bot.i18n_check import check_catalogs; print(json.dumps([bot.__file__, check_catalogs()]))"
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    module_file, problems = json.loads(done.stdout)
    assert Path(module_file).is_relative_to(checkout), f"ran the wrong copy: {module_file}"
    return list(problems)


def edit_po(checkout: Path, old: str, new: str) -> None:
    po = checkout / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert old in text, old
    po.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_untouched_copy_passes(checkout: Path) -> None:
    """The copied checkout passes the check, so the failures below come from the edits alone."""
    assert check_in(checkout) == []


def test_a_fuzzy_translation_fails_the_check(checkout: Path) -> None:
    """A translation flagged fuzzy is reported with the catalog's file:line."""
    edit_po(checkout, 'msgid "All procedures"', '#, fuzzy\nmsgid "All procedures"')
    problems = check_in(checkout)
    assert len(problems) == 1, problems
    assert problems[0].startswith("locales/vi/LC_MESSAGES/messages.po:")
    assert "fuzzy translation of 'All procedures'" in problems[0]


def test_an_empty_translation_fails_the_check(checkout: Path) -> None:
    """A msgid whose msgstr is empty is reported as missing."""
    edit_po(checkout, 'msgid "All procedures"\nmsgstr "Tất cả thủ tục"', 'msgid "All procedures"\nmsgstr ""')
    problems = check_in(checkout)
    assert len(problems) == 1, problems
    assert "missing translation of 'All procedures'" in problems[0]


def test_a_message_without_an_entry_fails_the_check(checkout: Path) -> None:
    """A msgid used in the code but absent from the catalog is reported."""
    edit_po(checkout, 'msgid "All procedures"\nmsgstr "Tất cả thủ tục"\n', "")
    problems = check_in(checkout)
    assert len(problems) == 1, problems
    assert "no entry for 'All procedures'" in problems[0]


def test_a_language_folder_without_a_catalog_fails_the_check(checkout: Path) -> None:
    """A locales/<lang> folder without messages.po is reported."""
    (checkout / "locales" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    assert check_in(checkout) == ["locales/fr: no messages.po catalog"]


# --- money, numbers, languages ---------------------------------------------------------------


def test_money_uses_vietnamese_separators_in_vietnamese() -> None:
    """70000 VND is written "70.000 ₫" in Vietnamese: dot for thousands, symbol after."""
    with i18n.use("vi"):
        assert i18n.money(70000) == "70.000\xa0₫"
        assert i18n.number(1234567.5) == "1.234.567,5"


def test_money_uses_english_separators_in_english() -> None:
    """70000 VND is written "₫70,000" in English: comma for thousands, symbol first."""
    with i18n.use("en"):
        assert i18n.money(70000) == "₫70,000"
        assert i18n.number(1234567.5) == "1,234,567.5"


def test_use_restores_the_previous_language_and_refuses_unknown_ones() -> None:
    """use() is scoped, and an unsupported language falls back to Vietnamese."""
    with i18n.use("en"):
        assert i18n.current() == "en"
        with i18n.use("fr"):
            assert i18n.current() == "vi"
        assert i18n.current() == "en"
    assert i18n.current() == "vi"


@pytest.mark.parametrize(
    ("hint", "lang"),
    [("en-US", "en"), ("en", "en"), ("EN_gb", "en"), ("vi-VN", "vi"), ("fr", "vi"), ("", "vi"), (None, "vi")],
)
def test_pick_language_maps_platform_hints(hint: str | None, lang: str) -> None:
    """Platform hints map to a supported language; anything else is Vietnamese."""
    assert i18n.pick_language(hint) == lang
