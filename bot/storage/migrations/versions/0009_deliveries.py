"""Deliveries: Telegram update ids and Zalo event ids already handled, saved with the turn's state,
so an update delivered again after a restart or to another worker is handled once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_seen_at", "deliveries", ["seen_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
