"""Assisted sessions: which papers of the checklist were missing when the citizen could not finish.

One row per paper: the procedure and the guide's own line for it (its checklist key and its
Vietnamese text), never anything about the person. Counted on /admin/teams ("Giấy tờ hay thiếu
nhất").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "assist_missing_papers",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("paper_key", sa.String(16), nullable=False),
        sa.Column("paper", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assist_missing_papers"),
        sa.ForeignKeyConstraint(["session_id"], ["assist_sessions.id"],
                                name="fk_assist_missing_papers_session_id_assist_sessions", ondelete="CASCADE"),
    )
    op.create_index("ix_assist_missing_papers_session_id", "assist_missing_papers", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_assist_missing_papers_session_id", table_name="assist_missing_papers")
    op.drop_table("assist_missing_papers")
