"""The OA's access token, refreshed with Zalo's one-time refresh token and kept in the database.

A refresh token works once: each refresh returns a new pair, and losing the new refresh token
means an OA admin must authorise the app again. So the pair is saved in one statement as soon
as Zalo returns it, and a restart (or another worker) reads it from the ``channel_tokens`` row
rather than from the settings, whose refresh token has been spent by then.

The settings only seed the row. The row remembers a fingerprint of the refresh token it was
seeded from; when the configured one changes, an admin has re-authorised the OA and the
configured pair replaces the stored one.

Two workers may meet an expired token at once. Within a process a lock lets one refresh; across
processes, a worker whose refresh Zalo refuses first re-reads the row, and uses the pair another
worker saved if there is one. Only when the row still holds the failed token is the refusal real.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.channels.zalo_api import ErrorKind, ZaloApiError
from bot.storage.tables import UtcDateTime

log = logging.getLogger("bot.channel.zalo")

REFRESH_AHEAD = timedelta(hours=1)
"""Refresh before sending when the access token has less than this left (it lives 25 h)."""

# The schema lives in bot/storage/tables.py and migration 0002; this is only a query handle.
channel_tokens = sa.table(
    "channel_tokens",
    sa.column("key", sa.String()),
    sa.column("access_token", sa.Text()),
    sa.column("refresh_token", sa.Text()),
    sa.column("expires_at", UtcDateTime()),
    sa.column("seeded_from", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UtcDateTime()),
)


class RefreshRefused(ZaloApiError):
    """Zalo would not refresh the token: an OA admin must authorise the app again.
    ``message`` is Zalo's reason (its ``error_description``)."""

    @property
    def kind(self) -> ErrorKind:
        return "refused"


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str | None
    expires_at: datetime | None = None
    version: int = 0


def fingerprint(secret: str | None) -> str:
    """A stand-in for a configured refresh token that does not reveal it."""
    return hashlib.sha256((secret or "").encode()).hexdigest()


class ZaloTokens:
    """The current access token; refreshes it ahead of expiry or after Zalo rejects it."""

    def __init__(self, *, db: sa.Engine | None, key: str, app_id: str, app_secret: str, oauth_base: str,
                 client: httpx.AsyncClient, seed: Tokens, clock: Callable[[], datetime] | None = None) -> None:  # fmt: skip
        self.db = db
        self.key = key
        self.app_id = app_id
        self.app_secret = app_secret
        self.url = oauth_base.rstrip("/") + "/v4/oa/access_token"
        self.client = client
        self.current = seed
        self._seed = fingerprint(seed.refresh)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()
        self.refreshed_at: datetime | None = None
        self.refused: str | None = None  # why the last refresh was refused, until one succeeds
        self.storage_error: str | None = None

    async def open(self) -> None:
        """Adopt the stored pair, or store the configured one (first start, or re-authorised)."""
        try:
            self.current = await asyncio.to_thread(self._open)
            self.storage_error = None
        except SQLAlchemyError as exc:
            self.storage_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            log.error("zalo tokens cannot be stored (%s); a refreshed token will be lost on restart. "
                      "Run `trolyso db upgrade` to create the channel_tokens table", self.storage_error)  # fmt: skip

    async def access_token(self) -> str:
        """The token to send with; refreshed first when it is about to expire."""
        expires = self.current.expires_at
        soon = expires is not None and expires - self._clock() < REFRESH_AHEAD
        if soon and self.current.refresh and self.refused is None:
            try:
                return await self.refresh(self.current.access)
            except ZaloApiError as exc:  # the old token may still work for a while: try it
                log.warning("zalo token refresh ahead of expiry failed: %s", exc)
        return self.current.access

    async def refresh(self, failed: str) -> str:
        """A new access token in place of ``failed``; raises :class:`RefreshRefused` when Zalo refuses."""
        async with self._lock:
            if self.current.access != failed:  # another turn refreshed while this one waited
                return self.current.access
            stored = await self._reload()
            if stored is not None and stored.access != failed:
                self.current = stored
                return stored.access
            if not self.current.refresh:
                raise self._refused(RefreshRefused(None, "no refresh token is configured"))
            try:
                fresh = await self._ask_zalo(self.current.refresh)
            except RefreshRefused as exc:
                await asyncio.sleep(0.2)  # a worker that won the same refresh may be saving it
                stored = await self._reload()
                if stored is not None and stored.access != failed:
                    self.current = stored
                    return stored.access
                raise self._refused(exc) from None
            self.current = await self._save(fresh)
            self.refreshed_at = self._clock()
            self.refused = None
            log.info("zalo access token refreshed; expires_at=%s", fresh.expires_at)
            return fresh.access

    def status(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"expires_at": iso(self.current.expires_at), "refreshed_at": iso(self.refreshed_at),
                "refresh_refused": self.refused, "storage_error": self.storage_error}  # fmt: skip

    # --- Zalo ------------------------------------------------------------------------------

    async def _ask_zalo(self, refresh_token: str) -> Tokens:
        form = {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        try:
            response = await self.client.post(self.url, data=form, headers={"secret_key": self.app_secret})
            body = response.json()
        except httpx.HTTPError as exc:
            raise ZaloApiError(None, f"token refresh: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:
            raise ZaloApiError(None, f"token refresh: HTTP {response.status_code}, not JSON") from exc
        body = body if isinstance(body, dict) else {}
        # The pair is at the top level in every source but one, which reads it under "data".
        found = body if "access_token" in body else body.get("data")
        if isinstance(found, dict) and found.get("access_token"):
            expires_in = _seconds(found.get("expires_in"))
            expires = self._clock() + timedelta(seconds=expires_in) if expires_in else None
            return Tokens(
                str(found["access_token"]), str(found.get("refresh_token") or refresh_token), expires
            )
        if response.status_code >= 500:
            raise ZaloApiError(None, f"token refresh: HTTP {response.status_code}")
        code = body.get("error")
        why = (
            body.get("error_description")
            or body.get("message")
            or body.get("error_name")
            or "no reason given"
        )
        raise RefreshRefused(code if isinstance(code, int) else None, str(why)[:200])

    def _refused(self, exc: RefreshRefused) -> RefreshRefused:
        self.refused = f"{exc.code}: {exc.message}" if exc.code is not None else exc.message
        log.error("zalo refused to refresh the OA access token (%s). Replies cannot be sent until an OA "
                  "admin authorises the app again and sets TROLYSO_ZALO_ACCESS_TOKEN and "
                  "TROLYSO_ZALO_REFRESH_TOKEN", self.refused)  # fmt: skip
        return exc

    # --- the database ----------------------------------------------------------------------

    async def _reload(self) -> Tokens | None:
        if self.db is None or self.storage_error:
            return None
        try:
            return await asyncio.to_thread(self._load)
        except SQLAlchemyError:
            log.exception("zalo tokens could not be read")
            return None

    async def _save(self, fresh: Tokens) -> Tokens:
        if self.db is None or self.storage_error:
            return fresh
        try:
            return await asyncio.to_thread(self._store, fresh)
        except SQLAlchemyError:
            log.exception("zalo: the refreshed token could not be saved; it is kept in memory only and a "
                          "restart will need a re-authorised OA")  # fmt: skip
            return fresh

    def _open(self) -> Tokens:
        if self.db is None:
            return self.current
        found = self._load_row()
        if found is not None and found[1] == self._seed:
            return found[0]
        if found is not None:
            log.info("zalo: the configured refresh token changed (the OA was re-authorised); using it")
        return self._store(self.current, seeded=True)

    def _load(self) -> Tokens | None:
        found = self._load_row()
        return found[0] if found else None

    def _load_row(self) -> tuple[Tokens, str | None] | None:
        assert self.db is not None
        t = channel_tokens.c
        query = sa.select(t.access_token, t.refresh_token, t.expires_at, t.version, t.seeded_from)
        with self.db.connect() as connection:
            row = connection.execute(query.where(t.key == self.key)).first()
        if row is None:
            return None
        return Tokens(row.access_token, row.refresh_token, row.expires_at, row.version), row.seeded_from

    def _store(self, tokens: Tokens, seeded: bool = False) -> Tokens:
        # Last writer wins: a pair Zalo has just issued is valid, whoever else refreshed meanwhile.
        assert self.db is not None
        t = channel_tokens.c
        try:
            with self.db.begin() as connection:
                version = (
                    connection.execute(sa.select(t.version).where(t.key == self.key)).scalar() or 0
                ) + 1
                values = self._row(tokens, version, seeded)
                if version == 1:
                    connection.execute(sa.insert(channel_tokens).values(values))
                else:
                    connection.execute(sa.update(channel_tokens).where(t.key == self.key).values(values))
        except IntegrityError:  # another worker stored the first row at the same moment: take theirs
            return self._load() or tokens
        return replace(tokens, version=version)

    def _row(self, tokens: Tokens, version: int, seeded: bool) -> dict[str, Any]:
        row = {"key": self.key, "access_token": tokens.access, "refresh_token": tokens.refresh,
               "expires_at": tokens.expires_at, "version": version, "updated_at": self._clock()}  # fmt: skip
        if seeded:
            row["seeded_from"] = self._seed
        return row


def _seconds(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
