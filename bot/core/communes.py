"""Find a commune from what people type: no accents, typos, prefixes, old pre-2025 names.

"xa anh son", "p. Vinh Hưng", "tôi ở Đức Sơn, Anh Sơn", "hung loc tp vinh", "nghix locj" all find
their commune. An old name (a unit merged in 2025) finds the new unit and says which old unit it
matched, so the answer can read "Anh Sơn (gồm Đức Sơn cũ)"; an old name that existed in several
districts finds each of them, and a district named alongside ranks the right one first.

Scores: 1.0 only for a current name typed exactly (accents, case and prefixes aside); 0.95 for an
old name typed exactly (0.97 with its district confirmed); a typo (one edit, two in long names)
costs 0.06 an edit; words left unexplained cost a little, and much more for a guess by spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text import fold, telex_repairs
from bot.data.communes import Commune, CommuneBook, FormerUnit

THRESHOLD = 0.8
"""Hits scoring below this are never returned."""

_FORMER_WEIGHT = 0.95  # an old name is a slightly weaker answer than a current name
_EDIT_COST = 0.06  # per letter typed wrong, missing, extra or swapped
_DISTRICT_BONUS = 0.4  # share of the remaining gap to 1.0 won when the district agrees
_WRONG_DISTRICT = 0.92  # factor when the district named is not this name's district
_WRONG_KIND = 0.97  # factor when "xã"/"phường"/"thị trấn" typed does not fit
_DISTRICT_AS_NAME = 0.9  # factor for a district's name read as a commune while other words remain
_UNEXPLAINED = 0.25  # share of the score lost if every word were unexplained (exact names)
_UNEXPLAINED_FUZZY = 0.8  # factor per unexplained word when the name itself is only a guess
_MAX_WINDOW = 4  # names have at most 3 words; one more tolerates a word split in two
_MAX_TOKENS = 12  # a longer message is cut: a place is named in a few words

# Split before folding: commas and brackets separate "name, district, province".
_SEGMENTS = re.compile(r"[,;/()\[\]]|\s[-–]\s|\n")

# Words that carry no place name; several words form one phrase.
_NOISE: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "toi dang o", "toi song o", "toi o", "minh o", "em o", "nha toi o", "nha minh o", "nha em o",
        "dia chi", "que toi o", "que", "o tai", "o", "tai", "thuoc", "cua", "tinh nghe an", "nghe an",
        "tinh", "viet nam", "vn", "thi tran", "tt", "xa", "x", "phuong", "p", "ph",
    )
)  # fmt: skip
_DISTRICT_MARKERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split()) for p in ("thanh pho", "thi xa", "huyen", "tp", "tx", "h", "quan", "q")
)
_KIND_WORDS = {"xa": "xa", "x": "xa", "phuong": "phuong", "p": "phuong", "ph": "phuong", "tt": "thi_tran",
               "thi tran": "thi_tran"}  # fmt: skip


@dataclass(frozen=True)
class CommuneHit:
    """A commune that matches, how well (1.0 = its current name exactly) and the old unit matched."""

    commune: Commune
    score: float
    via: FormerUnit | None = None


@dataclass(frozen=True)
class _Entry:
    commune: Commune
    via: FormerUnit | None
    kind: str  # kind of the matched name: xa | phuong | thi_tran
    districts: tuple[str, ...]  # folded districts this name belonged to before 1/7/2025


@dataclass
class _Query:
    tokens: list[str]
    segment_of: list[int]
    explained: list[bool]  # noise words and marked district qualifiers
    district_span: set[int] = field(default_factory=set)  # words naming a district
    hint: str | None = None  # folded district named in the text
    kind_before: dict[int, str] = field(default_factory=dict)  # kind word right before word i


@dataclass
class _Best:
    score: float
    exact: bool
    via: FormerUnit | None


class CommuneFinder:
    """Fuzzy lookup over a CommuneBook's current and former names; build once, search often."""

    def __init__(self, book: CommuneBook) -> None:
        entries: dict[str, list[_Entry]] = {}
        districts: set[str] = set()
        self._communes: dict[str, Commune] = {}
        for commune in book.all():
            self._communes[commune.id] = commune
            home = tuple(sorted({fold(f.district) for f in commune.former if f.district}))
            districts.update(home)
            entries.setdefault(fold(commune.name), []).append(_Entry(commune, None, commune.kind, home))
            for former in commune.former:
                where = (fold(former.district),) if former.district else ()
                entries.setdefault(fold(former.name), []).append(_Entry(commune, former, former.kind, where))
        self._entries = entries
        self._keys = list(entries)
        self._districts = frozenset(districts)
        self._vocab = {word for key in (*entries, *districts) for word in key.split()}

    def search(self, text: str, limit: int = 5) -> list[CommuneHit]:
        """The best communes for ``text``, best first, at most ``limit``, none below THRESHOLD."""
        query = self._parse(text)
        if query is None or limit <= 0:
            return []
        best: dict[str, _Best] = {}
        for start, end in self._windows(query):
            window = " ".join(query.tokens[start:end])
            for entry, edits in self._candidates(window, end - start):
                score, via = self._score(query, start, end, entry, edits)
                if score < THRESHOLD:
                    continue
                kept = best.get(entry.commune.id)
                if kept is None or (score, via is None) > (kept.score, kept.via is None):
                    best[entry.commune.id] = _Best(score, edits == 0, via)
        # A name typed exactly makes look-alikes found by spelling mere noise.
        top_exact = max((b.score for b in best.values() if b.exact), default=0.0)
        ranked = sorted(
            ((cid, b) for cid, b in best.items() if b.exact or b.score > top_exact),
            key=lambda item: (-item[1].score, item[1].via is not None, fold(self._communes[item[0]].name)),
        )
        return [CommuneHit(self._communes[cid], round(b.score, 4), b.via) for cid, b in ranked[:limit]]

    # --- reading the text ------------------------------------------------------------------

    def _parse(self, text: str) -> _Query | None:
        tokens: list[str] = []
        segment_of: list[int] = []
        for number, segment in enumerate(_SEGMENTS.split(text)):
            for word in fold(segment).split():
                tokens.append(self._repair(word))
                segment_of.append(number)
        del tokens[_MAX_TOKENS:], segment_of[_MAX_TOKENS:]
        if not tokens:
            return None
        query = _Query(tokens, segment_of, [False] * len(tokens))
        i = 0
        while i < len(tokens):
            marker = self._phrase_at(query, i, _DISTRICT_MARKERS)
            span, district = self._district_at(query, i + marker) if marker else (0, "")
            if span:
                for j in range(i, i + marker + span):
                    query.explained[j] = True
                query.district_span.update(range(i + marker, i + marker + span))
                query.hint = district
                i += marker + span
                continue
            noise = self._phrase_at(query, i, _NOISE)
            if noise:
                kind = _KIND_WORDS.get(" ".join(tokens[i : i + noise]))
                for j in range(i, i + noise):
                    query.explained[j] = True
                if kind:
                    query.kind_before[i + noise] = kind
                i += noise
                continue
            i += 1
        if query.hint is None:
            self._find_unmarked_district(query)
        return query

    def names_only(self, text: str, others: frozenset[str]) -> bool:
        """Whether every word of ``text`` is a word of some commune's or district's name (as typed,
        or with Telex keys left in) or one of ``others``: a set lookup per word, so a caller can
        rule out most messages before the costly :meth:`search`."""
        words = fold(text).split()
        return bool(words) and all(w in others or self._repair(w) in self._vocab for w in words)

    def _repair(self, word: str) -> str:
        """A word typed with Telex/VNI keys left in ("nghix", "locj") read as the name word it spells."""
        if word in self._vocab:
            return word
        for reading in telex_repairs(word):
            if reading in self._vocab:
                return reading
        return word

    @staticmethod
    def _phrase_at(query: _Query, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """Length of the longest phrase of ``phrases`` starting at word ``i`` (0 if none)."""
        tokens, segment_of = query.tokens, query.segment_of
        best = 0
        for phrase in phrases:
            size = len(phrase)
            if (
                size > best
                and tuple(tokens[i : i + size]) == phrase
                and segment_of[i] == segment_of[i + size - 1]
            ):
                best = size
        return best

    def _district_at(self, query: _Query, start: int) -> tuple[int, str]:
        """How many words from ``start`` name a known district (one typo allowed), and which."""
        for size in (3, 2, 1):
            end = start + size
            if end > len(query.tokens) or query.segment_of[start] != query.segment_of[end - 1]:
                continue
            words = " ".join(query.tokens[start:end])
            if words in self._districts:
                return size, words
            if len(words) > 5:
                near = process.extractOne(words, self._districts, scorer=OSA.distance, score_cutoff=1)
                if near is not None and near[0].count(" ") + 1 == size:
                    return size, near[0]
        return 0, ""

    def _find_unmarked_district(self, query: _Query) -> None:
        """The last words of a segment naming a district while other words remain: "Đức Sơn Anh Sơn"."""
        for segment in sorted(set(query.segment_of)):
            idx = [i for i, s in enumerate(query.segment_of) if s == segment and not query.explained[i]]
            for size in (3, 2, 1):
                if len(idx) <= size and len(set(query.segment_of)) == 1:
                    continue  # the whole text: a name, not a qualifier
                tail = idx[-size:]
                if len(tail) < size or tail != list(range(tail[0], tail[0] + size)):
                    continue
                if tail[0] in query.kind_before:
                    continue  # "xã Anh Sơn" names the commune, whatever district shares its name
                words = " ".join(query.tokens[i] for i in tail)
                if words in self._districts:
                    query.hint = words
                    query.district_span.update(tail)
                    return

    def _windows(self, query: _Query) -> list[tuple[int, int]]:
        """Every run of 1..4 words inside one segment that is not only noise."""
        spans = []
        n = len(query.tokens)
        for start in range(n):
            for end in range(start + 1, min(n, start + _MAX_WINDOW) + 1):
                if query.segment_of[end - 1] != query.segment_of[start]:
                    break
                if all(query.explained[i] and i not in query.district_span for i in range(start, end)):
                    continue
                spans.append((start, end))
        return spans

    def _candidates(self, window: str, words: int) -> list[tuple[_Entry, int]]:
        """Names within reach of ``window``: exact, or one edit (two for long names) away."""
        found: dict[str, int] = {}
        if window in self._entries:
            found[window] = 0
        # A district's own name is not a misspelt commune ("Thanh Chương" is not "Thanh Hương"),
        # and one short word is only compared when it could be two words run together.
        if window not in self._districts and (words > 1 or len(window) >= 5):
            allowed = 1 if len(window.replace(" ", "")) <= 9 else 2
            for key, edits, _ in process.extract(
                window, self._keys, scorer=OSA.distance, score_cutoff=allowed, limit=8
            ):
                found.setdefault(key, int(edits))
        return [(entry, edits) for key, edits in found.items() for entry in self._entries[key]]

    # --- scoring ---------------------------------------------------------------------------

    def _score(
        self, query: _Query, start: int, end: int, entry: _Entry, edits: int
    ) -> tuple[float, FormerUnit | None]:
        n = len(query.tokens)
        window = range(start, end)
        via = entry.via
        score = (1.0 - _EDIT_COST * edits) * (_FORMER_WEIGHT if via is not None else 1.0)
        outside = [i for i in range(n) if i not in window and not query.explained[i]]
        in_district = bool(query.district_span) and all(i in query.district_span for i in window)
        if query.hint is not None and entry.districts and not in_district:
            if query.hint in entry.districts:
                score += (1.0 - score) * _DISTRICT_BONUS
                outside = [i for i in outside if i not in query.district_span]
            else:
                score *= _WRONG_DISTRICT
        if outside:
            named, other = self._same_commune(" ".join(query.tokens[i] for i in outside), entry.commune)
            if named:
                outside = []
                via = via or other
        if in_district and outside:
            score *= _DISTRICT_AS_NAME
        kind = query.kind_before.get(start)
        if kind is not None and kind != entry.kind:
            score *= _WRONG_KIND
        if edits:
            score *= _UNEXPLAINED_FUZZY ** len(outside)
        else:
            score *= 1.0 - _UNEXPLAINED * len(outside) / n
        if via is not None:
            score = min(score, 0.99)  # only a current name, typed exactly, scores 1.0
        return score, via

    def _same_commune(self, words: str, commune: Commune) -> tuple[bool, FormerUnit | None]:
        """Whether ``words`` is another name of ``commune``, and the former unit it names if old."""
        for entry in self._entries.get(words, ()):
            if entry.commune.id == commune.id:
                return True, entry.via
        return False, None
