"""One settings object, read from TROLYSO_* environment variables and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    def sqlite_path(self) -> Path | None:
        """The file of a SQLite URL, so it can be created beside the app on first start."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
