"""The dashboard's tables (migration 0004), declared with the rest in :mod:`bot.storage.tables`."""

from __future__ import annotations

from bot.storage.tables import admin_audit, admin_daily_people, admin_users, learned_aliases

ROLES = ("admin", "volunteer")

__all__ = ["ROLES", "admin_audit", "admin_daily_people", "admin_users", "learned_aliases"]
