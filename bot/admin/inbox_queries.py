"""The not-understood inbox and the events browser: the two pages that read single events.

Both read ``usage_events`` through its day indexes with a hard LIMIT, so a busy year costs the
same as a quiet week. The inbox groups questions that say the same thing — the same words after
the matcher's own normalisation (accents, case, synonyms, filler words), then near-identical
word sets — so an admin assigns a phrasing once for everyone who asked it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from rapidfuzz import fuzz, process

from bot.admin.aliases import fold_text
from bot.admin.dismissals import dismissal_key
from bot.admin.queries import NOT_UNDERSTOOD_KINDS
from bot.storage.tables import usage_events as events

INBOX_KINDS = NOT_UNDERSTOOD_KINDS
INBOX_SCAN = 5000
"""Most recent unanswered questions grouped; older ones wait until these are dealt with."""
SIMILAR = 85
"""Least rapidfuzz token-sort ratio (0-100) for two questions' word sets to share a group."""
FILLER = frozenset(
    ["a", "ah", "ak", "ad", "oi", "nhe", "nha", "nhi", "ha", "hen", "ne", "vay", "the", "thi", "em", "anh", "chi", "minh", "toi", "tui", "ban", "hoi", "xin", "giup", "vui", "long", "cam", "on", "please"]
)
"""Politeness and pronouns, left out of a question's key. Deliberately not the matcher's stopwords:
once accents are folded those include meaningful words ("đỏ" and "hộ" fold to "do" and "ho")."""


@dataclass
class InboxGroup:
    key: str
    count: int = 0
    last_seen: datetime | None = None
    texts: Counter[str] = field(default_factory=Counter)
    taught: bool = False  # one of its texts was assigned to a procedure
    dismissals: tuple[int, ...] = ()  # ids of the dismissals that set it aside (see bot.admin.dismissals)

    @property
    def waiting(self) -> bool:
        return not self.taught and not self.dismissals

    @property
    def text(self) -> str:
        """The phrasing asked most often (the latest one on a tie)."""
        return self.texts.most_common(1)[0][0]

    @property
    def variants(self) -> list[str]:
        return [t for t, _n in self.texts.most_common(6)][1:]


def group_key(tokens: Sequence[str], text: str) -> str:
    """A question's normalised words without filler, as a sorted set (the folded text if none)."""
    return " ".join(sorted({t for t in tokens if t not in FILLER})) or fold_text(text)


def inbox(connection: sa.Connection, start: date, end: date, tokens: Callable[[str], Sequence[str]],
          taught: set[str], commune: str | None = None) -> list[InboxGroup]:  # fmt: skip
    """The groups still waiting for an admin (see :func:`inbox_groups`), largest first."""
    return [g for g in inbox_groups(connection, start, end, tokens, taught, commune) if g.waiting]


def inbox_groups(connection: sa.Connection, start: date, end: date, tokens: Callable[[str], Sequence[str]],
                 taught: set[str], commune: str | None = None,
                 dismissed: Mapping[str, int] | None = None) -> list[InboxGroup]:  # fmt: skip
    """Groups of recent questions the assistant did not understand, largest first: every one of
    them, each marked taught or dismissed when it is.

    ``tokens`` normalises a question (the matcher's normaliser: accents, typos, synonyms). A group
    is taught when one of its texts is in ``taught`` (folded), and dismissed when one is among the
    keys of ``dismissed`` (see :func:`bot.admin.dismissals.dismissal_key`, mapped to row ids)."""
    query = (
        sa.select(events.c.text, events.c.ts)
        .where(events.c.day.between(start, end), events.c.kind.in_(INBOX_KINDS), events.c.text.is_not(None))
        .order_by(events.c.ts.desc())
        .limit(INBOX_SCAN)
    )
    if commune is not None:
        query = query.where(_commune_is(commune))
    exact: dict[str, InboxGroup] = {}
    for text, ts in connection.execute(query):
        key = group_key(tokens(text), text)
        group = exact.setdefault(key, InboxGroup(key))
        group.count += 1
        group.texts[text] += 1
        group.last_seen = max(group.last_seen or ts, ts)
    groups = _merge(exact.values())
    for group in groups:
        group.taught = any(fold_text(t) in taught for t in group.texts)
        if dismissed:
            group.dismissals = tuple(sorted({i for t in group.texts if (i := dismissed.get(dismissal_key(t)))}))
    return groups


def _commune_is(commune: str) -> sa.ColumnElement[bool]:
    """``""`` is the unknown commune, which events store as NULL."""
    return events.c.commune.is_(None) if commune == "" else events.c.commune == commune


def _merge(groups: Iterable[InboxGroup]) -> list[InboxGroup]:
    """Fold each group into the first larger one whose word set is nearly the same."""
    merged: list[InboxGroup] = []
    keys: list[str] = []
    for group in sorted(groups, key=lambda g: (-g.count, g.key)):
        found = process.extractOne(group.key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR)
        if found is None:
            merged.append(group)
            keys.append(group.key)
            continue
        target = merged[found[2]]
        target.count += group.count
        target.texts.update(group.texts)
        if group.last_seen and (target.last_seen is None or group.last_seen > target.last_seen):
            target.last_seen = group.last_seen
    return sorted(merged, key=lambda g: (-g.count, g.key))


# --- the events browser ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EventFilters:
    start: date
    end: date
    commune: str | None = None
    channel: str | None = None
    kind: str | None = None
    procedure: str | None = None
    person: str | None = None
    text: str | None = None


EVENT_COLUMNS = ("ts", "channel", "commune", "kind", "procedure", "score", "latency_ms", "locale",
                 "person", "assisted_by", "text")  # fmt: skip


def event_query(filters: EventFilters, with_text: bool) -> sa.Select[tuple[object, ...]]:
    """The filtered events, newest first; without ``text`` (and its filter) unless allowed."""
    columns = [events.c[name] for name in EVENT_COLUMNS if with_text or name != "text"]
    query = sa.select(*columns).where(events.c.day.between(filters.start, filters.end))
    for name in ("channel", "kind", "procedure", "person"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(events.c[name] == value)
    if filters.commune is not None:
        query = query.where(_commune_is(filters.commune))
    if with_text and filters.text:
        # Lowered here as well: SQLite's lower() folds ASCII letters only, PostgreSQL's all of them.
        query = query.where(events.c.text.icontains(filters.text.lower(), autoescape=True))
    return query.order_by(events.c.ts.desc(), events.c.id.desc())


def browse(connection: sa.Connection, filters: EventFilters, page: int, per_page: int = 50,
           with_text: bool = True) -> tuple[list[sa.Row[tuple[object, ...]]], bool]:  # fmt: skip
    """One page of events and whether another follows (no total: counting a year costs a scan)."""
    query = event_query(filters, with_text).limit(per_page + 1).offset(max(0, page - 1) * per_page)
    rows = list(connection.execute(query).all())
    return rows[:per_page], len(rows) > per_page
