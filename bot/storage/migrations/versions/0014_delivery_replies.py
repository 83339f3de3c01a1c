"""Deliveries keep the turn's replies: an update delivered again after a worker died between saving
its turn and sending the answer gets that answer (bot.storage.deliveries). Emptied after 24 hours.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: instant on PostgreSQL (no rewrite) and on SQLite, whatever the table holds.
    op.add_column("deliveries", sa.Column("replies", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("replies")
