"""Match a free-text question to a procedure (or to human help), with scores one threshold can cut.

Each procedure is a bag of weighted terms — single words and adjacent word pairs — drawn from its
names, aliases, example questions and FAQ phrasings, after the same normalisation as questions.
A question scores, for each procedure, the share of its own informative weight that the procedure
covers. Words the knowledge base has never seen count against every procedure, which is what lets
"thời tiết hôm nay" be declined even though "hôm nay" is common. Out-of-scope examples form one
more bag: a question closest to it is declined.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from bot.core.normalize import Normalizer
from bot.data.knowledge import HUMAN_HELP, KnowledgeBase

OUT_OF_SCOPE = "_out_of_scope"

ANSWER_AT = 0.50
"""At or above this score (and clear of the runner-up) the assistant answers."""
UNSURE_AT = 0.30
"""Below this score the assistant says honestly that it does not know."""
MARGIN = 0.10
"""A runner-up closer than this to the best turns an answer into "did you mean…"."""
UNKNOWN_WORD = 0.5
"""Weight of a word the knowledge base has never seen, relative to the rarest known word."""


class Decision(str, Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...]  # best first, at most three, never out_of_scope

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def procedure(self) -> str | None:
        """What the assistant would answer with; None when it asks or declines."""
        return self.candidates[0].id if self.decision is Decision.ANSWER else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def _terms(toks: Iterable[str], stop: frozenset[str]) -> set[str]:
    toks = list(toks)
    out = {t for t in toks if t not in stop}
    out.update(
        f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False) if not (a in stop and b in stop)
    )
    return out


class Matcher:
    """The question index, built once at start-up; ``add_alias`` extends it at run time."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.norm = Normalizer(kb.synonyms)
        self._texts: dict[str, list[tuple[list[str], bool]]] = defaultdict(list)
        for proc in kb.procedures.values():
            for text in (proc.names.vi, proc.names.en, *proc.aliases):
                self._texts[proc.id].append((self.norm.index_tokens(text), True))
            for text in proc.examples:
                self._texts[proc.id].append((self.norm.index_tokens(text), False))
            for faq in proc.faq:
                for text in (faq.q.vi, faq.q.en, *faq.match):
                    self._texts[proc.id].append((self.norm.index_tokens(text), False))
        for intent in kb.intents.intents:
            if intent.id == HUMAN_HELP:
                for text in intent.examples:
                    self._texts[HUMAN_HELP].append((self.norm.index_tokens(text), False))
        for text in kb.intents.out_of_scope:
            self._texts[OUT_OF_SCOPE].append((self.norm.index_tokens(text), False))
        self.norm.learn(toks for texts in self._texts.values() for toks, _ in texts)
        self._rebuild()

    def add_alias(self, target: str, text: str) -> None:
        """Teach the index a new phrasing for ``target`` (used at once, no restart)."""
        if target not in self._texts:
            raise KeyError(target)
        toks = self.norm.index_tokens(text)
        self._texts[target].append((toks, True))
        self.norm.learn([toks])
        self._rebuild()

    def _rebuild(self) -> None:
        stop = self.norm.stopwords
        weight: dict[str, dict[str, float]] = {}
        df: Counter[str] = Counter()
        for cls, texts in self._texts.items():
            tf: Counter[str] = Counter()
            named: set[str] = set()
            for toks, is_name in texts:
                terms = _terms(toks, stop)
                tf.update(terms)
                if is_name:
                    named |= terms
            # A term is central to a procedure if it names it or recurs in its questions.
            weight[cls] = {
                t: 1.0 if t in named else min(1.0, 0.55 + 0.15 * (n - 1)) for t, n in tf.items()
            }
            df.update(tf.keys())
        n = len(self._texts)
        # BM25's idf: a word every procedure uses weighs almost nothing.
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._unknown_weight = UNKNOWN_WORD * math.log(1 + (n - 0.5) / 1.5)
        self._weights = weight
        self._postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for cls, terms in weight.items():
            for t, w in terms.items():
                self._postings[t].append((cls, w))

    def scores(self, text: str) -> dict[str, float]:
        """Raw coverage per class (0..1) for a question; empty when nothing informative is in it."""
        toks = self.norm(text)
        stop = self.norm.stopwords
        terms = _terms(toks, stop)
        total = 0.0
        acc: dict[str, float] = defaultdict(float)
        for t in terms:
            idf = self._idf.get(t)
            if idf is None:
                if " " not in t:  # an unknown word: evidence against every procedure
                    total += self._unknown_weight
                continue
            total += idf
            for cls, w in self._postings[t]:
                acc[cls] += idf * w
        if total <= 0:
            return {}
        return {cls: s / total for cls, s in acc.items()}

    def match(self, text: str) -> Match:
        """Rank the procedures for a question and decide: answer, ask which one, or decline."""
        raw = self.scores(text)
        oos = raw.pop(OUT_OF_SCOPE, 0.0)
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        candidates = tuple(Candidate(cls, round(min(1.0, s), 4)) for cls, s in ranked)
        if not candidates:
            return Match(Decision.UNKNOWN, ())
        top = candidates[0].score
        second = candidates[1].score if len(candidates) > 1 else 0.0
        if top < UNSURE_AT or oos >= top:
            return Match(Decision.UNKNOWN, candidates)
        if top < ANSWER_AT or top - second < MARGIN:
            return Match(Decision.CLARIFY, candidates)
        return Match(Decision.ANSWER, candidates)
