"""Where the data folders are.

knowledge/, flows/ and locales/ sit beside bot/ in a checkout and inside the package (bot/_data/,
put there by hatch_build.py) in an installed wheel. A province that edits its own knowledge sets
TROLYSO_DATA_DIR to a folder holding knowledge/ and/or flows/; each one found there replaces the
shipped one whole (a merge of two trees would make it unclear which file answers). Locales are
code-like (the message ids are in bot/) and always come with the package.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import ConfigError

_PKG = Path(__file__).resolve().parent.parent
OVERRIDABLE = ("knowledge", "flows")


def data_root() -> Path:
    """The folder holding the shipped knowledge/, flows/ and locales/."""
    checkout = _PKG.parent
    if (checkout / "knowledge").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return _PKG / "_data"


def override_root() -> Path | None:
    """TROLYSO_DATA_DIR (environment or .env), checked: it must hold knowledge/ or flows/."""
    from bot.settings import Settings  # here, not at import: bot.core imports this module

    configured = Settings().data_dir
    if not configured:
        return None
    folder = Path(configured).expanduser()
    if not any((folder / name).is_dir() for name in OVERRIDABLE):
        raise ConfigError(f"TROLYSO_DATA_DIR: {folder} holds neither knowledge/ nor flows/ "
                          "(`trolyso kb copy FOLDER` writes the shipped ones there to start from)")  # fmt: skip
    return folder


def _folder(name: str) -> Path:
    override = override_root()
    if override is not None and (override / name).is_dir():
        return override / name
    return data_root() / name


def knowledge_dir() -> Path:
    return _folder("knowledge")


def flows_dir() -> Path:
    return _folder("flows")


def writable_knowledge_dir() -> Path:
    """knowledge/ to write into (taught phrasings): the checkout's or TROLYSO_DATA_DIR's, never
    the installed package's, which the next upgrade would silently replace."""
    folder = knowledge_dir()
    if folder.is_relative_to(_PKG / "_data"):
        raise ConfigError("the shipped knowledge/ is inside the installed package, and an upgrade would replace "
                          "what is written there: run `trolyso kb copy FOLDER`, set TROLYSO_DATA_DIR=FOLDER, "
                          "then write again")  # fmt: skip
    return folder


def locales_dir() -> Path:
    return data_root() / "locales"
