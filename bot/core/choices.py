"""Read a typed answer to a multiple-choice question: which option it names, if exactly one.

Nothing is picked silently. A bare yes/no ("có", "ko", "ừ") names no option unless an option
declares `means: yes` (or no) or lists that very word among its own words; two options that fit equally name none; a number
names the option at that place only when there is one. The caller then asks again, listing the
options.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.core.replies import bare_reply, read_reply, without_no_pronoun
from bot.core.text import fold
from bot.data.flow_models import Option

# Particles that may close a pick: "số 2 nhé", "cái đầu tiên ạ", "chọn 3 đi".
_CLOSE = r"(?:\s+(?:a|ah|ak|nhe|nha|di|nhi|oi|thoi|ban|em|one|option))*"
# "2", "số 2", "thứ 2", "cái 2", "nút 2", "option 2", "2." — the option at that place.
_ORDINAL = re.compile(r"^(?:(?:chon|so|thu|cai|nut|phuong an|lua chon|option|number|muc|y)\s*)*(\d{1,2})" + _CLOSE + "$")
# "cái đầu tiên", "cái thứ hai", "số hai", "the second one", "cái cuối": a place in the list,
# said in words. Bare number words ("hai", "ba") are not enough: "ba" is also father.
_PLACE_WORDS = {"nhat": 1, "mot": 1, "dau tien": 1, "dau": 1, "hai": 2, "nhi": 2, "ba": 3, "tu": 4, "bon": 4,
                "nam": 5, "sau": 6, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}  # fmt: skip
_LAST_WORDS = frozenset({"cuoi", "cuoi cung", "last"})
_PLACE = re.compile(
    r"^(?:chon\s+)?(?:(?:cai|so|muc|nut|phuong an|lua chon|y|dap an|the|option|number)\s+)+(?:thu\s+)?"
    r"(nhat|mot|dau tien|dau|hai|nhi|ba|tu|bon|nam|sau|cuoi cung|cuoi|first|second|third|fourth|fifth|sixth|last)"
    + _CLOSE + "$"
    r"|^(?:thu\s+)?(nhat|dau tien|cuoi cung|first|second|third|fourth|fifth|last)" + _CLOSE + "$"
    r"|^thu\s+(hai|ba|tu|bon|nam|sau)(?:\s+(?:a|nhe|nha))?$"
)


def place(text: str, count: int) -> int | None:
    """The 0-based place in a list of ``count`` items that a typed pick names ("2", "cái thứ 2",
    "cai thu hai", "số 3 nhé", "the first one", "cái cuối"), or None: not a pick, or no such place."""
    folded = fold(text)
    number = _ORDINAL.match(folded)
    if number and number.group(1) in text:  # ASCII digits only: "①" or "²" is no place number
        index = int(number.group(1))
        return index - 1 if 1 <= index <= count else None
    words = _PLACE.match(folded)
    if words:
        word = words.group(1) or words.group(2) or words.group(3)
        index = count if word in _LAST_WORDS else _PLACE_WORDS[word]
        return index - 1 if 1 <= index <= count else None
    return None


# "cái kia", "cai con lai", "không, cái kia mới đúng", "nhầm, chọn cái tê", "the other one": the option
# not taken of two. Read only where there were exactly two (the caller knows which was taken).
_OTHER = re.compile(
    r"^(?:(?:khong|ko|k|nham|nham roi|a|oi|chet|sorry|oops|xin loi|khong phai)\s+)*"
    r"(?:(?:chon|lay|doi sang|sang)\s+)?(?:(?:cai|muc|cau|phuong an|lua chon|y)\s+)?(?:kia|con lai|te|khac)"
    r"(?:\s+(?:moi dung|chu|co|a|ah|nhe|nha|di|thoi|em|ban))*$"
    r"|^(?:no\s+)?(?:i meant\s+)?the other(?:\s+one)?(?:\s+please)?$"
)


def is_the_other(text: str) -> bool:
    """Whether a message asks for the other of two options ("cái kia", "cai con lai", "the other one")."""
    return _OTHER.match(fold(text)) is not None


def is_place(text: str) -> bool:
    """Whether a message is nothing but a pick by place ("cái thứ 2"), whatever list it meant."""
    return place(text, 99) is not None


_NEGATORS = frozenset({"khong", "ko", "k", "kh", "chua", "not", "no", "chang", "cha"})
_FUZZY_MIN = 86.0  # a typo or two in a phrase of several words ("benh vein")
_FUZZY_PHRASE = 5  # shorter phrases ("bv", "mat") are matched whole only: fuzzing them collides


_PHRASES: dict[int, tuple[Option, tuple[tuple[str, ...], ...]]] = {}


def _phrases(option: Option) -> tuple[tuple[str, ...], ...]:
    """The option's words as folded word tuples: its id, labels and declared synonyms. Cached by
    identity (options live as long as their flow; hashing a pydantic model costs more than this)."""
    cached = _PHRASES.get(id(option))
    if cached is not None and cached[0] is option:
        return cached[1]
    texts = (option.id.replace("_", " "), option.label.vi, option.label.en, *option.match)
    phrases = tuple(dict.fromkeys(t for t in (tuple(fold(x).split()) for x in texts) if t))
    if len(_PHRASES) > 4096:
        _PHRASES.clear()
    _PHRASES[id(option)] = (option, phrases)
    return phrases



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


def says_any(text: str, phrases: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``phrases`` whole, with no negation in the two words before it
    ("hàn quốc" in "nó sang hàn quốc làm", not in "không sang hàn quốc")."""
    words = fold(without_no_pronoun(text)).split()
    for phrase in phrases:
        wanted = tuple(fold(phrase).split())
        for i in range(len(words) - len(wanted) + 1):
            if tuple(words[i : i + len(wanted)]) == wanted and not _NEGATORS & set(words[max(0, i - 2) : i]):
                return True
    return False


def _covered(words: list[str], option: Option) -> tuple[frozenset[int], frozenset[tuple[str, ...]]]:
    """The words of the answer this option's phrases cover whole, and its phrases typed only
    after a negation (which count neither whole nor as a near miss)."""
    present = set(words)
    covered: frozenset[int] = frozenset()
    negated: set[tuple[str, ...]] = set()
    for phrase in _phrases(option):
        if phrase[0] not in present:
            continue
        hit, was_negated = _hits(words, phrase)
        covered |= hit
        if was_negated and not hit:
            negated.add(phrase)
    return covered, frozenset(negated)


def _fuzzy(folded: str, option: Option, skip: frozenset[tuple[str, ...]]) -> float:
    """How close the typed text is to one of the option's phrases, allowing typos. An option
    negated by name ("không phải bệnh viện") is not near-missed through another of its phrases."""
    if skip:
        return 0.0
    best = 0.0
    for phrase in _phrases(option):
        joined = " ".join(phrase)
        if len(joined) < _FUZZY_PHRASE or phrase in skip:
            continue
        # Only a typed text about as long as the phrase may be a misspelling of it; a short
        # word is never fuzzed into a long label ("co" is not "co so y te").
        if len(folded) >= 0.6 * len(joined):
            best = max(best, fuzz.ratio(folded, joined))
        if len(folded) >= len(joined):
            best = max(best, fuzz.partial_ratio(joined, folded) - 4)
    return best


def parse_choice(text: str, options: Sequence[Option]) -> str | None:
    """The id of the one option a typed answer names, or None (ask again, listing the options)."""
    folded = fold(without_no_pronoun(text))  # "nó đi làm" names "đi làm", not after a "no"
    if not folded or not options:
        return None
    if _ORDINAL.match(folded) or _PLACE.match(folded):
        at = place(text, len(options))
        return options[at].id if at is not None else None
    words = folded.split()
    # An option's own word typed alone picks it, even one that folds like a yes/no word
    # ("hỏng" = broken, listed by the option, folds like "hông" = no).
    exact = [o.id for o in options if tuple(words) in _phrases(o)]
    if len(exact) == 1:
        return exact[0]
    reply = bare_reply(text)
    read = [(_covered(words, o), o) for o in options]
    whole = [(covered, o.id) for (covered, _n), o in read if covered]
    if reply is not None:  # a bare yes/no picks only the option declared to mean it…
        meant = [o.id for o in options if o.means is not None and o.means == reply.value]
        if meant or not any(len(covered) >= 2 for covered, _oid in whole):
            return meant[0] if len(meant) == 1 else None
        # …unless it only reads as one: "nhà cha mẹ chồng" is all particles and "chả" to the reply
        # words, yet names the option "nhà cha mẹ" in two words or more.
    if whole:
        # One option's words typed whole decide, unless another option's words are typed too
        # and not inside them ("ở nhà hay bệnh viện" asks; the label of one option may hold a
        # shorter word of another, which then does not count).
        widest = max(whole, key=lambda w: len(w[0]))
        if all(covered <= widest[0] for covered, oid in whole if oid != widest[1]) and sum(
            covered == widest[0] for covered, _oid in whole) == 1:  # fmt: skip
            return widest[1]
        return None
    if reply is None and (lead := read_reply(text)) is not None:
        # "k phải, ny e người úc" to "Both Vietnamese, living here, right?": the no said first
        # picks the option declared to mean no, when no option's own words are typed.
        meant = [o.id for o in options if o.means is not None and o.means == lead.value]
        if len(meant) == 1:
            return meant[0]
    scored = sorted(((_fuzzy(folded, o, negated), o.id) for (_c, negated), o in read), reverse=True)
    top, runner_up = scored[0][0], scored[1][0] if len(scored) > 1 else 0.0
    if top < _FUZZY_MIN or runner_up >= top - 3:
        return None  # nothing close, or two options fit equally: ask again rather than guess
    return scored[0][1]
