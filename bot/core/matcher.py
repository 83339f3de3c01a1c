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
from enum import StrEnum
from itertools import pairwise

from bot.core.normalize import Normalizer
from bot.data.knowledge import HUMAN_HELP, KnowledgeBase

OUT_OF_SCOPE = "_out_of_scope"

ANSWER_AT = 0.5
"""At or above this calibrated score the assistant answers."""
UNSURE_AT = 0.25
"""Below this score the assistant says honestly that it does not know; between, it asks "did you
mean…" with the top candidates."""
OOS_RATIO = 0.7
"""Declined when out-of-scope examples cover the question at least this much of the best procedure."""
CALIBRATION = (2.294, 4.608, -1.585, -4.723, -1.058, 4.219, -2.671)
"""Weights of (coverage, margin, known share, out-of-scope, name evidence, evidence mass) and the bias."""
NAME_SHARE = 0.5
"""Strength of a term that appears in a procedure's names or aliases (see ``_rebuild``)."""
NAMED_SHARE = 0.3
"""Least share of a term's use a procedure must have for the term to count as its name."""
MASS_REF = 18
"""Informative weight (sum of known term weights) at which a question has enough to go on."""
NEAREST = 0.3
"""Share of a class's score that comes from its single best-matching text (see ``_nearest``)."""
NAME_BONUS = 0.5
LEAD_MAX = 1.6
LEAD_STEP = 0.1
"""The first content word weighs LEAD_MAX, each later one LEAD_STEP less, down to 1."""
UNKNOWN_WORD = 0.5
"""Weight of a word the knowledge base has never seen, relative to the rarest known word."""


class Decision(StrEnum):
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
    out = {t for t in toks if t not in stop and not t.isdigit()}  # a bare number names nothing
    out.update(
        f"{a} {b}" for a, b in pairwise(toks) if not (a in stop and b in stop)
    )
    return out


def _positioned_terms(toks: list[str] | tuple[str, ...], stop: frozenset[str]) -> dict[str, float]:
    """Terms of a question with a weight for their position: Vietnamese puts the topic first
    ("khai sinh cho con mà bố mẹ chưa đăng ký kết hôn" is about the birth), so the first content
    words count more than the details that follow."""
    out: dict[str, float] = {}
    content = 0
    for i, tok in enumerate(toks):
        lead = LEAD_MAX - LEAD_STEP * min(content, (LEAD_MAX - 1) / LEAD_STEP) if LEAD_STEP else 1.0
        if tok not in stop and not tok.isdigit():
            out[tok] = max(out.get(tok, 0.0), lead)
            content += 1
        if i + 1 < len(toks) and not (tok in stop and toks[i + 1] in stop):
            pair = f"{tok} {toks[i + 1]}"
            out[pair] = max(out.get(pair, 0.0), lead)
    return out


_NAME_FILLER = frozenset(["lam", "cho", "toi", "minh", "em", "anh", "chi", "a", "ah", "oi", "nhe", "nha", "the", "thu", "tuc", "ve", "hoi", "xin", "giup"])


def _name_key(toks: Iterable[str]) -> tuple[str, ...]:
    """A name as typed, without the words around it ("làm", "cho tôi", "thủ tục", "thẻ")."""
    return tuple(t for t in toks if t not in _NAME_FILLER)


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
        self.norm.learn(
            (toks for texts in self._texts.values() for toks, _ in texts),
            (toks for cls, texts in self._texts.items() if cls != OUT_OF_SCOPE for toks, named in texts if named),
        )
        self._rebuild()

    def add_alias(self, target: str, text: str) -> None:
        """Teach the index a new phrasing for ``target`` (used at once, no restart)."""
        if target not in self._texts:
            raise KeyError(target)
        toks = self.norm.index_tokens(text)
        self._texts[target].append((toks, True))
        self.norm.learn([toks], [toks])
        self._rebuild()

    def add_aliases(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Teach several phrasings with one index rebuild (start-up loads them all)."""
        learned = []
        for target, text in pairs:
            if target not in self._texts:
                raise KeyError(target)
            toks = self.norm.index_tokens(text)
            self._texts[target].append((toks, True))
            learned.append(toks)
        if learned:
            self.norm.learn(learned, learned)
            self._rebuild()

    def _rebuild(self) -> None:
        stop = self.norm.stopwords
        # A message that is exactly one procedure's name ("vneid", "làm cccd") is answered even
        # when that name is also mentioned all over the other procedures' texts.
        owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for cls, texts in self._texts.items():
            if cls == OUT_OF_SCOPE:
                continue
            for toks, is_name in texts:
                key = _name_key(toks)
                if is_name and key:
                    owners[key].add(cls)
        self._exact = {key: next(iter(c)) for key, c in owners.items() if len(c) == 1}
        freq: dict[str, dict[str, float]] = defaultdict(dict)  # term -> class -> strength
        self._named: dict[str, frozenset[str]] = {}
        seen: Counter[str] = Counter()  # term -> texts containing it, over all classes
        named_any: set[str] = set()
        sizes = sorted(len(texts) for cls, texts in self._texts.items() if cls != OUT_OF_SCOPE)
        typical = sizes[len(sizes) // 2] if sizes else 1
        docs: list[tuple[str, frozenset[str]]] = []
        for cls, texts in self._texts.items():
            tf: Counter[str] = Counter()
            named: set[str] = set()
            for toks, is_name in texts:
                terms = _terms(toks, stop)
                if len(terms) > 1:
                    docs.append((cls, frozenset(terms)))
                tf.update(terms)
                if is_name:
                    named |= terms
            # Out-of-scope examples are many small topics, not one: weigh them like one procedure.
            size = typical if cls == OUT_OF_SCOPE else max(1, len(texts))
            for t, count in tf.items():
                # How typical the term is of this class: share of its texts, at least NAME_SHARE
                # when it names the procedure (an alias said once is as telling as many examples).
                share = count / size
                freq[t][cls] = max(share, NAME_SHARE) if t in named else share
            seen.update(tf)
            named_any |= named
            self._named[cls] = frozenset(named)
        n = len(self._texts)
        # An alias word names a procedure only if that procedure owns most of its use: "căn cước"
        # names the identity card though many others mention it; "hồ sơ" names nothing.
        def owns(cls: str, t: str) -> bool:
            return freq[t][cls] / sum(freq[t].values()) >= NAMED_SHARE

        self._named = {cls: frozenset(t for t in named if owns(cls, t)) for cls, named in self._named.items()}
        named_any = set().union(*self._named.values()) if self._named else set()
        self._postings: dict[str, list[tuple[str, float]]] = {}
        self._weight: dict[str, float] = {}
        for t, per_class in freq.items():
            total = sum(per_class.values())
            self._postings[t] = [(cls, f / total) for cls, f in per_class.items()]
            # The effective number of procedures using the term (inverse Simpson index): passing
            # mentions elsewhere ("cần thẻ căn cước" in a VNeID example) barely lower the weight
            # of a term one procedure owns.
            df = 1.0 / sum((f / total) ** 2 for f in per_class.values())
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            # A word met once, in one example, may be incidental ("Vinh"); trust it less.
            reliable = 1.0 if t in named_any else min(1.0, 0.5 + 0.25 * seen[t])
            self._weight[t] = idf * reliable
        self._unknown_weight = UNKNOWN_WORD * math.log(1 + (n - 0.5) / 1.5)
        # Single texts, indexed by term, for the nearest-text evidence.
        self._doc_class = [cls for cls, _ in docs]
        self._doc_weight = [sum(self._weight[t] for t in terms) for _, terms in docs]
        self._doc_postings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, (cls, doc_terms) in enumerate(docs):
            for t in doc_terms:
                self._doc_postings[cls][t].append(i)

    def named_terms(self) -> dict[str, frozenset[str]]:
        """Per procedure, the terms (words and word pairs) that name it: its own, not shared."""
        return self._named

    def scores(self, text: str) -> dict[str, float]:
        """Raw coverage per class (0..1) for a question; empty when nothing informative is in it."""
        return self.evidence(text)[0]

    def evidence(self, text: str) -> tuple[dict[str, float], float, dict[str, float]]:
        """Coverage per class, the share of the question's weight the index knows at all, and the
        share each class covers with the words of its own names and aliases."""
        toks = self.norm(text)
        stop = self.norm.stopwords
        terms = _positioned_terms(toks, stop)
        total = known = 0.0
        acc: dict[str, float] = defaultdict(float)
        strongest: dict[str, float] = defaultdict(float)
        qweight: dict[str, float] = {}
        for t, lead in terms.items():
            weight = self._weight.get(t)
            if weight is None:
                if " " not in t:  # an unknown word: evidence against every procedure
                    total += self._unknown_weight * lead
                    qweight[t] = self._unknown_weight * lead
                continue
            weight *= lead
            qweight[t] = weight
            total += weight
            known += weight
            for cls, p in self._postings[t]:
                if t in self._named[cls]:  # the question names the procedure: trust that most
                    strongest[cls] += weight * p
                    acc[cls] += weight * p * (1 + NAME_BONUS)
                else:
                    acc[cls] += weight * p
        if total <= 0:
            return {}, 0.0, {}
        cover = {c: s / total for c, s in acc.items()}
        if NEAREST:
            for cls in sorted(cover, key=cover.__getitem__, reverse=True)[:6]:
                cover[cls] = (1 - NEAREST) * cover[cls] + NEAREST * self._nearest(cls, qweight)
        self._last_mass = known
        return ({c: min(1.0, s) for c, s in cover.items()}, known / total,
                {c: s / total for c, s in strongest.items()})  # fmt: skip

    def _nearest(self, cls: str, qweight: dict[str, float]) -> float:
        """How closely the class's single best text (an example, an FAQ) matches the question —
        weighted Jaccard, so combinations of words ("khai sinh" + "chưa kết hôn") count, not
        only words one by one."""
        postings = self._doc_postings.get(cls)
        if not postings:
            return 0.0
        qsum = sum(qweight.values())
        inter: dict[int, float] = defaultdict(float)
        inter_index: dict[int, float] = defaultdict(float)
        for t, w in qweight.items():
            for i in postings.get(t, ()):
                inter[i] += w
                inter_index[i] += self._weight[t]
        return max((shared / (qsum + self._doc_weight[i] - inter_index[i]) for i, shared in inter.items()),
                   default=0.0)  # fmt: skip

    def features(self, text: str) -> tuple[list[tuple[str, float]], list[float]]:
        """Ranked (class, coverage) pairs and the calibration features of the best one."""
        raw, known, named = self.evidence(text)
        oos = raw.pop(OUT_OF_SCOPE, 0.0)
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))
        # How much there is to go on: one generic word ("giấy tờ") is not enough for an answer.
        mass = min(1.0, self._last_mass / MASS_REF) if raw else 0.0
        if not ranked:
            return [], [0.0, 0.0, known, oos, 0.0, mass]
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return ranked, [top, top - second, known, oos, named.get(ranked[0][0], 0.0), mass]

    def match(self, text: str) -> Match:
        """Rank the procedures for a question and decide: answer, ask which one, or decline.

        The score is a calibrated probability that the best procedure is the right answer:
        a logistic model over coverage, margin over the runner-up, known share, out-of-scope
        likeness and name evidence, fitted by ``bench/calibrate.py`` on the labelled questions.
        """
        ranked, feats = self.features(text)
        if not ranked:
            return Match(Decision.UNKNOWN, ())
        named = self._exact.get(_name_key(self.norm(text)))
        if named is not None:
            others = tuple(Candidate(c, round(min(s, 0.5), 4)) for c, s in ranked if c != named)[:2]
            return Match(Decision.ANSWER, (Candidate(named, 0.95), *others))
        z = CALIBRATION[-1] + sum(w * f for w, f in zip(CALIBRATION, feats, strict=False))
        confidence = 1.0 / (1.0 + math.exp(-z))
        top = ranked[0][1]
        candidates = tuple(
            Candidate(cls, round(confidence * min(1.0, s / top), 4)) for cls, s in ranked[:3]
        )
        if feats[3] >= OOS_RATIO * top or confidence < UNSURE_AT:
            return Match(Decision.UNKNOWN, candidates)
        if confidence < ANSWER_AT:
            return Match(Decision.CLARIFY, candidates)
        return Match(Decision.ANSWER, candidates)
