"""Match a free-text question to a procedure (or to human help), with scores one threshold can cut.

Each procedure is a bag of weighted terms — single words and adjacent word pairs — drawn from its
names, aliases, example questions and FAQ phrasings, after the same normalisation as questions.
A question scores, for each procedure, the share of its own informative weight that the procedure
covers. Words the knowledge base has never seen count against every procedure, which is what lets
"thời tiết hôm nay" be declined even though "hôm nay" is common. Out-of-scope examples form one
more bag: a question closest to it is declined. Procedures the assistant does not cover yet
(``knowledge/not_covered.yaml``) are classes too: a question closest to one of them is recognised
as "not covered" and answered honestly instead of with a neighbour that shares generic words.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice, pairwise
from typing import Any, TypeVar

import numpy as np

from bot.core.aspects import ASKING_PHRASES
from bot.core.normalize import Normalizer
from bot.data.knowledge import HUMAN_HELP, KnowledgeBase
from bot.data.models import NotCoveredTopic

T = TypeVar("T")

OUT_OF_SCOPE = "_out_of_scope"
NOT_COVERED = "~"
"""Prefix of the index classes of not-covered topics (never a procedure id, which is snake_case)."""

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
GENERIC_WEIGHT = 0.35
"""Weight of a generic word or pair ("giấy phép", "đăng ký") relative to what its spread earns it."""
TOPIC_LEAD = 0.8
"""A not-covered topic is the answer only when the best covered procedure explains less than this
share of what the topic explains."""
NAMED_AT = 0.15
"""Least share of a question's weight that words of a procedure's names must carry for the question
to name it (``names_procedure``; the channel-free second look in ``match``)."""
TIE = 0.06
"""Coverage within this share of the best's: a tie between two procedures, asked, never guessed."""
UNKNOWN_WORD = 0.5
"""Weight of a word the knowledge base has never seen, relative to the rarest known word."""
DECIDED = 4096
"""Questions (as normalised tokens) whose decision is kept: the common ones repeat ("làm cccd",
"đăng ký khai sinh"), and one turn asks about the same message several times. A taught phrasing
empties it (``_rebuild``)."""


class Decision(StrEnum):
    ANSWER = "answer"  # confident: answer with ``Match.procedure``
    CLARIFY = "clarify"  # "did you mean…" with the candidates
    NOT_COVERED = "not_covered"  # a public procedure the assistant does not guide: ``Match.not_covered``
    UNKNOWN = "unknown"  # nothing fits: decline honestly


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...]  # best first, at most three, procedures (or human_help) only
    not_covered: NotCoveredTopic | None = None  # the topic recognised, when decision is NOT_COVERED
    confidence: float | None = None  # the topic's score, when decision is NOT_COVERED

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def procedure(self) -> str | None:
        """What the assistant would answer with; None when it asks or declines."""
        return self.candidates[0].id if self.decision is Decision.ANSWER else None

    @property
    def score(self) -> float:
        if self.confidence is not None:
            return self.confidence
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


def _by_first_word(phrases: Iterable[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases grouped by their first word, longest first (the longest that fits wins)."""
    grouped: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for phrase in sorted(phrases, key=len, reverse=True):
        grouped[phrase[0]].append(phrase)
    return dict(grouped)


def _contains(toks: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    return any(toks[i : i + len(phrase)] == phrase for i in range(len(toks) - len(phrase) + 1))


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
        self._topics: dict[str, NotCoveredTopic] = {}
        self._replaced: dict[str, list[tuple[str, frozenset[str], frozenset[str]]]] = defaultdict(list)
        for topic in kb.not_covered:
            cls = NOT_COVERED + topic.id
            self._topics[cls] = topic
            for text in (topic.names.vi, topic.names.en, *topic.aliases):
                self._texts[cls].append((self.norm.index_tokens(text), True))
            for text in topic.examples:
                self._texts[cls].append((self.norm.index_tokens(text), False))
            for replaces in topic.replaces:
                marks = frozenset(" ".join(self.norm.index_tokens(w)) for w in replaces.when)
                unless = frozenset(" ".join(self.norm.index_tokens(w)) for w in replaces.unless)
                self._replaced[replaces.procedure].append((cls, marks, unless))
        # Generic words ("giấy phép", "đăng ký", "thủ tục") never name a procedure: sharing them
        # with "giấy phép lái xe" does not make "giấy phép xây dựng" the driving licence.
        self._generic = frozenset(
            " ".join(pair) if len(toks) > 1 else toks[0]
            for toks in (self.norm.index_tokens(text) for text in kb.synonyms.generic) if toks
            for pair in (pairwise(toks) if len(toks) > 1 else [tuple(toks)])
        )
        # Where a procedure is done ("trên VNeID", "online"): a question naming another procedure
        # as well is about that procedure, not the app or the portal.
        self._channels = {tuple(self.norm.index_tokens(t)) for t in kb.synonyms.channels}
        self._channel_words = _by_first_word(self._channels)
        self._asking = _by_first_word({tuple(self.norm.index_tokens(t)) for t in ASKING_PHRASES} - {()})
        self.norm.learn(
            (toks for texts in self._texts.values() for toks, _ in texts),
            (toks for cls, texts in self._texts.items() if cls != OUT_OF_SCOPE for toks, named in texts if named),
        )
        self._kept: list[functools._lru_cache_wrapper[Any]] = []
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
        self._decided = functools.lru_cache(maxsize=DECIDED)(self._decide_once)
        for kept in self._kept:
            kept.cache_clear()
        self._memo: dict[tuple[tuple[str, ...], bool], tuple[list[tuple[str, float]], list[float], dict[str, float]]] | None = None
        freq: dict[str, dict[str, float]] = defaultdict(dict)  # term -> class -> strength
        self._named: dict[str, frozenset[str]] = {}
        seen: Counter[str] = Counter()  # term -> texts containing it, over all classes
        named_any: set[str] = set()
        sizes = sorted(len(texts) for cls, texts in self._texts.items()
                       if cls != OUT_OF_SCOPE and cls not in self._topics)  # fmt: skip
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
        # Not-covered topics are scored against everything, but the procedures see the index as
        # if the topics were not there: a topic sharing "xe" or "con" takes nothing from them.
        topics = self._topics
        n_all = len(self._texts)
        n = n_all - len(topics)

        def spread(per_class: dict[str, float], cls: str) -> float:
            return sum(f for c, f in per_class.items() if cls in topics or c not in topics)

        # An alias word names a procedure only if that procedure owns most of its use: "căn cước"
        # names the identity card though many others mention it; "hồ sơ" names nothing.
        def owns(cls: str, t: str) -> bool:
            return freq[t][cls] / spread(freq[t], cls) >= NAMED_SHARE

        self._named = {cls: frozenset(t for t in named if owns(cls, t) and t not in self._generic)
                       for cls, named in self._named.items()}  # fmt: skip
        channel_terms = {" ".join(c) for c in self._channels}
        # The procedures a channel's own name is ("vneid" is the VNeID account; "dịch vụ công" the portal).
        own = {self._exact.get(_name_key(phrase)) for phrase in self._channels}
        self._channel_owner = {phrase: owner for phrase in self._channels
                               if (owner := self._exact.get(_name_key(phrase))) is not None}  # fmt: skip
        self._channel_classes = frozenset(cls for cls, named in self._named.items() if named & channel_terms) | {
            cls for cls in own if cls is not None}
        named_any = set().union(*self._named.values()) if self._named else set()
        self._postings: dict[str, list[tuple[str, float]]] = {}
        self._weight: dict[str, float] = {}
        for t, per_class in freq.items():
            total = sum(per_class.values())
            covered = {c: f for c, f in per_class.items() if c not in topics}
            total_covered = sum(covered.values())
            self._postings[t] = [(cls, f / (total if cls in topics else total_covered)) for cls, f in per_class.items()]
            # The effective number of procedures using the term (inverse Simpson index): passing
            # mentions elsewhere ("cần thẻ căn cước" in a VNeID example) barely lower the weight
            # of a term one procedure owns.
            used, among, count = (covered, total_covered, n) if covered else (per_class, total, n_all)
            df = 1.0 / sum((f / among) ** 2 for f in used.values())
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            # A word met once, in one example, may be incidental ("Vinh"); trust it less.
            reliable = 1.0 if t in named_any else min(1.0, 0.5 + 0.25 * seen[t])
            self._weight[t] = idf * reliable * (GENERIC_WEIGHT if t in self._generic else 1.0)
        self._unknown_weight = UNKNOWN_WORD * math.log(1 + (n - 0.5) / 1.5)
        # Single texts, indexed by term, for the nearest-text evidence: per term the texts using it,
        # and each class's texts one slice (they were gathered class by class).
        self._doc_weight = np.array([sum(self._weight[t] for t in terms) for _, terms in docs])
        postings: dict[str, list[int]] = defaultdict(list)
        self._doc_span: dict[str, tuple[int, int]] = {}
        for i, (cls, doc_terms) in enumerate(docs):
            start, _end = self._doc_span.get(cls, (i, i))
            self._doc_span[cls] = (start, i + 1)
            for t in doc_terms:
                postings[t].append(i)
        self._doc_postings = {t: np.array(ids, dtype=np.intp) for t, ids in postings.items()}

    def per_index(self, work: Callable[..., T]) -> Callable[..., T]:
        """``work`` with its results kept per (hashable) arguments until the index changes: a
        taught phrasing rebuilds it and repairs words differently, and every such cache starts
        again. For the readings of a message a turn makes several times (which procedures it
        names, which common problem it describes), like ``match``'s own decisions."""
        kept = functools.lru_cache(maxsize=DECIDED)(work)
        self._kept.append(kept)
        return kept

    def named_terms(self) -> dict[str, frozenset[str]]:
        """Per procedure, the terms (words and word pairs) that name it: its own, not shared."""
        return self._named

    def scores(self, text: str) -> dict[str, float]:
        """Raw coverage per class (0..1) for a question; empty when nothing informative is in it."""
        return self.evidence(text)[0]

    def evidence(self, text: str) -> tuple[dict[str, float], float, dict[str, float]]:
        """Coverage per class, the share of the question's weight the index knows at all, and the
        share each class covers with the words of its own names and aliases."""
        return self._evidence(self.norm(text))

    def _evidence(self, toks: tuple[str, ...]) -> tuple[dict[str, float], float, dict[str, float]]:
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
        if NEAREST and cover:
            nearest = self._nearest(qweight)
            for cls in sorted(cover, key=cover.__getitem__, reverse=True)[:6]:
                start, end = self._doc_span.get(cls, (0, 0))
                best = float(nearest[start:end].max()) if end > start else 0.0
                cover[cls] = (1 - NEAREST) * cover[cls] + NEAREST * best
        self._last_mass = known
        return ({c: min(1.0, s) for c, s in cover.items()}, known / total,
                {c: s / total for c, s in strongest.items()})  # fmt: skip

    def _nearest(self, qweight: dict[str, float]) -> np.ndarray:
        """How closely each single text (an example, an FAQ) matches the question — weighted
        Jaccard, so combinations of words ("khai sinh" + "chưa kết hôn") count, not only words
        one by one. A class's nearest-text evidence is the best of its slice. One pass over the
        question's terms in numpy for every text at once: in Python, class by class, this was
        half of what matching a new question cost."""
        found = [(self._doc_postings[t], w, self._weight[t]) for t, w in qweight.items() if t in self._doc_postings]
        if not found:
            return np.zeros(len(self._doc_weight))
        docs = np.concatenate([ids for ids, _w, _i in found])
        counts = [len(ids) for ids, _w, _i in found]
        size = len(self._doc_weight)
        shared = np.bincount(docs, weights=np.repeat([w for _ids, w, _i in found], counts), minlength=size)
        shared_index = np.bincount(docs, weights=np.repeat([i for _ids, _w, i in found], counts), minlength=size)
        return shared / (sum(qweight.values()) + self._doc_weight - shared_index)

    def features(self, text: str) -> tuple[list[tuple[str, float]], list[float]]:
        """Ranked (class, coverage) pairs and the calibration features of the best one."""
        return self._features(self.norm(text))[:2]

    def _features(self, toks: tuple[str, ...], topics: bool = True,
                  ) -> tuple[list[tuple[str, float]], list[float], dict[str, float]]:  # fmt: skip
        if self._memo is not None:
            found = self._memo.get((toks, topics))
            if found is None:
                found = self._memo[(toks, topics)] = self._scored(toks, topics)
            return found
        return self._scored(toks, topics)

    def _scored(self, toks: tuple[str, ...], topics: bool,
                ) -> tuple[list[tuple[str, float]], list[float], dict[str, float]]:  # fmt: skip
        raw, known, named = self._evidence(toks)
        oos = raw.pop(OUT_OF_SCOPE, 0.0)
        if not topics:
            raw = {c: s for c, s in raw.items() if c not in self._topics}
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))
        # How much there is to go on: one generic word ("giấy tờ") is not enough for an answer.
        mass = min(1.0, self._last_mass / MASS_REF) if raw else 0.0
        if not ranked:
            return [], [0.0, 0.0, known, oos, 0.0, mass], named
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return ranked, [top, top - second, known, oos, named.get(ranked[0][0], 0.0), mass], named

    def match(self, text: str) -> Match:
        """Rank the procedures for a question and decide: answer, ask which one, say honestly that
        it is a procedure the assistant does not cover, or decline.

        The score is a calibrated probability that the best procedure is the right answer:
        a logistic model over coverage, margin over the runner-up, known share, out-of-scope
        likeness and name evidence, fitted by ``bench/calibrate.py`` on the labelled questions.
        """
        return self._decided(self.norm(text))[0]

    def _decide_once(self, toks: tuple[str, ...]) -> tuple[Match, dict[str, float]]:
        """The decision and the share each procedure's names carry, for ``_decided`` to keep."""
        # The second looks below (without the channel or the asking words) score some of the
        # same token tuples again: score each once per question.
        self._memo = {}
        try:
            return self._decide(toks), self._features(toks)[2]
        finally:
            self._memo = None

    def _decide(self, toks: tuple[str, ...]) -> Match:
        match = self._match(toks)
        # A topic we do not cover keeps its decision: a covered paper named beside it is no subject.
        owners = self._subject(toks) if match.decision is not Decision.NOT_COVERED else frozenset()
        asked = [c for c in match.candidates if c.id in owners]
        subject = asked[0].id if asked else None
        if (subject is not None and match.best is not None and match.best.id == subject
                and match.decision is not Decision.ANSWER and match.best.score >= UNSURE_AT):  # fmt: skip
            return Match(Decision.ANSWER, match.candidates)  # "…, tạm trú có bắt buộc không": it is asked
        if subject is not None and match.best is not None and match.best.id not in owners:
            # "chuyển hộ khẩu sang xã khác, căn cước có phải đổi không", "lấy vợ, muốn tách hộ": the
            # paper right before "có phải / có cần", or wanted, is what is asked; the rest tells the case.
            chosen = next((c for c in match.candidates if c.id == subject), None)
            if chosen is not None and chosen.score >= UNSURE_AT:
                others = [c for c in match.candidates if c.id != subject]
                return Match(Decision.ANSWER, (Candidate(subject, match.score), *others[:2]))
        done = toks.index("xong") if "xong" in toks[1:-1] else 0
        if done and match.best is not None and match.decision is not Decision.NOT_COVERED:
            # "lấy vợ xong… đăng ký thường trú cho vợ", "khai sinh xong thì làm thẻ BHYT": what is
            # done is the background; what comes after it, when it names a procedure, is asked.
            later = toks[done + 1 :]
            after = self._match(later)
            if (after.decision is Decision.ANSWER and after.best is not None and after.best.id != match.best.id
                    and self._features(later)[2].get(after.best.id, 0.0) > 0.0):  # fmt: skip
                return after
        bare = self._without(toks, self._channel_words)  # the question without where it is done
        if bare is not None and match.decision is not Decision.NOT_COVERED:
            # "khai sinh trên cổng dịch vụ công": without the app or portal, does the question
            # still name a procedure? Then it is about that one.
            other = self._match(bare, named_at=NAMED_AT)
            if (other.decision in (Decision.ANSWER, Decision.NOT_COVERED) and other.best != match.best
                    and not (other.best and other.best.id in self._channel_classes)):  # fmt: skip
                return other
        if (match.decision in (Decision.CLARIFY, Decision.UNKNOWN) and match.best
                and match.best.id in self._channel_classes and bare is not None
                and self._names_nothing(bare)):  # fmt: skip
            # "còn VNeID thì sao", "app vneid của mẹ bị lỗi": the channel words decide when nothing
            # else is named, and here nothing else is: the question is about VNeID (or the portal).
            return Match(Decision.ANSWER, match.candidates)
        if match.best and match.best.id in self._channel_classes:
            # "vneid đăng nhập không được": the app named by its own name is what is asked about,
            # though "đăng nhập" belongs more to the portal's texts (and the other way round).
            said = {cls for phrase, cls in self._channel_owner.items() if _contains(toks, phrase)}
            if len(said) == 1 and match.best.id not in said:
                named = next(iter(said))
                ranked = self._features(toks)[0]
                raw = dict(ranked)
                if raw.get(named, 0.0) > 0.0:
                    # The decision's confidence goes to the app named; the one it displaced keeps
                    # what the named one scored, so candidates stay probabilities, best first.
                    score = round(match.score * min(1.0, raw[named] / ranked[0][1]), 4)
                    others = [Candidate(c.id, score if c.id == match.best.id else c.score)
                              for c in match.candidates if c.id != named]  # fmt: skip
                    others.sort(key=lambda c: c.score, reverse=True)
                    return Match(Decision.ANSWER, (Candidate(named, match.score), *others[:2]))
            runner_up = match.candidates[1] if len(match.candidates) > 1 else None
            if (said == {match.best.id} and match.decision is Decision.CLARIFY and runner_up is not None
                    and runner_up.id in self._channel_classes):  # fmt: skip
                # A tie between the two apps ("log in to vneid"): the one named is asked about.
                return Match(Decision.ANSWER, match.candidates)
        rest = self._without(toks, self._asking)
        if rest:
            # "làm căn cước cần giấy tờ gì", "làm căn cước bao nhiêu tiền": the words of the asking
            # belong to many procedures and can blur the one named, or even outweigh it for a
            # neighbour never named. Without them, does the question name a procedure on its own?
            # It wins over a doubt about the same one, or over an answer about one never named.
            leading = match.best.id if match.best else None
            unsure = match.decision in (Decision.CLARIFY, Decision.UNKNOWN)
            unnamed = (match.decision is Decision.ANSWER and leading is not None
                       and self._features(toks)[2].get(leading, 0.0) == 0.0)  # fmt: skip
            exact = self._exact.get(_name_key(rest))
            if exact is not None and (unsure or leading != exact):
                # "lệ phí thường trú", "thường trú bao nhiêu tiền": the asking words around a
                # procedure's own name. They lean to the death registration's texts (its "mai táng
                # phí", its "xóa thường trú"), but what is asked about is the procedure named.
                return self._match(rest)
            if unsure or unnamed:
                other = self._match(rest, named_at=NAMED_AT)
                if other.decision is Decision.ANSWER and other.best and (other.best.id == leading or unnamed):
                    return other
                if unnamed and leading not in {c.id for c in self._match(rest).candidates}:
                    # Only the asking spoke for it ("xin việc cần giấy gì" answered the death
                    # registration, whose texts alone say "giấy gì"): that is no evidence at all.
                    return Match(Decision.UNKNOWN, ())
        return match

    def _match(self, toks: tuple[str, ...], named_at: float = 0.0) -> Match:
        ranked, feats, named_share = self._features(toks)
        if not ranked:
            return Match(Decision.UNKNOWN, ())
        topic_led = False
        if ranked[0][0] in self._topics:
            runner_up_cls, runner_up = next(((c, s) for c, s in ranked if c not in self._topics), ("", 0.0))
            # The topic is named in so many words ("thủ tục ly hôn cần gì") and the covered runner-up
            # is not: the topic stands, however much of the rest the runner-up explains.
            named_topic = named_share.get(ranked[0][0], 0.0) >= NAMED_AT > named_share.get(runner_up_cls, 0.0)
            if (runner_up >= TOPIC_LEAD * ranked[0][1] and not named_topic) or self._confidence(feats) < ANSWER_AT:
                # A covered procedure explains the question nearly as well ("kết hôn lần 2 sau ly
                # hôn"), or the topic is only a guess: decide among the covered procedures.
                topic_led = runner_up < TOPIC_LEAD * ranked[0][1]
                ranked, feats, named_share = self._features(toks, topics=False)
                if not ranked:
                    return Match(Decision.UNKNOWN, ())
        exact = self._exact.get(_name_key(toks))
        if exact is not None and not named_at:
            others = tuple(Candidate(c, round(min(s, 0.5), 4)) for c, s in ranked if c != exact and c not in self._topics)[:2]
            if exact in self._topics:
                return Match(Decision.NOT_COVERED, others, self._topics[exact], 0.95)
            return self._replace(toks, Match(Decision.ANSWER, (Candidate(exact, 0.95), *others)))
        confidence = self._confidence(feats)
        best, top = ranked[0]
        candidates = tuple(islice((Candidate(cls, round(confidence * min(1.0, s / top), 4))
                                   for cls, s in ranked if cls not in self._topics), 3))  # fmt: skip
        if feats[3] >= OOS_RATIO * top or confidence < UNSURE_AT or named_share.get(best, 0.0) < named_at:
            return Match(Decision.UNKNOWN, candidates)
        if not self._specific(toks, best):  # only "giấy phép", "đăng ký"…: ask, never answer
            return Match(Decision.CLARIFY if best not in self._topics and confidence >= UNSURE_AT
                         else Decision.UNKNOWN, candidates)  # fmt: skip
        if best in self._topics:  # as sure as an answer (see above)
            return Match(Decision.NOT_COVERED, candidates, self._topics[best], round(confidence, 4))
        if confidence < ANSWER_AT or self._tied(ranked) or topic_led:
            # A topic we do not cover explained the question clearly better, though not surely
            # enough to name it ("đổi họ cho con theo bố dượng"): a covered neighbour is only a guess.
            return Match(Decision.CLARIFY, candidates)
        return self._replace(toks, Match(Decision.ANSWER, candidates))

    def _subject(self, toks: tuple[str, ...]) -> frozenset[str]:
        """The procedures named by the two words right before "có phải", "có cần", "có bắt
        (buộc)" or right after "muốn" (the thing the question asks about or wants)."""
        for i in range(len(toks) - 1):
            if toks[i] == "co" and toks[i + 1] in ("phai", "can", "bat") and i >= 2:
                pair = f"{toks[i - 2]} {toks[i - 1]}"
            elif toks[i] == "muon" and i + 2 < len(toks):
                pair = f"{toks[i + 1]} {toks[i + 2]}"
            else:
                continue
            owners = frozenset(cls for cls, named in self._named.items()
                               if cls not in self._topics and cls != OUT_OF_SCOPE and pair in named)  # fmt: skip
            if owners:
                return owners
        return frozenset()

    def _names_nothing(self, toks: tuple[str, ...]) -> bool:
        """Whether ``toks`` neither decide for a class nor hold a word naming one ("của mẹ bị lỗi":
        "lỗi" leans to the traffic fine's texts, but names nothing)."""
        if self._match(toks).decision in (Decision.ANSWER, Decision.NOT_COVERED):
            return False
        return not any(share > 0.0 for share in self._features(toks)[2].values())

    def _tied(self, ranked: list[tuple[str, float]]) -> bool:
        """Two covered procedures explain the question almost equally ("mua lại xe cũ": "lại xe"
        folds like "lái xe", so the driving licence ties the vehicle registration): ask."""
        covered = [s for c, s in ranked if c not in self._topics][:2]
        return len(covered) == 2 and covered[0] - covered[1] < TIE * covered[0]

    def _specific(self, toks: tuple[str, ...], cls: str) -> bool:
        """Whether the question shares with ``cls`` anything beyond generic words."""
        for t in _positioned_terms(toks, self.norm.stopwords):
            if t not in self._generic and any(c == cls for c, _p in self._postings.get(t, ())):
                return True
        return False

    @staticmethod
    def _confidence(feats: list[float]) -> float:
        z = CALIBRATION[-1] + sum(w * f for w, f in zip(CALIBRATION, feats, strict=False))
        return 1.0 / (1.0 + math.exp(-z))

    def _replace(self, toks: tuple[str, ...], match: Match) -> Match:
        """A covered procedure named with a word that makes it another one ("đăng ký xe ô tô" is
        not the motorbike registration): that topic, not covered."""
        rules = self._replaced.get(match.best.id) if match.best else None
        if not rules:
            return match
        terms = set(toks) | {f"{a} {b}" for a, b in pairwise(toks)}
        for cls, marks, unless in rules:
            if marks & terms and not unless & terms:
                return Match(Decision.NOT_COVERED, match.candidates, self._topics[cls], match.score)
        return match

    @staticmethod
    def _without(toks: tuple[str, ...], phrases: dict[str, list[tuple[str, ...]]]) -> tuple[str, ...] | None:
        """The question without ``phrases`` (by first word, longest first: where it is done, how
        it is asked), or None when it has none of them."""
        out: list[str] = []
        i = 0
        while i < len(toks):
            for phrase in phrases.get(toks[i], ()):
                if toks[i : i + len(phrase)] == phrase:
                    i += len(phrase)
                    break
            else:
                out.append(toks[i])
                i += 1
        return tuple(out) if len(out) < len(toks) else None

    @property
    def channel_classes(self) -> frozenset[str]:
        """The procedures that are also where others are done (the VNeID account, the portal)."""
        return self._channel_classes

    def names_procedure(self, text: str) -> str | None:
        """What a message clearly names, if anything: a procedure id, or the id of a topic the
        assistant does not cover (the two never share an id). None for "có", "3/5", "bao nhiêu
        tiền" or anything vague — the engine uses it to tell a new question from an answer to the
        question it asked."""
        match, named = self._decided(self.norm(text))
        if match.decision is Decision.NOT_COVERED and match.not_covered is not None:
            return match.not_covered.id
        if match.decision is not Decision.ANSWER or match.best is None or match.best.id == HUMAN_HELP:
            return None
        return match.best.id if named.get(match.best.id, 0.0) >= NAMED_AT else None
