"""The core imports no channel, web or SQL library (house habit 1)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("aiogram", "telegram", "sqlalchemy", "starlette", "fastapi", "aiohttp", "httpx", "psycopg")

_PROBE = f"""
import importlib, json, pkgutil, sys
imported = []
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    imported.append(name)
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
forbidden = set({FORBIDDEN!r})
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({{"imported": imported, "loaded": loaded}}))
"""


def probe(*modules: str) -> dict[str, list[str]]:
    """Import ``modules`` (and every submodule) in a clean interpreter; report what got loaded."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_core_modules_load_no_channel_web_or_sql_library() -> None:
    """Importing every bot.core module loads none of aiogram, telegram, SQLAlchemy, web frameworks or psycopg."""
    result = probe("bot.core")
    assert {"bot.core.engine", "bot.core.matcher", "bot.core.normalize", "bot.core.i18n"} <= set(
        result["imported"]
    )
    assert result["loaded"] == [], f"bot.core pulled in {result['loaded']}"


def test_the_probe_notices_a_forbidden_import() -> None:
    """The same probe does report SQLAlchemy when the storage layer is imported, so it can catch a leak."""
    result = probe("bot.storage.sql")
    assert any(name.startswith("sqlalchemy") for name in result["loaded"])
