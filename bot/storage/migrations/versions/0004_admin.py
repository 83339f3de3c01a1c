"""Admin dashboard: its users, the audit log of their actions, the phrasings they taught, and the
people counted per closed day (a distinct count cannot be added up from ``usage_daily``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Spelled out rather than taken from bot.storage.tables (see 0001).
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'volunteer')", name="ck_admin_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_admin_users"),
        sa.UniqueConstraint("username", name="uq_admin_users_username"),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_admin_audit"),
    )
    op.create_index("ix_admin_audit_ts", "admin_audit", ["ts"])
    op.create_table(
        "learned_aliases",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_learned_aliases"),
        sa.UniqueConstraint("procedure", "text", name="uq_learned_aliases_procedure_text"),
    )
    op.create_table(
        "admin_daily_people",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("commune", sa.String(64), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "commune", name="pk_admin_daily_people"),
    )


def downgrade() -> None:
    op.drop_table("admin_daily_people")
    op.drop_table("learned_aliases")
    op.drop_index("ix_admin_audit_ts", table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_table("admin_users")
