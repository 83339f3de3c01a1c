"""Read a typed answer to a multiple-choice question: which option it names, if exactly one.

Nothing is picked silently. A bare yes/no ("có", "ko", "ừ") names no option unless an option
declares `means: yes` (or no) or lists that very word among its own words; two options that fit equally name none; a number
names the option at that place only when there is one. The caller then asks again, listing the
options.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from bot.core.replies import bare_reply
from bot.core.text import fold
from bot.data.flow_models import Option

# "2", "số 2", "thứ 2", "cái 2", "option 2", "2." — the option at that place.
_ORDINAL = re.compile(r"^(?:so|thu|cai|phuong an|lua chon|option|number|muc)?\s*(\d{1,2})$")
_NEGATORS = frozenset({"khong", "ko", "k", "kh", "chua", "not", "no", "chang", "cha"})
_FUZZY_MIN = 86.0  # a typo or two in a phrase of several words ("benh vein")
_FUZZY_PHRASE = 5  # shorter phrases ("bv", "mat") are matched whole only: fuzzing them collides


@lru_cache(maxsize=256)
def _phrases(option: Option) -> tuple[tuple[str, ...], ...]:
    """The option's words as folded word tuples: its id, labels and declared synonyms."""
    texts = (option.id.replace("_", " "), option.label.vi, option.label.en, *option.match)
    return tuple(dict.fromkeys(t for t in (tuple(fold(x).split()) for x in texts) if t))



def _hits(words: list[str], phrase: tuple[str, ...]) -> tuple[frozenset[int], bool]:
    """The word positions where ``phrase`` occurs whole, and whether it also occurs right after
    a negation ("không phải bệnh viện"), which does not count."""
    n = len(phrase)
    covered: set[int] = set()
    negated = False
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) != phrase:
            continue
        if (i > 0 and words[i - 1] in _NEGATORS) or (i > 1 and words[i - 2] in _NEGATORS and words[i - 1] == "phai"):
            negated = True
        else:
            covered.update(range(i, i + n))
    return frozenset(covered), negated


def _read(words: list[str], folded: str, option: Option) -> tuple[frozenset[int], float]:
    """The words of the answer this option's phrases cover whole, and its best fuzzy score."""
    covered: frozenset[int] = frozenset()
    fuzzy = 0.0
    for phrase in _phrases(option):
        hit, negated = _hits(words, phrase)
        if hit or negated:
            covered |= hit
            continue
        joined = " ".join(phrase)
        if len(joined) < _FUZZY_PHRASE:
            continue
        # Only a typed text about as long as the phrase may be a misspelling of it; a short
        # word is never fuzzed into a long label ("co" is not "co so y te").
        if len(folded) >= 0.6 * len(joined):
            fuzzy = max(fuzzy, fuzz.ratio(folded, joined))
        if len(folded) >= len(joined):
            fuzzy = max(fuzzy, fuzz.partial_ratio(joined, folded) - 4)
    return covered, fuzzy


def parse_choice(text: str, options: Sequence[Option]) -> str | None:
    """The id of the one option a typed answer names, or None (ask again, listing the options)."""
    folded = fold(text)
    if not folded or not options:
        return None
    number = _ORDINAL.match(folded)
    if number and number.group(1) in text:  # ASCII digits only: "①" or "²" is no place number
        index = int(number.group(1))
        return options[index - 1].id if 1 <= index <= len(options) else None
    words = folded.split()
    # An option's own word typed alone picks it, even one that folds like a yes/no word
    # ("hỏng" = broken, listed by the option, folds like "hông" = no).
    exact = [o.id for o in options if tuple(words) in _phrases(o)]
    if len(exact) == 1:
        return exact[0]
    reply = bare_reply(text)
    if reply is not None:  # a bare yes/no picks only the option declared to mean it
        meant = [o.id for o in options if o.means is not None and o.means == reply.value]
        return meant[0] if len(meant) == 1 else None
    read = [(_read(words, folded, o), o.id) for o in options]
    whole = [(covered, oid) for (covered, _f), oid in read if covered]
    if whole:
        # One option's words typed whole decide, unless another option's words are typed too
        # and not inside them ("ở nhà hay bệnh viện" asks; the label of one option may hold a
        # shorter word of another, which then does not count).
        widest = max(whole, key=lambda w: len(w[0]))
        if all(covered <= widest[0] for covered, oid in whole if oid != widest[1]) and sum(
            covered == widest[0] for covered, _oid in whole) == 1:  # fmt: skip
            return widest[1]
        return None
    scored = sorted(((fuzzy, oid) for (_c, fuzzy), oid in read), reverse=True)
    top, runner_up = scored[0][0], scored[1][0] if len(scored) > 1 else 0.0
    if top < _FUZZY_MIN or runner_up >= top - 3:
        return None  # nothing close, or two options fit equally: ask again rather than guess
    return scored[0][1]
