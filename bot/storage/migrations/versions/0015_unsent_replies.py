"""Unsent replies: a turn acknowledged to Zalo or Telegram at the webhook's bound keeps the replies
still to send here until they are sent, so a worker killed meanwhile loses none (bot.web.late).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "unsent_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("replies", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unsent_replies"),
    )
    op.create_index("ix_unsent_replies_due_at", "unsent_replies", ["due_at"])


def downgrade() -> None:
    op.drop_table("unsent_replies")
