"""The dashboard's tables (migrations 0004 and 0011), declared with the rest in :mod:`bot.storage.tables`."""

from __future__ import annotations

from bot.storage.tables import admin_audit, admin_daily_people, admin_users, inbox_dismissals, learned_aliases

ROLES = ("admin", "volunteer")

__all__ = ["ROLES", "admin_audit", "admin_daily_people", "admin_users", "inbox_dismissals", "learned_aliases"]
