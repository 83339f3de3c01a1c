"""The dashboard's settings, read from the settings object with defaults until they join it.

Declared as (name, default, help), the way :class:`bot.settings.Settings` declares its own, so
the README table and the settings class can be filled from :data:`SETTINGS` word for word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SETTINGS: tuple[tuple[str, object, str], ...] = (
    ("admin_dashboard", True, "Serve the admin dashboard at /admin (off: only webhooks, chat and health)"),
    ("admin_session_hours", 8.0, "An admin session ends this many hours after logging in"),
    ("admin_login_attempts", 5, "Wrong passwords allowed per username and address before logins wait"),
    ("admin_lockout_seconds", 30.0, "First wait after too many wrong passwords; doubles with each further one"),
    ("admin_lockout_max_seconds", 900.0, "Longest wait between login attempts after wrong passwords"),
    ("admin_bootstrap", True, "On SQLite with no admin yet, create 'admin' and print a one-time password"),
    ("admin_alias_refresh_seconds", 30.0, "How often a worker loads phrasings taught in other workers"),
    ("admin_export_max_rows", 100_000, "Most rows an export of the events browser writes"),
    ("admin_province", "Tỉnh", "Name of the province, printed on the province-wide quarterly report"),
    ("admin_pdf_font", "", "A .ttf font with Vietnamese letters for PDF reports; default: Be Vietnam Pro, shipped with the package"),
)


@dataclass(frozen=True)
class AdminConfig:
    """What the dashboard reads from the settings; tests build one directly."""

    dashboard: bool = True
    session_hours: float = 8.0
    login_attempts: int = 5
    lockout_seconds: float = 30.0
    lockout_max_seconds: float = 900.0
    bootstrap: bool = True
    alias_refresh_seconds: float = 30.0
    export_max_rows: int = 100_000
    province: str = "Tỉnh"
    pdf_font: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> AdminConfig:
        """Each ``TROLYSO_ADMIN_*`` value from ``settings`` when it has one, else the default."""
        values: dict[str, Any] = {name: getattr(settings, name, default) for name, default, _help in SETTINGS}
        return cls(
            dashboard=bool(values["admin_dashboard"]),
            session_hours=float(values["admin_session_hours"]),
            login_attempts=int(values["admin_login_attempts"]),
            lockout_seconds=float(values["admin_lockout_seconds"]),
            lockout_max_seconds=float(values["admin_lockout_max_seconds"]),
            bootstrap=bool(values["admin_bootstrap"]),
            alias_refresh_seconds=float(values["admin_alias_refresh_seconds"]),
            export_max_rows=int(values["admin_export_max_rows"]),
            province=str(values["admin_province"]),
            pdf_font=str(values["admin_pdf_font"] or ""),
        )
