"""Conversations without the index on ``updated_at``: every turn's save changes ``updated_at``, so
the index cost every save a second B-tree write (on SQLite 10–20 µs of CPU, a tenth of the save;
on PostgreSQL it also ruled out HOT updates), while only the daily purge of expired conversations
reads it — a scan of the table once a day (docs/benchmarks.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_conversations_updated_at", table_name="conversations")


def downgrade() -> None:
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])
