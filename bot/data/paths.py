"""Where the data folders are: beside the package in a checkout, inside it in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder holding knowledge/, flows/ and locales/."""
    checkout = _PKG.parent
    if (checkout / "knowledge").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return _PKG / "_data"


def knowledge_dir() -> Path:
    return data_root() / "knowledge"


def flows_dir() -> Path:
    return data_root() / "flows"


def locales_dir() -> Path:
    return data_root() / "locales"
