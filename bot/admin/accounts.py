"""Dashboard users with argon2 password hashes, and the audit log of what they did.

Synchronous SQLAlchemy Core, like the rest of the storage code: the web handlers run these calls
in a thread so the event loop never waits on the database or on argon2's deliberate slowness.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.admin.schema import ROLES, admin_audit, admin_users
from bot.errors import TrolysoError
from bot.storage.tables import admin_sessions

MIN_PASSWORD = 10
"""Characters a password needs at least; long beats clever for people typing on phones."""
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

# Verified against when the username is unknown, so a wrong name costs as long as a wrong password
# and response times do not reveal which usernames exist.
_DUMMY_HASH = PasswordHasher().hash("not a password of anyone")


class AccountError(TrolysoError):
    """A user cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    commune: str | None
    active: bool
    must_change_password: bool
    password_hash: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class AuditEntry:
    ts: datetime
    username: str
    action: str
    detail: str | None


def _now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    """Users and the audit log in the database of ``engine`` (migrated to 0004 or later)."""

    def __init__(
        self, engine: sa.Engine, hasher: PasswordHasher | None = None, clock: Callable[[], datetime] = _now
    ) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.clock = clock

    # --- users -----------------------------------------------------------------------------
    def create(self, username: str, password: str, role: str, commune: str | None = None,
               must_change_password: bool = False) -> User:  # fmt: skip
        """A new active user; raises :class:`AccountError` on a taken name or a weak password."""
        username = username.strip().lower()
        commune = (commune or "").strip() or None
        if not USERNAME_RE.match(username):
            raise AccountError(f"username {username!r}: use 2-64 lowercase letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role {role!r}: choose admin or volunteer")
        if role == "volunteer" and commune is None:
            raise AccountError("a volunteer needs a commune (--commune): they see their commune only")
        _check_password(password)
        row = {"username": username, "password_hash": self.hasher.hash(password), "role": role,
               "commune": commune, "active": True, "must_change_password": must_change_password,
               "created_at": self.clock()}  # fmt: skip
        try:
            with self.engine.begin() as connection:
                connection.execute(admin_users.insert().values(**row))
        except sa.exc.IntegrityError as exc:
            raise AccountError(f"the username {username!r} is taken; choose another") from exc
        user = self.get_by_name(username)
        assert user is not None
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, or None; upgrades an outdated hash."""
        user = self.get_by_name(username.strip().lower())
        try:
            self.hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if self.hasher.check_needs_rehash(user.password_hash):
            # Stronger settings since this hash was made: store a new one, and hand back the user
            # with it, since sessions are tied to the hash they were issued under.
            self._update(user.username, password_hash=self.hasher.hash(password))
            user = self.get_by_name(user.username)
        return user

    def set_password(self, username: str, password: str, must_change_password: bool = False) -> None:
        """A new password; every session of the user ends (on every worker, at once)."""
        _check_password(password)
        digest = self.hasher.hash(password)
        if not self._update(username, password_hash=digest, must_change_password=must_change_password):
            raise AccountError(f"no user {username!r}")
        self._end_sessions(username)

    def set_active(self, username: str, active: bool) -> None:
        """(De)activate a user; deactivation ends every session of theirs at once."""
        if not self._update(username, active=active):
            raise AccountError(f"no user {username!r}")
        if not active:
            self._end_sessions(username)

    def _end_sessions(self, username: str) -> None:
        user = sa.select(admin_users.c.id).where(admin_users.c.username == username).scalar_subquery()
        with self.engine.begin() as connection:
            connection.execute(admin_sessions.update().where(admin_sessions.c.user_id == user,
                                                             admin_sessions.c.revoked_at.is_(None))
                               .values(revoked_at=self.clock()))  # fmt: skip

    def get(self, user_id: int) -> User | None:
        return self._one(admin_users.c.id == user_id)

    def get_by_name(self, username: str) -> User | None:
        return self._one(admin_users.c.username == username)

    def all(self) -> list[User]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(admin_users).order_by(admin_users.c.username)).all()
        return [_user(row) for row in rows]

    def count_admins(self) -> int:
        query = sa.select(sa.func.count()).select_from(admin_users).where(admin_users.c.role == "admin")
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def _one(self, where: sa.ColumnElement[bool]) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(admin_users).where(where)).one_or_none()
        return None if row is None else _user(row)

    def _update(self, username: str, **values: object) -> bool:
        statement = admin_users.update().where(admin_users.c.username == username).values(**values)
        with self.engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    # --- audit -----------------------------------------------------------------------------
    def audit(self, username: str, action: str, detail: str | None = None) -> None:
        """Record one admin action (a login, an alias taught, a report made…)."""
        row = {"ts": self.clock(), "username": username[:64], "action": action[:64], "detail": detail}
        with self.engine.begin() as connection:
            connection.execute(admin_audit.insert().values(**row))

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        query = (
            sa.select(admin_audit.c.ts, admin_audit.c.username, admin_audit.c.action, admin_audit.c.detail)
            .order_by(admin_audit.c.ts.desc(), admin_audit.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as connection:
            return [AuditEntry(*row) for row in connection.execute(query).all()]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def _user(row: sa.Row[object]) -> User:
    return User(row.id, row.username, row.role, row.commune, bool(row.active),
                bool(row.must_change_password), row.password_hash)  # fmt: skip
