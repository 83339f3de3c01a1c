"""Admin sessions kept server-side, a CSRF token per session, and the limits on password checks.

A session is a row of ``admin_sessions``: the cookie carries a random token (signed with a key
derived from TROLYSO_SECRET_KEY, so a forged cookie costs no query) and the table keeps only the
token's SHA-256, the user, the session's CSRF token and when it ends. Every request reads the
row, so ending a session takes effect at once on every worker: logging out, changing the
password, deactivating the user and "end all my sessions" all revoke rows.

Password checks (argon2, ~50-100 ms of CPU each) are limited per client address and globally
(:mod:`bot.ratelimit`) and run off the event loop, a bounded number at a time, so a flood of
logins cannot starve the chat; wrong passwords for one username from one address also wait
longer and longer (:class:`Throttle`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from bot.admin.accounts import User
from bot.storage.tables import admin_sessions

SESSION_COOKIE = "trolyso_admin"
LOGIN_COOKIE = "trolyso_admin_login"  # the login form's CSRF token, before there is a session
LANG_COOKIE = "trolyso_admin_lang"
COOKIE_PATH = "/admin"
_PURPOSE = b"trolyso admin session v1"

T = TypeVar("T")


def session_key(secret: bytes) -> bytes:
    """A key for admin cookies only, derived from the application's secret."""
    return hmac.digest(secret, _PURPOSE, "sha256")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    id: str  # the SHA-256 of the cookie's token: the row's key
    user_id: int
    csrf: str
    issued: float


class Sessions:
    """Issues, reads and revokes server-side sessions; one that is older than ``hours``, revoked
    or of a deactivated user is refused. Methods touch the database: call them off the loop."""

    def __init__(self, key: bytes, hours: float, db: sa.Engine,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._signer = URLSafeSerializer(key, salt="session-v2")
        self._login = URLSafeSerializer(key, salt="login-form")
        self.max_age = hours * 3600
        self.db = db
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def issue(self, user: User) -> tuple[str, Session]:
        """A new session for ``user``: the cookie value and the session."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        session = Session(_digest(token), user.id, secrets.token_urlsafe(24), now.timestamp())
        with self.db.begin() as connection:
            connection.execute(admin_sessions.insert().values(
                id=session.id, user_id=user.id, csrf=session.csrf, created_at=now,
                expires_at=now + timedelta(seconds=self.max_age)))  # fmt: skip
            # Rows past their end are of no use to anyone: forget them as new ones are made.
            connection.execute(admin_sessions.delete().where(admin_sessions.c.expires_at < now - timedelta(days=1)))
        return self._signer.dumps(token), session

    def read(self, value: str | None) -> Session | None:
        """The live session of a cookie, or None when it is missing, forged, revoked or expired."""
        if not value:
            return None
        try:
            token = self._signer.loads(value)
        except BadSignature:
            return None
        if not isinstance(token, str):
            return None
        with self.db.connect() as connection:
            row = connection.execute(sa.select(admin_sessions).where(admin_sessions.c.id == _digest(token))).first()
        if row is None or row.revoked_at is not None or _aware(row.expires_at) <= self._now():
            return None
        return Session(row.id, row.user_id, row.csrf, _aware(row.created_at).timestamp())

    def valid_for(self, session: Session, user: User | None) -> bool:
        return user is not None and user.active and user.id == session.user_id

    def revoke(self, session_id: str) -> None:
        """End one session (logging out)."""
        self._revoke(admin_sessions.c.id == session_id)

    def revoke_user(self, user_id: int) -> int:
        """End every session of a user, on every worker at once; returns how many were live."""
        return self._revoke(admin_sessions.c.user_id == user_id)

    def _revoke(self, where: Any) -> int:
        with self.db.begin() as connection:
            done = connection.execute(admin_sessions.update().where(where, admin_sessions.c.revoked_at.is_(None))
                                      .values(revoked_at=self._now()))  # fmt: skip
        return int(done.rowcount or 0)

    def live(self, user_id: int) -> int:
        """How many sessions of the user are live (the account page shows it)."""
        now = self._now()
        with self.db.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(admin_sessions).where(
                admin_sessions.c.user_id == user_id, admin_sessions.c.revoked_at.is_(None),
                admin_sessions.c.expires_at > now)).scalar_one())  # fmt: skip

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


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the column stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


class PasswordChecks:
    """Runs argon2 checks off the event loop, at most ``concurrency`` at a time, so that logins,
    however many arrive, leave the event loop and the other cores to the chat."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))

    async def run(self, check: Callable[..., T], *args: Any) -> T:
        async with self._slots:
            return await asyncio.to_thread(check, *args)


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class Throttle:
    """Wrong passwords per (username, address): after ``attempts`` of them, each further try must
    wait, ``base`` seconds at first and twice as long after every further miss, up to ``cap``.

    A lockout policy for one account, on top of the shared budgets of :mod:`bot.ratelimit`
    (per address and global, which hold across workers). Kept per worker: a restart forgets it;
    it never locks a user out for good."""

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
