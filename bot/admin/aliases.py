"""Phrasings taught in the dashboard: stored, applied to the live matcher, exported to knowledge/.

An admin assigns a not-understood question to a procedure; the phrasing goes into
``learned_aliases`` and into the running matcher at once, so the next person asking the same
thing gets the answer without a restart. Other workers hear a notice (:data:`NOTICE_TOPIC`,
through Redis when configured: :mod:`bot.coord.notices`) and load it at once; a periodic look
(``admin_alias_refresh_seconds``) is the safety net for a notice lost. Every worker loads them all
at start-up. Exporting writes them into ``knowledge/<id>.yaml`` so they
can be reviewed and shipped like any other alias.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
import yaml

from bot.admin.schema import learned_aliases as table

log = logging.getLogger("bot.admin")

NOTICE_TOPIC = "aliases"
"""The notice published when a phrasing is taught (its key: the new row's id)."""
TEXT_LIMIT = 1000
ALIAS_WORDS = 8
"""Longer phrasings (or questions) are exported as examples: knowledge checks warn on long aliases."""


class AliasTarget(Protocol):
    """What the dashboard needs of :class:`bot.core.matcher.Matcher`."""

    def add_alias(self, target: str, text: str) -> None: ...


@dataclass(frozen=True)
class Alias:
    id: int
    procedure: str
    text: str
    created_by: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


class LearnedAliases:
    """The ``learned_aliases`` table and the matcher it teaches.

    Matcher changes happen in the caller's thread (the event loop): a rebuild takes tens of
    milliseconds, and running it beside matching in another thread could show a turn a
    half-rebuilt index.
    """

    def __init__(self, engine: sa.Engine, matcher: AliasTarget | None, known: Iterable[str],
                 clock: Callable[[], datetime] = _now) -> None:  # fmt: skip
        self.engine = engine
        self.matcher = matcher
        self.known = frozenset(known)
        self.clock = clock
        self._applied = 0  # highest id taught to the matcher

    def fetch_new(self) -> list[Alias]:
        """Stored aliases not yet taught to this worker's matcher (thread-safe: reads only)."""
        query = sa.select(table).where(table.c.id > self._applied).order_by(table.c.id)
        with self.engine.connect() as connection:
            return [_alias(row) for row in connection.execute(query).all()]

    def apply(self, aliases: Sequence[Alias]) -> int:
        """Teach the matcher ``aliases`` (those of unknown procedures are skipped with a warning)."""
        aliases = [a for a in aliases if a.id > self._applied]  # fetched twice by racing refreshes
        if not aliases:
            return 0
        self._applied = max(a.id for a in aliases)
        if self.matcher is None:
            return 0
        usable = [a for a in aliases if a.procedure in self.known]
        for alias in aliases:
            if alias.procedure not in self.known:
                log.warning("learned alias %d names procedure %r, which the knowledge base lacks; skipped",
                            alias.id, alias.procedure)  # fmt: skip
        bulk: Callable[[Iterable[tuple[str, str]]], None] | None = getattr(self.matcher, "add_aliases", None)
        if bulk is not None:  # one index rebuild for all, when the matcher offers it
            bulk([(a.procedure, a.text) for a in usable])
        else:
            for alias in usable:
                self.matcher.add_alias(alias.procedure, alias.text)
        return len(usable)

    def store(self, procedure: str, text: str, username: str) -> Alias:
        """Save a phrasing for ``procedure`` (the same pair twice is one row); thread-safe."""
        text = " ".join(text.split())[:TEXT_LIMIT]
        if procedure not in self.known:
            raise KeyError(procedure)
        if not text:
            raise ValueError("an empty phrasing teaches nothing")
        row = {"procedure": procedure, "text": text, "created_by": username[:64], "created_at": self.clock()}
        try:
            with self.engine.begin() as connection:
                connection.execute(table.insert().values(**row))
        except sa.exc.IntegrityError:
            pass  # taught before (perhaps by another admin at the same moment): keep the first row
        query = sa.select(table).where(table.c.procedure == procedure, table.c.text == text)
        with self.engine.connect() as connection:
            return _alias(connection.execute(query).one())

    def all(self) -> list[Alias]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.procedure, table.c.id)).all()
        return [_alias(row) for row in rows]

    def texts(self) -> set[str]:
        """Every taught phrasing, folded, so the inbox can leave out what was already assigned."""
        with self.engine.connect() as connection:
            return {fold_text(t) for t in connection.execute(sa.select(table.c.text)).scalars()}


def fold_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _alias(row: sa.Row[tuple[int, str, str, str, datetime]]) -> Alias:
    return Alias(row.id, row.procedure, row.text, row.created_by, row.created_at)


def _section(text: str) -> str:
    return "examples" if len(text.split()) > ALIAS_WORDS or text.rstrip().endswith("?") else "aliases"


def export_yaml(aliases: Sequence[Alias]) -> str:
    """The taught phrasings as YAML by procedure, ready to paste into ``knowledge/<id>.yaml``."""
    grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"aliases": [], "examples": []})
    for alias in aliases:
        grouped[alias.procedure][_section(alias.text)].append(alias.text)
    lines = ["# Phrasings taught in the dashboard, by procedure: add each to knowledge/<procedure>.yaml",
             "# (or run `trolyso admin export-aliases`), then `trolyso kb check --strict`.", "version: 1"]  # fmt: skip
    for procedure in sorted(grouped):
        lines.append(f"{procedure}:")
        for section, texts in grouped[procedure].items():
            if texts:
                lines.append(f"  {section}:")
                lines += [f"    - {json.dumps(t, ensure_ascii=False)}" for t in texts]
    return "\n".join(lines) + "\n"


def write_to_knowledge(folder: Path, aliases: Sequence[Alias]) -> dict[str, int]:
    """Append each taught phrasing to its procedure file's ``aliases`` (or ``examples``) list.

    The files are edited line by line, not re-dumped, so their comments, quoting and order stay
    as the authors wrote them; a phrasing the file already lists is skipped. Returns the count
    added per file name."""
    added: dict[str, int] = {}
    by_procedure: dict[str, list[Alias]] = defaultdict(list)
    for alias in aliases:
        by_procedure[alias.procedure].append(alias)
    for procedure, items in sorted(by_procedure.items()):
        path = folder / f"{procedure}.yaml"
        if not path.exists():
            log.warning("no %s: %d taught phrasings not exported", path, len(items))
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        data = yaml.safe_load("\n".join(lines)) or {}
        present = {fold_text(str(t)) for key in ("aliases", "examples") for t in data.get(key) or ()}
        count = 0
        for alias in items:
            if fold_text(alias.text) in present:
                continue
            if _insert(lines, _section(alias.text), alias.text):
                present.add(fold_text(alias.text))
                count += 1
        if count:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            added[path.name] = count
    return added


def _insert(lines: list[str], section: str, text: str) -> bool:
    """Add ``- "text"`` at the end of the top-level block list ``section:``; False without one."""
    try:
        start = lines.index(f"{section}:")
    except ValueError:
        return False
    end = start + 1
    indent = "  "
    while end < len(lines) and (lines[end].startswith((" ", "#")) or not lines[end].strip()):
        if lines[end].lstrip().startswith("- "):
            indent = lines[end][: len(lines[end]) - len(lines[end].lstrip())]
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep blank lines after the block where they were
    lines.insert(end, f"{indent}- {json.dumps(text, ensure_ascii=False)}")
    return True
