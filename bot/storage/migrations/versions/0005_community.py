"""Community digital technology teams: volunteers, their chat accounts, link codes, team groups,
help requests and assisted sessions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["volunteers.id"], name=f"fk_{table}_{column}_volunteers")


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("team", sa.String(120), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_volunteers"),
    )
    op.create_index("ix_volunteers_commune", "volunteers", ["commune"])
    op.create_table(
        "volunteer_accounts",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id", name="pk_volunteer_accounts"),
        _fk("volunteer_id", "volunteer_accounts"),
    )
    op.create_index("ix_volunteer_accounts_volunteer_id", "volunteer_accounts", ["volunteer_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column("used_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_link_codes"),
        _fk("volunteer_id", "link_codes"),
    )
    op.create_index("ix_link_codes_volunteer_id", "link_codes", ["volunteer_id"])
    op.create_table(
        "link_failures",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("window_start", _TS, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_link_failures"),
    )
    op.create_table(
        "team_chats",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("team", sa.String(120), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", name="pk_team_chats"),
        _fk("linked_by", "team_chats"),
    )
    op.create_index("ix_team_chats_commune", "team_chats", ["commune"])
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("request_key", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("need", sa.String(300), nullable=True),
        sa.Column("good_time", sa.String(16), nullable=True),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reminded_at", _TS, nullable=True),
        sa.Column("escalated_at", _TS, nullable=True),
        sa.Column("purged_at", _TS, nullable=True),
        sa.CheckConstraint("status IN ('open', 'claimed', 'closed', 'cancelled')", name="ck_help_requests_status"),
        sa.PrimaryKeyConstraint("id", name="pk_help_requests"),
        sa.UniqueConstraint("request_key", name="uq_help_requests_request_key"),
        _fk("claimed_by", "help_requests"),
    )
    op.create_index("ix_help_requests_created_at", "help_requests", ["created_at"])
    op.create_index("ix_help_requests_claimed_by", "help_requests", ["claimed_by"])
    op.create_index("ix_help_requests_status_commune", "help_requests", ["status", "commune"])
    op.create_index("ix_help_requests_channel_user_id", "help_requests", ["channel", "user_id"])
    op.create_table(
        "assist_sessions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("team", sa.String(120), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("procedures", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_assist_sessions"),
        _fk("volunteer_id", "assist_sessions"),
    )
    op.create_index("ix_assist_sessions_volunteer_id", "assist_sessions", ["volunteer_id"])
    op.create_index("ix_assist_sessions_started_at", "assist_sessions", ["started_at"])


def downgrade() -> None:
    for table in ("assist_sessions", "help_requests", "team_chats", "link_failures", "link_codes",
                  "volunteer_accounts", "volunteers"):  # fmt: skip
        op.drop_table(table)
