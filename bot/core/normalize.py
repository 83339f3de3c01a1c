"""From what people type to the words the knowledge base uses.

Steps, in order: fold (accents, case, punctuation), repair words the index does not know (Telex/VNI
left unconverted, regional spellings, one-letter typos — only when the repair gives a known word
that fits its neighbour), read words whose meaning depends on a neighbour ("bn là ai" is "bạn",
"bn tiền" is "bao nhiêu"), then rewrite abbreviations, teencode, dialect and English terms from
``knowledge/synonyms.yaml`` (longest phrase first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text import KEPT_CHARS, fold, regional_variants, telex_repairs
from bot.data.models import EARLIER_WINDOW, MAX_PHRASE_WORDS, SynonymsFile


def folded(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


class _Rule(NamedTuple):
    """A context rule (bot.data.models.ContextRule), folded."""

    to: tuple[str, ...]
    next: frozenset[str]
    previous: frozenset[str]
    earlier: frozenset[str]
    unless_next: frozenset[str]
    only_next: frozenset[str]
    at_end: bool
    only_then: frozenset[str]


_KEPT = 20_000
"""Messages kept normalised, each at most ``text.KEPT_CHARS`` long (a 4,000-character paste is
rare, and 20,000 kept ones would weigh 80 MB)."""


_UNITS = {"t": "tuoi", "tuoi": "tuoi", "th": "thang", "thang": "thang", "ngay": "ngay"}
_NUMBER_UNIT = re.compile(r"^(\d{1,3})([a-z]+)$")


def split_units(toks: list[str]) -> list[str]:
    """A number glued to its unit, as typed on a phone ("con e 14t", "bé 3th", "25tuoi"): two
    words. Otherwise "14t" reads as a VNI-typed "t" and drags the question elsewhere."""
    out: list[str] = []
    for tok in toks:
        m = _NUMBER_UNIT.match(tok)
        if m is not None and m.group(2) in _UNITS:
            out += [m.group(1), _UNITS[m.group(2)]]
        else:
            out.append(tok)
    return out


class Normalizer:
    """Turns a message into canonical tokens. Knows the vocabulary once ``learn`` has run."""

    def __init__(self, synonyms: SynonymsFile) -> None:
        self.stopwords = frozenset(fold(w) for w in synonyms.stopwords)
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in synonyms.groups:
            canonical = tuple(fold(group.canonical).split())
            for variant in (group.canonical, *group.variants):
                key = tuple(fold(variant).split())
                if key:  # the canonical maps to itself so it is consumed whole, never re-expanded
                    self._phrases.setdefault(key, canonical)
        self._longest = min(MAX_PHRASE_WORDS, max((len(k) for k in self._phrases), default=1))
        # Per first word, the longest phrase it opens (as ``expand`` tries them): most words open
        # none, and ``expand`` then looks up no slice of the message at all.
        self._opens: dict[str, int] = {}
        for key in self._phrases:
            self._opens[key[0]] = min(self._longest, max(len(key), self._opens.get(key[0], 0)))
        self._context: dict[str, list[_Rule]] = {}
        for rule in synonyms.context:
            self._context.setdefault(fold(rule.word), []).append(_Rule(
                tuple(fold(rule.to).split()), folded(rule.next), folded(rule.previous), folded(rule.earlier),
                folded(rule.unless_next), folded(rule.only_next), rule.at_end, folded(rule.only_then)))  # fmt: skip
        self.vocab: dict[str, int] = {}
        self.bigrams: set[tuple[str, str]] = set()
        self.phrases: set[tuple[str, str]] = set()  # word pairs of procedure names and aliases
        self._known_raw: frozenset[str] = frozenset(
            {t for k in self._phrases for t in k} | {t for v in self._phrases.values() for t in v}
            | self.stopwords | set(self._context)
            | {t for rules in self._context.values() for rule in rules for t in rule.to}
        )
        self._vocab_list: list[str] = []
        self._cache: dict[str, tuple[str, ...]] = {}
        self._index_cache: dict[str, tuple[str, ...]] = {}
        self._similar_cache: dict[str, list[tuple[str, int]]] = {}

    def learn(self, texts: Iterable[list[str]], names: Iterable[list[str]] = ()) -> None:
        """Record the words and word pairs of the index, the targets repairs may aim at."""
        for toks in names:
            self.phrases.update(pairwise(toks))
        for toks in texts:
            for t in toks:
                self.vocab[t] = self.vocab.get(t, 0) + 1
            self.bigrams.update(pairwise(toks))
        for t in self._known_raw:
            self.vocab.setdefault(t, 1)
        self._vocab_list = [t for t in self.vocab if len(t) >= 3 and t.isalpha()]
        self._cache.clear()
        self._similar_cache.clear()

    def in_context(self, toks: list[str]) -> tuple[list[str], set[int]]:
        """Words read by their neighbours (context rules, first that fits), and the positions of
        the words so read: the phrase groups leave those alone."""
        if not self._context:
            return toks, set()
        out: list[str] = []
        fixed: set[int] = set()
        last = len(toks) - 1
        for i, tok in enumerate(toks):
            for rule in self._context.get(tok, ()):
                after = toks[i + 1] if i < last else None
                if after in rule.unless_next or (rule.only_next and after not in rule.only_next):
                    continue
                if rule.only_then and (i + 2 > last or toks[i + 2] not in rule.only_then):
                    continue
                if ((after in rule.next) or (i > 0 and toks[i - 1] in rule.previous)
                        or not rule.earlier.isdisjoint(toks[max(0, i - EARLIER_WINDOW) : i])
                        or (rule.at_end and after is None)):  # fmt: skip
                    fixed.update(range(len(out), len(out) + len(rule.to)))
                    out.extend(rule.to)
                    break
            else:
                out.append(tok)
        return out, fixed

    def expand(self, toks: list[str], fixed: set[int] | None = None) -> list[str]:
        """Rewrite synonym phrases, longest first, left to right; words in ``fixed`` stay as they are."""
        out: list[str] = []
        phrases, opens, count = self._phrases, self._opens, len(toks)
        i = 0
        while i < count:
            tok = toks[i]
            longest = opens.get(tok)
            if longest is None or (fixed and i in fixed):
                out.append(tok)
                i += 1
                continue
            for n in range(min(longest, count - i), 0, -1):
                if fixed and any(j in fixed for j in range(i, i + n)):
                    continue
                canonical = phrases.get(tuple(toks[i : i + n]))
                if canonical is not None:
                    out.extend(canonical)
                    i += n
                    break
            else:
                out.append(tok)
                i += 1
        return out

    def __call__(self, text: str) -> tuple[str, ...]:
        key = text[:2000]
        cached = self._cache.get(key)
        if cached is None:
            fixed = self._fix_pairs(self.expand(*self.in_context(self._repair(split_units(fold(key).split())))))
            # A repair can meet the expansion of its neighbour ("lai se" + "giay phep lai" -> "xe xe").
            cached = tuple(t for i, t in enumerate(fixed) if i == 0 or t != fixed[i - 1])
            if len(key) <= KEPT_CHARS:
                if len(self._cache) >= _KEPT:
                    self._cache.clear()
                self._cache[key] = cached
        return cached

    def index_tokens(self, text: str) -> list[str]:
        """Tokens of knowledge-base text: folded and expanded, never repaired.

        Small talk reads each message this way too, so short texts are kept. Nothing a taught
        phrasing changes is used here (the synonyms and context rules are fixed at start-up, only
        the vocabulary of repairs grows), so the kept tokens never go stale."""
        cached = self._index_cache.get(text)
        if cached is None:
            cached = tuple(self.expand(*self.in_context(fold(text).split())))
            if len(text) <= KEPT_CHARS:
                if len(self._index_cache) >= _KEPT:
                    self._index_cache.clear()
                self._index_cache[text] = cached
        return list(cached)

    # --- repairs -------------------------------------------------------------------------
    def _known(self, tok: str) -> bool:
        return tok in self.vocab or tok.isdigit()

    def _repair(self, toks: list[str]) -> list[str]:
        if not self.vocab:
            return toks
        out = list(toks)
        for i, tok in enumerate(toks):
            if self._known(tok) or len(tok) > 20:
                continue
            prev = out[i - 1] if i else None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            fixed = self._best_repair(tok, prev, nxt)
            if fixed:
                out[i] = fixed
        return out

    def _fits(self, cand: str, prev: str | None, nxt: str | None) -> bool:
        """A repair must make a known pair with a neighbour; pairs with filler words prove nothing."""
        if cand in self.stopwords:
            return False
        return (prev not in self.stopwords and (prev, cand) in self.bigrams) or (
            nxt not in self.stopwords and (cand, nxt) in self.bigrams
        )

    def _best_repair(self, tok: str, prev: str | None, nxt: str | None) -> str | None:
        for cand in telex_repairs(tok):
            if self._known(cand):
                return cand
        for cand in regional_variants(tok):
            if self._known(cand) and self._fits(cand, prev, nxt):
                return cand
        if len(tok) < 3 or not tok.isalpha():
            return None
        matches = self._similar(tok)
        if not matches:
            return None
        fitting = [m for m in matches if self._fits(m[0], prev, nxt)]
        if fitting:
            return min(fitting, key=lambda m: (m[1], -self.vocab[m[0]]))[0]
        # Out of context, only long words are safe to correct: short ones collide too easily.
        if len(tok) >= 6 and matches[0][1] == 1:
            best = [m for m in matches if m[1] == 1]
            return max(best, key=lambda m: self.vocab[m[0]])[0]
        return None

    def _fix_pairs(self, toks: list[str]) -> list[str]:
        """Known words in an unknown pair ("tam van", "tam chu"): try a regional spelling or a
        one-letter change of the second word that makes a pair the index knows."""
        if not self.bigrams:
            return toks
        out = list(toks)
        for i in range(1, len(out)):
            a, b = out[i - 1], out[i]
            if (a, b) in self.bigrams or a in self.stopwords or len(a) < 2 or len(b) < 2:
                continue
            nxt = out[i + 1] if i + 1 < len(out) else None
            if nxt is not None and (b, nxt) in self.bigrams:
                continue  # b already pairs with its right neighbour
            # A one-letter change of a known word is only trusted when it makes a procedure's
            # name ("tam van" -> "tam vang"); otherwise ordinary words would be rewritten.
            for cand in regional_variants(b):
                if (a, cand) in self.phrases or ((a, cand) in self.bigrams and cand not in self.stopwords):
                    out[i] = cand
                    break
            else:
                if b in self.stopwords:
                    continue  # "chưa", "của": everyday words, never a typo ("xác nhận chưa" is not "nhận cha")
                for cand in self._near(b):
                    if (a, cand) in self.phrases:
                        out[i] = cand
                        break
        return out

    def _near(self, tok: str) -> list[str]:
        if len(tok) < 3 or not tok.isalpha():
            return []
        return [m[0] for m in self._similar(tok) if m[1] <= 1]

    def _similar(self, tok: str) -> list[tuple[str, int]]:
        """Known words within one edit (two for long words), cached: typos recur."""
        found = self._similar_cache.get(tok)
        if found is None:
            limit = 1 if len(tok) < 8 else 2
            found = [(m[0], int(m[1])) for m in process.extract(
                tok, self._vocab_list, scorer=OSA.distance, score_cutoff=limit, limit=40)]  # fmt: skip
            if len(self._similar_cache) > 20_000:
                self._similar_cache.clear()
            self._similar_cache[tok] = found
        return found
