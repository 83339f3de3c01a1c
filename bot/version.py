"""The installed version, from the package metadata (pyproject.toml's ``version``, one place)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def trolyso_version() -> str:
    """"0.1.0" as installed; "0+unknown" when bot/ runs from a folder that was never installed."""
    try:
        return version("trolyso")
    except PackageNotFoundError:
        return "0+unknown"
