"""Gettext with Babel catalogs; the current locale lives in a ContextVar, one per turn.

Message ids are English; ``locales/vi/LC_MESSAGES/messages.po`` holds Vietnamese, the default.
Catalogs are read from a compiled ``.mo`` when it is up to date, else compiled in memory from the
``.po``, so a fresh clone works without a build step.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from bot.data.paths import locales_dir

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("trolyso_locale", default=DEFAULT_LANGUAGE)


def pick_language(hint: str | None) -> str:
    """Map a platform language hint such as 'en-US' or 'vi' to a supported language."""
    if hint:
        base = hint.replace("_", "-").split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    folder = locales_dir() / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if po.exists():
        return _gettext.GNUTranslations(compile_po(po))
    return _gettext.NullTranslations()


def compile_po(po: Path) -> io.BytesIO:
    with po.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return buf


def current() -> str:
    return _current.get()


@contextmanager
def use(lang: str) -> Iterator[None]:
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """Translate ``message`` into the current locale."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def money(amount: int | Decimal) -> str:
    """An amount in VND, written the way the current locale writes money."""
    return format_currency(amount, "VND", locale=_current.get())


def number(value: int | float | Decimal) -> str:
    return format_decimal(value, locale=_current.get())
