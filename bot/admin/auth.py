"""Sessions in a signed cookie, a CSRF token per session, and login throttling.

The session cookie holds the user's id, the session's CSRF token, when it was issued and a
fingerprint of the password hash, signed with a key derived from TROLYSO_SECRET_KEY. Nothing
is stored server-side, so several workers share sessions for free; changing a password (or
deactivating the user, checked on every request) ends that user's sessions at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from bot.admin.accounts import User

SESSION_COOKIE = "trolyso_admin"
LOGIN_COOKIE = "trolyso_admin_login"  # the login form's CSRF token, before there is a session
LANG_COOKIE = "trolyso_admin_lang"
COOKIE_PATH = "/admin"
_PURPOSE = b"trolyso admin session v1"


def session_key(secret: bytes) -> bytes:
    """A key for admin cookies only, derived from the application's secret."""
    return hmac.digest(secret, _PURPOSE, "sha256")


def fingerprint(user: User) -> str:
    """Changes whenever the password does, so a new password ends the old sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Session:
    user_id: int
    csrf: str
    issued: float
    fingerprint: str


class Sessions:
    """Signs and checks session cookies; a cookie older than ``hours`` is refused."""

    def __init__(self, key: bytes, hours: float, clock: Callable[[], float] = time.time) -> None:
        self._signer = URLSafeSerializer(key, salt="session")
        self._login = URLSafeSerializer(key, salt="login-form")
        self.max_age = hours * 3600
        self.clock = clock

    def issue(self, user: User) -> tuple[str, Session]:
        session = Session(user.id, secrets.token_urlsafe(24), self.clock(), fingerprint(user))
        value = self._signer.dumps([session.user_id, session.csrf, session.issued, session.fingerprint])
        return value, session

    def read(self, value: str | None) -> Session | None:
        """The session in a cookie, or None when it is missing, forged, damaged or expired."""
        if not value:
            return None
        try:
            data: Any = self._signer.loads(value)
            session = Session(int(data[0]), str(data[1]), float(data[2]), str(data[3]))
        except (BadSignature, ValueError, TypeError, IndexError):
            return None
        age = self.clock() - session.issued
        return session if 0 <= age <= self.max_age else None

    def valid_for(self, session: Session, user: User | None) -> bool:
        return user is not None and user.active and hmac.compare_digest(session.fingerprint, fingerprint(user))

    def login_token(self) -> tuple[str, str]:
        """A CSRF token for the login form and its signed cookie value."""
        token = secrets.token_urlsafe(24)
        return token, self._login.dumps(token)

    def login_token_matches(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted:
            return False
        try:
            token = self._login.loads(cookie)
        except BadSignature:
            return False
        return isinstance(token, str) and hmac.compare_digest(token, submitted)


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class Throttle:
    """Wrong passwords per (username, address): after ``attempts`` of them, each further try must
    wait, ``base`` seconds at first and twice as long after every further miss, up to ``cap``.

    Kept in memory, per worker: a restart forgets it, which is acceptable for slowing down
    guessing (argon2 makes each guess slow as well); it never locks a user out for good."""

    MAX_KEYS = 10_000

    def __init__(self, attempts: int, base: float, cap: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.clock = clock
        self._failures: dict[tuple[str, str], _Failures] = {}

    def wait(self, username: str, address: str) -> float:
        """Seconds before this username may try again from this address (0: now)."""
        entry = self._failures.get((username.strip().lower(), address))
        return max(0.0, entry.locked_until - float(self.clock())) if entry else 0.0

    def failed(self, username: str, address: str) -> float:
        """Count a wrong password; returns the wait it causes."""
        key = (username.strip().lower(), address)
        if key not in self._failures and len(self._failures) >= self.MAX_KEYS:
            self._forget_stale()
        entry = self._failures.setdefault(key, _Failures())
        entry.count += 1
        if entry.count >= self.attempts:
            delay: float = min(self.cap, self.base * 2.0 ** (entry.count - self.attempts))
            entry.locked_until = self.clock() + delay
            return delay
        return 0.0

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop((username.strip().lower(), address), None)

    def _forget_stale(self) -> None:
        now = self.clock()
        stale = [k for k, e in self._failures.items() if e.locked_until + self.cap < now]
        for key in stale or list(self._failures)[: self.MAX_KEYS // 10]:
            del self._failures[key]
