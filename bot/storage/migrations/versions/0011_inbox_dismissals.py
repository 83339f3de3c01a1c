"""Inbox dismissals: questions an admin set aside as junk (by folded text), undone by deleting
the row. Usage events are not touched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "inbox_dismissals",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_dismissals"),
        sa.UniqueConstraint("text", name="uq_inbox_dismissals_text"),
    )


def downgrade() -> None:
    op.drop_table("inbox_dismissals")
