"""Vietnamese-aware text folding: the first step of understanding how people really type.

Folding maps every way of writing a word to one key: Unicode forms (precomposed or combining),
case, accents and đ, punctuation, emoji and letters repeated for emphasis ("khongggg").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Emphasis repeats vowels or the last letter ("khongggg", "dauuu"); "cccd" must survive.
_REPEATS = re.compile(r"([aeiouy])\1{2,}|([a-z])\2{2,}\b")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_CONTROL = {c: " " for c in range(32)} | {0x7F: " ", ord("Đ"): "d", ord("đ"): "d"}
# The combining marks that can sit on a Latin letter (accents, the horn of ơ/ư, the breve of ă…:
# the Unicode blocks of combining diacritics) deleted by one str.translate, in C — a third faster
# than testing each character in Python, and fold runs several times a turn. Marks of other
# scripts need no deleting: nothing but a-z and 0-9 survives the next step anyway.
_COMBINING = dict.fromkeys(cp for first, last in ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                                                  (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
                           for cp in range(first, last + 1))  # fmt: skip


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept) and with lone surrogates
    replaced: no database, JSON encoder or page takes them, and a person never means them."""
    text = _UNSTORABLE.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces.

    >>> fold("Làm CCCD ở đâu ạ??")
    'lam cccd o dau a'
    """
    # A turn folds its message several times (reading answers, small talk, language, matching):
    # short texts are folded once and kept.
    return _fold_kept(text) if len(text) <= KEPT_CHARS else _fold(text)


KEPT_CHARS = 300
"""Texts up to this long are kept folded (a message is a line or two; a long paste is not kept)."""


def kept_per_text(work: Callable[[str], T]) -> Callable[[str], T]:
    """``work``, a pure function of a message's text (and of data fixed at start-up), with its
    answers kept for the last 4,096 texts up to ``KEPT_CHARS`` long: a turn asks the same of its
    message several times, and common messages repeat."""
    kept = functools.lru_cache(maxsize=4096)(work)

    @functools.wraps(work)
    def read(text: str) -> T:
        return kept(text) if len(text) <= KEPT_CHARS else work(text)

    return read


@functools.lru_cache(maxsize=8192)
def _fold_kept(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_CONTROL).casefold())
    stripped = decomposed.translate(_COMBINING).replace("đ", "d").replace("ð", "d")
    words = _NON_WORD.sub(" ", stripped)
    return _REPEATS.sub(lambda m: m.group(1) or m.group(2), words).strip()


def tokens(text: str) -> list[str]:
    """Folded words of ``text``."""
    return fold(text).split()


_VOWELS = set("aeiouy")
_TELEX_PAIRS = (("dd", "d"), ("aw", "a"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"),
                ("uw", "u"), ("w", "u"))  # fmt: skip
_TONE_KEYS = "sfrxj"


def telex_repairs(token: str) -> list[str]:
    """Plausible readings of a word typed with the Telex or VNI keys left unconverted.

    "ddawng" -> "dang", "kys" -> "ky", "ca8n" -> "can". Callers keep a reading only if it is a
    known word, so ordinary words are never damaged.
    """
    out: list[str] = []
    if any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token):
        vni = re.sub(r"(?<=[a-z])[1-9]+|[1-9]+(?=[a-z])", "", token)
        if vni and vni != token and vni.isalpha():
            out.append(vni)
    if not token.isalpha():
        return out
    word = token
    if len(word) > 2 and word[-1] in _TONE_KEYS and any(c in _VOWELS for c in word[:-1]):
        word = word[:-1].rstrip(_TONE_KEYS) or word
    # a tone key typed right after the vowel, before the final consonant ("tamj" is the last case)
    word = re.sub(r"(?<=[aeiouy])[sfrxj](?=[cmnpt]|ng|nh|ch)", "", word)
    for pair, plain in _TELEX_PAIRS:
        word = word.replace(pair, plain)
    if word != token:
        out.append(word)
    return out


def regional_variants(token: str) -> list[str]:
    """Spellings confused in regional speech: tr/ch, s/x, d/gi/r, l/n (first consonant)."""
    swaps = (("tr", "ch"), ("ch", "tr"), ("s", "x"), ("x", "s"), ("gi", "d"), ("d", "gi"),
             ("r", "gi"), ("r", "d"), ("d", "r"), ("l", "n"), ("n", "l"))  # fmt: skip
    out = []
    for a, b in swaps:
        if token.startswith(a) and not (a == "n" and token.startswith("ng")):
            out.append(b + token[len(a) :])
    return out
