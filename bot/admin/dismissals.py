"""Questions an admin set aside in the inbox as junk ("asdf", "alo", a stray sticker's text).

A dismissal is a row naming the question's folded text (as the matcher folds it: accents, case,
spaces, punctuation, a letter held down), so "Lam cccd o dau???" and "làm CCCD ở đâu" are one
dismissal and a new spelling of a dismissed question stays out. The usage events themselves are never
touched, so every count (the overview's "not understood" among them) stays what it was, and
deleting the row undoes it. The inbox leaves out a group any of whose texts is dismissed, as it
does for taught ones, and lists them under "Dismissed", from where they can be restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.admin.aliases import fold_text
from bot.admin.schema import inbox_dismissals as table
from bot.core.text import fold

KEY_LIMIT = 500
"""Characters of folded text kept: room for any real question, and within PostgreSQL's limit on
an index entry whatever the letters."""


def dismissal_key(text: str) -> str:
    """How a question is stored and looked up: folded as the matcher folds it, at most KEY_LIMIT
    long; a text with no letter or digit ("😀😀", "???") by its case-folded, space-collapsed self.

    Stored keys must follow this function: a change to it (or to ``bot.core.text.fold``) needs a
    migration that re-keys the rows, as 0013 did."""
    return fold(text)[:KEY_LIMIT].strip() or fold_text(text)[:KEY_LIMIT]


def _now() -> datetime:
    return datetime.now(UTC)


class InboxDismissals:
    """The ``inbox_dismissals`` table. Every method is thread-safe (each opens its own connection)."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.clock = clock

    def dismiss(self, texts: Iterable[str], username: str) -> list[int]:
        """Set ``texts`` aside; returns the ids of the rows made now (what an undo removes). A text
        dismissed already (perhaps by another admin a moment ago) keeps its first row."""
        keys = sorted({k for k in map(dismissal_key, texts) if k})
        made: list[int] = []
        for key in keys:
            row = {"text": key, "created_by": username[:64], "created_at": self.clock()}
            try:
                with self.engine.begin() as connection:
                    made.append(int(connection.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()))
            except sa.exc.IntegrityError:
                continue
        return made

    def restore(self, ids: Iterable[int]) -> int:
        """Undo dismissals by id; returns how many rows went (ids gone already count nothing)."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        with self.engine.begin() as connection:
            return int(connection.execute(table.delete().where(table.c.id.in_(wanted))).rowcount or 0)

    def keys(self) -> dict[str, int]:
        """Every dismissed text (as :func:`dismissal_key` makes it) with its row's id."""
        with self.engine.connect() as connection:
            return {text: int(id_) for id_, text in connection.execute(sa.select(table.c.id, table.c.text))}
