"""Checks that every user-facing string of the code has a current, non-fuzzy translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import DEFAULT_LANGUAGE, DOMAIN
from bot.data.paths import locales_dir

_PKG = Path(__file__).resolve().parent


def source_messages() -> set[str]:
    """Message ids passed to _() / ngettext() in the package's source."""
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(_PKG), method_map=[("**.py", "python")], keywords={"_": None, "ngettext": (1, 2)}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def check_catalogs() -> list[str]:
    problems: list[str] = []
    wanted = source_messages()
    po = locales_dir() / DEFAULT_LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.po"
    label = f"locales/{DEFAULT_LANGUAGE}/LC_MESSAGES/{DOMAIN}.po"
    if not po.exists():
        return [f"{label}: missing; run `pybabel init` (see docs/translations.md)"]
    with po.open("rb") as fh:
        catalog = read_po(fh)
    for msgid in sorted(wanted):
        entry = catalog.get(msgid)
        where = f"{label}:{entry.lineno}" if entry is not None and entry.lineno else label
        if entry is None:
            problems.append(f"{label}: no entry for {msgid[:60]!r}; run `pybabel extract` and `pybabel update`")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy translation of {msgid[:60]!r}; review it and remove the fuzzy flag")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"{where}: missing translation of {msgid[:60]!r}")
    for lang_dir in sorted(locales_dir().iterdir()):
        if lang_dir.is_dir() and not (lang_dir / "LC_MESSAGES" / f"{DOMAIN}.po").exists():
            problems.append(f"locales/{lang_dir.name}: no {DOMAIN}.po catalog")
    return problems
