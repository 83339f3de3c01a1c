"""Pseudonymous person ids: the same person always gets the same id, nobody can reverse it.

The usage log counts returning people and honours erasure by person, so it needs a stable id,
but a platform user id (a Telegram number, a Zalo id) is personal data. A keyed hash gives both:
stable while the key stays, and without the key an id cannot be recomputed from a known user id
(a plain hash could, by hashing every plausible number).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.storage.private import private_dir

log = logging.getLogger("bot.usage")

ID_LENGTH = 32
"""Hex characters kept: 128 bits, far beyond any collision among a country's users."""

_PURPOSE = b"trolyso usage person id v1"
# The secret key also signs cookies; a derived key keeps the two uses apart.


@functools.lru_cache(maxsize=16384)  # the same people write again and again: one HMAC each
def person_id(secret: bytes, channel: str, user_id: str) -> str:
    """The pseudonym of ``user_id`` on ``channel``: HMAC-SHA256, hex, truncated to 32 characters."""
    return hmac.digest(secret, f"{channel}:{user_id}".encode(), "sha256").hex()[:ID_LENGTH]


def usage_secret(settings: Any) -> bytes:
    """The key for :func:`person_id`, from ``settings.secret_key`` or, outside production, a local file.

    Without a key in production the bot refuses to start: a key made up on the spot would give
    every restart (and every worker) different ids, and one lost with the machine would orphan
    the log from erasure requests.
    """
    configured = getattr(settings, "secret_key", None)
    if configured is not None:
        value = configured.get_secret_value() if hasattr(configured, "get_secret_value") else str(configured)
        if value:
            return hmac.digest(value.encode(), _PURPOSE, "sha256")
    if getattr(settings, "production", False):
        raise ConfigError(
            "TROLYSO_SECRET_KEY is not set: in production the usage log needs it to make pseudonymous "
            "person ids. Set it to a long random value, e.g. the output of "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`, and keep it: changing it '
            "splits every person's history in two."
        )
    return local_secret(key_file(settings))


def key_file(settings: Any) -> Path:
    """``usage_key_file`` from the settings, else ``usage.key`` beside the SQLite database, else var/."""
    configured = getattr(settings, "usage_key_file", None)
    if configured:
        return Path(configured)
    sqlite = settings.sqlite_path() if hasattr(settings, "sqlite_path") else None
    return (sqlite.parent if sqlite is not None else Path("var")) / "usage.key"


def local_secret(path: Path) -> bytes:
    """Read the key in ``path``, creating it (random, mode 0600) the first time.

    Two workers starting at once must end up with the same key: the new key is written to a
    temporary file and linked into place, which fails if the other worker got there first, and
    then its key is read instead.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=".usage-key-", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            log.warning("no TROLYSO_SECRET_KEY: created a local key for usage ids in %s (keep it)", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ConfigError(f"{path}: the usage key file is damaged (too short); delete it to make a new one")
    return hashlib.sha256(text.encode()).digest()
