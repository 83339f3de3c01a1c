"""What teaching a phrasing would change, shown before it is saved.

The preview builds a matcher of its own from the knowledge base and every stored phrasing, plus
the ones about to be taught, and asks both it and a like one without them about each phrasing and
a few ways a citizen would type it (no accents, inside a polite question). The live matcher is
never touched: it is rebuilt only in the event loop, and a copy taken beside that could be half
rebuilt; building afresh runs in a worker thread (a few hundred milliseconds) and stalls no chat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.matcher import Decision, Match, Matcher
from bot.core.text import fold
from bot.data.knowledge import KnowledgeBase

VARIANTS_PER_TEXT = 3


@dataclass(frozen=True)
class Answer:
    """What the assistant does with a question: its decision and the procedures it names."""

    decision: Decision
    procedures: tuple[str, ...]  # the answer, or the choices it asks between
    topic: str | None = None  # the not-covered topic's id

    @classmethod
    def of(cls, match: Match) -> Answer:
        if match.decision is Decision.ANSWER:
            return cls(match.decision, (match.candidates[0].id,))
        if match.decision is Decision.CLARIFY:
            return cls(match.decision, tuple(c.id for c in match.candidates[:2]))
        topic = match.not_covered.id if match.not_covered is not None else None
        return cls(match.decision, (), topic)

    def answers(self, procedure: str) -> bool:
        return self.decision is Decision.ANSWER and self.procedures == (procedure,)


@dataclass(frozen=True)
class PreviewRow:
    text: str
    now: Answer
    after: Answer
    taught: bool  # one of the phrasings being taught, rather than a way of typing one

    @property
    def changed(self) -> bool:
        return self.now != self.after


def variants(text: str) -> list[str]:
    """``text`` and close ways of typing it: without accents, inside a polite question."""
    text = " ".join(text.split())
    found = [text, fold(text), f"cho em hỏi {text.rstrip('?.! ')} ạ"]
    return list(dict.fromkeys(v for v in found if v))[:VARIANTS_PER_TEXT]


def _matcher(kb: KnowledgeBase, taught: Iterable[tuple[str, str]]) -> Matcher:
    matcher = Matcher(kb)
    known = [(p, t) for p, t in taught if p in kb.procedures]
    if known:
        matcher.add_aliases(known)
    return matcher


def preview(kb: KnowledgeBase, stored: Sequence[tuple[str, str]], procedure: str,
            texts: Sequence[str]) -> list[PreviewRow]:  # fmt: skip
    """For each of ``texts`` and its :func:`variants`, what the assistant answers now (the knowledge
    base and the ``stored`` phrasings, as (procedure, text)) and once ``texts`` are taught for
    ``procedure``. Thread-safe: it builds its own matchers."""
    now = _matcher(kb, stored)
    after = _matcher(kb, [*stored, *((procedure, t) for t in texts)])
    rows: list[PreviewRow] = []
    seen: set[str] = set()
    for text in texts:
        for i, variant in enumerate(variants(text)):
            if variant in seen:
                continue
            seen.add(variant)
            rows.append(PreviewRow(variant, Answer.of(now.match(variant)), Answer.of(after.match(variant)), i == 0))
    return rows
