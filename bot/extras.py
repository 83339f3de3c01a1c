"""Optional parts installed as extras (``pip install 'trolyso[postgres]'``), and the error that
names the extra when a setting asks for one that is not installed.

The base install runs the web chat, the terminal and SQLite; PostgreSQL, Redis and each Telegram
library are extras, so a province that runs only the web chat does not install aiogram and
python-telegram-bot. Without this check a missing extra surfaces as a bare ImportError deep in a
library, naming neither the setting nor the fix.
"""

from __future__ import annotations

import importlib.util

from bot.errors import ConfigError

EXTRAS: dict[str, tuple[str, str]] = {
    "postgres": ("psycopg", "psycopg (the PostgreSQL driver)"),
    "redis": ("redis", "redis-py"),
    "aiogram": ("aiogram", "aiogram"),
    "ptb": ("telegram", "python-telegram-bot"),
}
"""Extra -> (the module it installs, what to call it in the error)."""


def require(extra: str, wanted_by: str) -> None:
    """Raise :class:`ConfigError` naming ``pip install 'trolyso[extra]'`` when ``extra`` is missing.

    ``wanted_by`` says which setting asked for it, e.g. "TROLYSO_DATABASE_URL (PostgreSQL)".
    """
    module, name = EXTRAS[extra]
    if not installed(module):
        raise ConfigError(f"{wanted_by} needs {name}, which is not installed here: "
                          f"pip install 'trolyso[{extra}]'")  # fmt: skip


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module in sys.modules without a spec (a test stub): it is there
        return True
