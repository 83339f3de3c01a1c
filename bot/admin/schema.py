"""The dashboard's tables (migration 0004), taken from :mod:`bot.storage.tables` when declared there.

Until ``tables.py`` declares them, they are declared here on a private ``MetaData`` with the
very same columns, so the dashboard works either way and the shared metadata (which a test
compares with the migrations) never holds a table twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from bot.storage import tables as shared
from bot.storage.tables import UtcDateTime

_local = MetaData(naming_convention=shared.metadata.naming_convention)


def _table(name: str, *parts: Column[object] | CheckConstraint | UniqueConstraint) -> Table:
    existing = shared.metadata.tables.get(name)
    return existing if existing is not None else Table(name, _local, *parts)


ROLES = ("admin", "volunteer")

admin_users = _table(
    "admin_users",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # argon2id, never the password
    Column("role", String(16), nullable=False),  # admin | volunteer
    Column("commune", String(64)),  # a volunteer's commune; None for a province admin
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("must_change_password", Boolean, nullable=False, server_default=false()),  # one-time password
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("role IN ('admin', 'volunteer')", name="role"),
)

admin_audit = _table(
    "admin_audit",
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts", UtcDateTime, nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text),
)

learned_aliases = _table(
    "learned_aliases",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("procedure", String(64), nullable=False),
    Column("text", String(1000), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("procedure", "text"),
)

admin_daily_people = _table(
    "admin_daily_people",
    Column("day", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),  # "" on the row that marks the day as counted
    Column("commune", String(64), primary_key=True),  # "" when unknown
    Column("people", Integer, nullable=False),
)
"""Distinct people per closed day, channel and commune, counted once from ``usage_events``."""
