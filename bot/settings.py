"""One settings object, read from TROLYSO_* environment variables and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    """Safe defaults for a laptop: SQLite in ./var, no tokens, nothing exposed."""

    model_config = SettingsConfigDict(env_prefix="TROLYSO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///var/trolyso.sqlite3",
        description="Any SQLAlchemy URL: sqlite:///path.sqlite3 or postgresql+psycopg://user@host/db",
    )
    conversation_ttl_hours: float = Field(
        72.0, description="A conversation untouched for this long starts afresh", gt=0
    )
    default_language: str = Field("vi", description="Language when the platform gives no hint: vi or en")
    secret_key: SecretStr | None = Field(
        None, description="Key for pseudonymous ids and cookies; required in production"
    )
    production: bool = Field(False, description="Refuse to start without the secrets production needs")
    data_dir: str | None = Field(
        None, description="A folder whose knowledge/ and flows/ replace the shipped ones (a province's own edits)"
    )

    # --- the private usage log ---
    usage_log: bool = Field(True, description="Keep the private usage log (redacted questions, pseudonymous ids)")
    usage_retention_months: int = Field(
        12, ge=1, description="Usage events older than this are deleted (daily in the server, and by `trolyso db purge`)"
    )
    usage_spool_path: str | None = Field(
        None, description="Where events wait while the database is down (default: beside the SQLite file, else var/)"
    )
    usage_key_file: str | None = Field(
        None, description="Local key for pseudonymous ids when TROLYSO_SECRET_KEY is unset (never in production)"
    )
    usage_flush_seconds: float = Field(0.5, gt=0, description="How often queued usage events are written")
    usage_batch_size: int = Field(200, ge=1, description="Usage events per write transaction")
    usage_write_timeout_seconds: float = Field(
        5.0, gt=0, description="A usage write unanswered this long goes to the spool"
    )

    # --- the HTTP server (`trolyso serve`) ---
    host: str = Field("127.0.0.1", description="Address the HTTP server listens on")
    port: int = Field(8080, description="Port the HTTP server listens on", ge=1, le=65535)
    public_url: str | None = Field(None, description="https address the platforms reach us at (for webhooks)")
    channels: str = Field("web", description="Comma-separated channels to run: web, telegram, zalo")
    max_body_bytes: int = Field(256 * 1024, description="Webhook and chat requests larger than this get 413")
    web_frame_ancestors: str = Field(
        "*", description="Sites allowed to embed the web chat (CSP frame-ancestors), e.g. \"'self' https://dichvucong.nghean.gov.vn\""
    )

    # --- several workers (`trolyso serve --workers N`) ---
    workers: int = Field(1, ge=1, description="Worker processes `trolyso serve` runs; more than one needs PostgreSQL")
    redis_url: str | None = Field(
        None, description="Redis shared by the workers (redis://host:6379/0): leader lock, web chat push, taught phrasings"
    )
    redis_prefix: str = Field("trolyso:", description="Prefix of this deployment's Redis keys and channels")

    # --- security: rate limits (the `limits` notation: "30/minute;300/hour") and proxies ---
    trusted_proxies: str = Field("", description="Proxies whose X-Forwarded-For is believed, comma-separated addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8)")
    web_rate_per_user: str = Field("30/minute;400/hour", description="Web chat messages allowed per browser id")
    web_rate_per_address: str = Field("120/minute;2000/hour", description="Web chat messages allowed per client address (a commune office may share one)")
    link_rate_global: str = Field("60/hour;300/day", description="Wrong volunteer link codes allowed in total, all accounts together")
    login_rate_per_address: str = Field("10/minute;50/hour", description="Admin password checks allowed per client address")
    login_rate_global: str = Field("60/minute", description="Admin password checks allowed in total (keeps argon2 from starving the chat)")
    login_concurrency: int = Field(2, ge=1, description="Admin password checks (argon2) running at once, off the event loop")

    # --- the admin dashboard (/admin) ---
    admin_dashboard: bool = Field(True, description="Serve the admin dashboard at /admin (off: only webhooks, chat and health)")
    admin_session_hours: float = Field(8.0, description="An admin session ends this many hours after logging in", gt=0)
    admin_login_attempts: int = Field(5, description="Wrong passwords allowed per username and address before logins wait", ge=1)
    admin_lockout_seconds: float = Field(30.0, description="First wait after too many wrong passwords; doubles with each further one", gt=0)
    admin_lockout_max_seconds: float = Field(900.0, description="Longest wait between login attempts after wrong passwords", gt=0)
    admin_bootstrap: bool = Field(True, description="On SQLite with no admin yet, create 'admin' and print a one-time password")
    admin_alias_refresh_seconds: float = Field(30.0, description="How often a worker loads phrasings taught in other workers (0: never)", ge=0)
    admin_export_max_rows: int = Field(100_000, description="Most rows an export of the events browser writes", ge=1)
    admin_province: str = Field("Tỉnh", description="Name of the province, printed on the province-wide quarterly report")
    admin_pdf_font: str | None = Field(None, description="A .ttf font with Vietnamese letters for PDF reports; default: Be Vietnam Pro, shipped with the package")

    # --- Telegram ---
    telegram_library: str = Field("aiogram", description="aiogram (default) or ptb (python-telegram-bot)")
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather")
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (A-Z a-z 0-9 _ -)"
    )
    telegram_webhook_reply: bool = Field(
        True, description="Send a turn's last message in the webhook's HTTP response (one Bot API request fewer)"
    )
    telegram_api_base: str = Field("https://api.telegram.org", description="Bot API server (a local one in tests)")

    # --- Zalo Official Account ---
    zalo_app_id: str | None = Field(None, description="Zalo app id")
    zalo_app_secret: SecretStr | None = Field(None, description="Zalo app secret (refreshes access tokens)")
    zalo_oa_secret_key: SecretStr | None = Field(
        None, description="OA secret key from the Zalo app's webhook settings; signs webhook events"
    )
    zalo_max_event_age_seconds: float = Field(
        86400, description="Signed Zalo events older than this are acknowledged but not answered (retries keep their timestamp)", gt=0
    )
    zalo_ack_wait_seconds: float = Field(
        1.5, description="How long Zalo's webhook waits for the turn to be saved and answered before it answers 200 anyway (Zalo wants it within about 2 s)", ge=0, le=1.9
    )
    unsent_resend_after_seconds: float = Field(
        60.0, description="Replies acknowledged to Zalo or Telegram before they were sent are kept in the database; another worker sends them once they are this old and the worker that kept them no longer renews them (it died)", gt=0
    )
    zalo_oa_id: str | None = Field(None, description="The Official Account's id (its own echoed sends are ignored)")
    zalo_access_token: SecretStr | None = Field(None, description="Initial OA access token")
    zalo_refresh_token: SecretStr | None = Field(None, description="Initial one-time refresh token")
    zalo_api_base: str = Field("https://openapi.zalo.me", description="Zalo OA API server (a local one in tests)")
    zalo_oauth_base: str = Field("https://oauth.zaloapp.com", description="Zalo OAuth server (a local one in tests)")

    # Community digital technology teams: help requests and volunteers
    help_remind_minutes: float = Field(30.0, description="Remind the team of a help request nobody has taken after this many minutes", gt=0)
    help_escalate_minutes: float = Field(120.0, description="Escalate a help request nobody has taken to the province after this many minutes", gt=0)
    help_retention_days: int = Field(90, description="Days a help request keeps the citizen's phone number and words", ge=1)
    help_escalation_chats: str = Field("", description="Extra chats told of escalated requests, comma-separated channel:chat_id (e.g. telegram:-1001234567)")
    help_sweep_seconds: float = Field(60.0, description="How often a worker looks for help requests to remind about or escalate", gt=0)
    link_code_hours: float = Field(72.0, description="Hours a volunteer's one-time link code stays valid", gt=0)

    def escalation_targets(self) -> list[tuple[str, str]]:
        """``help_escalation_chats`` as (channel, chat_id) pairs; a malformed entry is a ConfigError."""
        pairs = []
        for item in self.help_escalation_chats.split(","):
            channel, sep, chat = item.strip().partition(":")
            if not item.strip():
                continue
            if not sep or not channel or not chat:
                raise ConfigError(f"TROLYSO_HELP_ESCALATION_CHATS: {item.strip()!r} is not channel:chat_id")
            pairs.append((channel.strip().lower(), chat.strip()))
        return pairs

    def enabled_channels(self) -> list[str]:
        return [c.strip().lower() for c in self.channels.split(",") if c.strip()]

    def sqlite_path(self) -> Path | None:
        """The file of a SQLite URL, so it can be created beside the app on first start."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
