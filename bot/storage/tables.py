"""The database schema in one place: every table is declared on :data:`metadata`.

Migrations under ``bot/storage/migrations`` create these tables; a test compares the two so a
table changed here without a migration fails CI. New tables (usage events, volunteers…) go here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)

# Explicit constraint names, so later migrations can alter them on every database alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite keeps no time zone and hands back naive values; storing UTC and re-attaching it on
    read keeps comparisons (``updated_at < cutoff``) right whichever clock zone the caller used.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one (e.g. datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


conversations = Table(
    "conversations",
    metadata,
    Column("key", String(200), primary_key=True),  # channel:user_id
    Column("state", Text, nullable=False),  # ConversationState as JSON
    Column("version", Integer, nullable=False),  # optimistic lock: +1 on every save
    # Last save, for expiry. Not indexed: every save changes it, only the daily purge reads it (0016).
    Column("updated_at", UtcDateTime, nullable=False),
)


channel_tokens = Table(
    "channel_tokens",
    metadata,
    Column("key", String(200), primary_key=True),  # channel:account, e.g. zalo:<oa_id>
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=True),  # one-time on Zalo: saved the moment a refresh returns it
    Column("expires_at", UtcDateTime, nullable=True),  # the access token's expiry, when known
    Column("seeded_from", String(64), nullable=True),  # sha256 of the configured refresh token the row came from
    Column("version", Integer, nullable=False),  # +1 on every save
    Column("updated_at", UtcDateTime, nullable=False),
)


# Usage log: one row per event, never a raw platform id or unredacted text (see bot.usage).
EventId = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid alias must be INTEGER

usage_events = Table(
    "usage_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("event_key", String(64), nullable=False, unique=True),  # idempotency: a replay never doubles
    Column("ts", UtcDateTime, nullable=False, index=True),
    Column("day", Date, nullable=False),  # the local (Vietnam) calendar day, for reports
    Column("channel", String(16), nullable=False),
    Column("person", String(64), nullable=False, index=True),  # keyed hash of channel:user id
    Column("locale", String(8)),
    Column("commune", String(64)),
    Column("kind", String(32), nullable=False),
    Column("procedure", String(64)),
    Column("score", Float),
    Column("latency_ms", Float),
    Column("text", Text),  # the question after redaction
    Column("assisted_by", String(64)),  # volunteer id when a volunteer was assisting
    Index("ix_usage_events_day_kind", "day", "kind"),
    Index("ix_usage_events_day_procedure", "day", "procedure"),
    Index("ix_usage_events_day_commune", "day", "commune"),
)

usage_daily = Table(
    "usage_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("commune", String(64), primary_key=True),  # "" when unknown
    Column("kind", String(32), primary_key=True),
    Column("procedure", String(64), primary_key=True),  # "" when none
    Column("count", Integer, nullable=False),
)
"""Pre-aggregated counts, so dashboard pages stay fast over millions of events."""


# Admin dashboard (migration 0004): its users, the audit log of their actions, the phrasings they
# taught the matcher, and distinct people per closed day (a distinct count cannot be summed).
admin_users = Table(
    "admin_users",
    metadata,
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

admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("ts", UtcDateTime, nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text),
)

learned_aliases = Table(
    "learned_aliases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("procedure", String(64), nullable=False),
    Column("text", String(1000), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("procedure", "text"),
)

# Inbox dismissals (migration 0011): questions an admin set aside as junk, by their folded text.
# The usage events stay as they were (counted everywhere); removing the row undoes the dismissal.
inbox_dismissals = Table(
    "inbox_dismissals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(1000), nullable=False, unique=True),  # casefolded, spaces collapsed
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

admin_daily_people = Table(
    "admin_daily_people",
    metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),  # "" on the row that marks the day as counted
    Column("commune", String(64), primary_key=True),  # "" when unknown
    Column("people", Integer, nullable=False),
)


# Admin sessions (migration 0008): one row per login, read on every request, so ending one
# (logout, password change, deactivation, "end all my sessions") holds at once on every worker.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token, never the token
    Column("user_id", Integer, ForeignKey("admin_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

# Community digital technology teams (migration 0005): volunteers and the chat accounts they linked,
# one-time link codes, team group chats, help requests and assisted sessions. A request's personal
# fields (user_id, phone, need) are blanked after the retention time; its counts stay for reports.
volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("team", String(120), nullable=False),
    Column("commune", String(64), index=True),  # None: a province-level helper
    Column("phone", String(20)),  # told to the citizen they call, so they know the call is genuine
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(64)),
)

volunteer_accounts = Table(
    "volunteer_accounts",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("volunteer_id", Integer, ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("linked_at", UtcDateTime, nullable=False),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # sha256 of the code: the code itself is never stored
    Column("volunteer_id", Integer, ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("used_by", String(64)),  # sha256 of the channel:user that redeemed it
)

link_failures = Table(
    "link_failures",
    metadata,
    Column("account", String(64), primary_key=True),  # sha256 of channel:user
    Column("window_start", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
)
"""Wrong link codes per chat account, so codes cannot be guessed (shared by every worker)."""

team_chats = Table(
    "team_chats",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("chat_id", String(128), primary_key=True),
    Column("commune", String(64), index=True),  # None: the province's group (escalations)
    Column("team", String(120), nullable=False),
    Column("linked_by", Integer, ForeignKey("volunteers.id")),
    Column("linked_at", UtcDateTime, nullable=False),
)

help_requests = Table(
    "help_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_key", String(64), nullable=False, unique=True),  # a retried turn stores it once
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("user_id", String(128)),  # to tell the citizen who will call; blanked after retention
    Column("phone", String(20)),  # blanked after retention
    Column("commune", String(64)),
    Column("need", String(300)),  # blanked after retention
    Column("good_time", String(16)),
    Column("procedure", String(64)),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", Integer, ForeignKey("volunteers.id"), index=True),
    Column("claimed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("outcome", String(16)),
    Column("reminded_at", UtcDateTime),
    Column("escalated_at", UtcDateTime),
    Column("purged_at", UtcDateTime),
    CheckConstraint("status IN ('open', 'claimed', 'closed', 'cancelled')", name="status"),
    Index("ix_help_requests_status_commune", "status", "commune"),
    Index("ix_help_requests_channel_user_id", "channel", "user_id"),
)

assist_sessions = Table(
    "assist_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("volunteer_id", Integer, ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("commune", String(64)),
    Column("team", String(120)),
    Column("channel", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("ended_at", UtcDateTime),
    Column("outcome", String(16)),  # online | office | unfinished | unknown (a new session began first)
    Column("reason", String(16)),
    Column("procedures", String(500)),  # comma-separated procedure ids helped with
)

# The papers of the checklist a citizen did not have when an assisted session could not finish
# (migration 0012): the guide's line, never anything about the person.
assist_missing_papers = Table(
    "assist_missing_papers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("assist_sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("procedure", String(64), nullable=False),
    Column("paper_key", String(16), nullable=False),  # bot.core.checklist.paper_key of the line
    Column("paper", String(400), nullable=False),  # the line's Vietnamese text, as the guide says it
)

COMMUNITY_TABLES = (assist_missing_papers, assist_sessions, help_requests, link_codes, link_failures, team_chats,
                    volunteer_accounts, volunteers)  # fmt: skip
"""The help desk's tables, children before the volunteers they point at: the order to empty them in."""


# Messages waiting for a chat that cannot be pushed to (migration 0006): the web chat page fetches
# them (a citizen told who will call them); fetched rows are deleted, forgotten ones purged.
outbox = Table(
    "outbox",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("body", Text, nullable=False),  # JSON: {"text": …, "buttons": […]}
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_outbox_channel_chat_id", "channel", "chat_id"),
)


deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(200), primary_key=True),  # channel:bot:update id, see bot.storage.deliveries
    Column("seen_at", UtcDateTime, nullable=False, index=True),  # for the purge after 48 h
    # The turn's replies (JSON), sent again if the update comes back: a worker may have died before
    # sending them (migration 0014). Emptied after 24 h by the same purge.
    Column("replies", Text, nullable=True),
)

# Replies a webhook acknowledged before they left (migration 0015, bot.web.late): written only when
# a 200 goes out at the bound with replies still to send, deleted once they are sent. ``due_at``
# is when another worker may send them: pushed forward while the worker that wrote the row is
# alive and still sending, and while a recovery run sends them (its lease).
unsent_replies = Table(
    "unsent_replies",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),  # the order they are sent again in
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("replies", Text, nullable=False),  # JSON, as bot.storage.deliveries encodes them
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False, index=True),
)

# Opt-in deadline reminders (migration 0010, bot.reminders): who, which guide, when — never the
# answers. ``stage`` counts the notices already sent (a few days before, then on the day);
# ``claimed_until`` is a worker's lease on a row while it sends, so two workers never both send.
reminders = Table(
    "reminders",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("flow", String(64), nullable=False),
    Column("due", Date, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),  # active | waiting | done | cancelled | dropped
    Column("stage", Integer, nullable=False),  # notices sent so far
    Column("next_on", Date, nullable=False),  # the day of the next notice
    Column("attempts", Integer, nullable=False),  # failed sends of the current notice
    Column("retry_at", UtcDateTime, nullable=True),
    Column("claimed_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),  # the last notice delivered
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("returned_at", UtcDateTime, nullable=True),  # the person opened the checklist from it
    Index("ix_reminders_status_next_on", "status", "next_on"),
    Index("ix_reminders_channel_user_id", "channel", "user_id"),
)
