"""Usage log: events (redacted, pseudonymous) and daily counts for the dashboard.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "usage_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("assisted_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_usage_events"),
        sa.UniqueConstraint("event_key", name="uq_usage_events_event_key"),
    )
    op.create_index("ix_usage_events_ts", "usage_events", ["ts"])
    op.create_index("ix_usage_events_person", "usage_events", ["person"])
    op.create_index("ix_usage_events_day_kind", "usage_events", ["day", "kind"])
    op.create_index("ix_usage_events_day_procedure", "usage_events", ["day", "procedure"])
    op.create_index("ix_usage_events_day_commune", "usage_events", ["day", "commune"])
    op.create_table(
        "usage_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("commune", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "commune", "kind", "procedure", name="pk_usage_daily"),
    )


def downgrade() -> None:
    op.drop_table("usage_daily")
    for name in ("day_commune", "day_procedure", "day_kind", "person", "ts"):
        op.drop_index(f"ix_usage_events_{name}", table_name="usage_events")
    op.drop_table("usage_events")
