"""Inbox dismissals keyed by the text folded as the matcher folds it (accents, case, spaces,
punctuation), no longer only case-folded: the rows made before are re-keyed. Rows that now name the
same question become one, the oldest (its id is what an undo link or the "Dismissed" view holds).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

table = sa.table("inbox_dismissals", sa.column("id", sa.Integer()), sa.column("text", sa.String(1000)),
                 sa.column("created_by", sa.String(64)), sa.column("created_at", sa.DateTime(timezone=True)))  # fmt: skip


def upgrade() -> None:
    # The key is the application's own (a data migration must produce what the code looks up);
    # a later change to it needs a migration of its own, like this one.
    from bot.admin.dismissals import dismissal_key

    connection = op.get_bind()
    rows = connection.execute(sa.select(table).order_by(table.c.id)).all()
    kept: set[str] = set()
    gone: list[int] = []
    rekeyed: list[dict[str, object]] = []
    for row in rows:
        key = dismissal_key(row.text)
        if key in kept or key != row.text:
            gone.append(row.id)  # a younger double, or a row to write again under its new key
        if key not in kept and key != row.text:
            rekeyed.append({"id": row.id, "text": key, "created_by": row.created_by, "created_at": row.created_at})
        kept.add(key)
    # Deleted first and written again with the same id, so no row ever takes a key (text is
    # unique) that another row still holds; every key written is one no remaining row holds.
    for chunk in range(0, len(gone), 500):
        connection.execute(table.delete().where(table.c.id.in_(gone[chunk : chunk + 500])))
    if rekeyed:
        connection.execute(table.insert(), rekeyed)


def downgrade() -> None:
    pass  # the folded keys work as they are (older code simply misses more spellings)
