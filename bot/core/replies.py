"""Read a typed reply to a yes/no question: yes, no, "I don't know" — or not an answer at all.

The words live in knowledge/replies.yaml. A message is an answer only when every word of it is
a reply word, a polite particle, or a word of the question itself (Vietnamese answers by echoing
the verb: "Đã đăng ký chưa?" — "đăng ký rồi", "chưa đăng ký"). Anything else is a question or a
statement of its own ("có mất tiền không"), and the caller should treat it as such.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise

from bot.core.text import KEPT_CHARS, fold
from bot.data.replies import Lexicon, default_lexicon


class Reply(StrEnum):
    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"


# Question particles that fold into answer words ("à" into the particle "ạ", "ư" into "u" = ừ):
# read on the raw text before folding.
_RAW_QUESTION = re.compile(r"(?:^|\s)(?:à|hả|hở|ư|chăng)(?=\s|$|[.!?,…])", re.IGNORECASE)
# Openers answer before they ask: "dạ không" is a polite no, while "có không" asks.
_OPENERS = frozenset({"da", "vang", "u", "uh", "um", "uhm", "o", "ua", "uk", "ukm", "om"})
_MAX_WORDS = 12
_LEAD = re.compile(r"\s*[,;:.!…]+\s*|\s+[-–—]+\s+")  # the end of a leading "có," / "không -"  # a reply is short; a long message is something else


_WHERE = ("o", "dau")
_MARKERS = frozenset({"co", "da", "dang", "con", "van", "se", "phai"})


@lru_cache(maxsize=512)
def _echo_words(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The question's words, and its predicate: the two words after "có/đã/đang…" ("đăng ký"
    in "Hai bạn đã đăng ký kết hôn chưa?"), which alone may be echoed as a yes."""
    words = fold(question).split()
    every = frozenset(w for w in words if len(w) >= 2 and not w.isdigit())
    head = next((i for i, w in enumerate(words[:-1]) if w in _MARKERS), None)
    predicate = frozenset(words[head + 1 : head + 3]) if head is not None else frozenset()
    return every, predicate


def read_reply(text: str, question: str = "", lexicon: Lexicon | None = None, *, lead: bool = True) -> Reply | None:
    """What a typed message says to a yes/no question, or None when it is not an answer.

    ``question`` is the text of the question asked (any language); its words may be echoed in
    the answer. Don't-know wins over no ("không biết"), no wins over yes ("có, không cần"),
    and a message that asks ("có mất tiền không", "phải không?", "có à") is None. A clear
    reply set off by a comma or a dash may be followed by why ("không, sim của vợ"), unless
    ``lead`` is False (the whole message must be the reply).
    """
    if lexicon is None and len(text) <= KEPT_CHARS:
        return _read_reply_kept(text, question, lead)
    return _read_reply(text, question, lexicon or default_lexicon(), lead)


@lru_cache(maxsize=4096)
def _read_reply_kept(text: str, question: str, lead: bool) -> Reply | None:
    # The shipped lexicon never changes in a process, and a turn reads the same message up to
    # five times (is it "I don't know", a yes to the question asked, a bare "có"?).
    return _read_reply(text, question, default_lexicon(), lead)


def _read_reply(text: str, question: str, lex: Lexicon, lead: bool) -> Reply | None:
    if "?" in text or "？" in text or _RAW_QUESTION.search(text):
        return None
    head, sep, tail = _split_lead(text)
    if lead and sep and (guess := _guess(tail, question, lex)) is not None and _read(head, question, lex) is Reply.DONT_KNOW:
        return guess  # "k biết, chắc chưa": not sure, but a guess is given; the guide goes on with it
    whole = _read(text, question, lex)
    if whole is not None or not lead:
        return whole
    if not sep or not fold(tail):
        return None
    tail_words = fold(tail).split()
    if len(tail_words) > 1 and tail_words[-1] in lex.question_final:
        return None  # "có, mà có mất tiền không"
    return _read(head, question, lex)


_HEDGES = (("chac", "la"), ("chac",), ("hinh", "nhu"), ("co", "le"), ("probably",), ("maybe",))
"""How a guess opens ("chắc là có", "hình như chưa", "probably not")."""


def _guess(text: str, question: str, lex: Lexicon) -> Reply | None:
    """The yes or no a hedged guess gives ("chắc chưa", "hình như có rồi"), or None."""
    words = fold(text).split()
    hedge = next((h for h in _HEDGES if tuple(words[: len(h)]) == h), None)
    if hedge is None or len(words) == len(hedge):
        return None
    reply = _read(" ".join(words[len(hedge) :]), question, lex)
    return reply if reply in (Reply.YES, Reply.NO) else None


def _split_lead(text: str) -> tuple[str, str, str]:
    match = _LEAD.search(text)
    if match is None:
        return text, "", ""
    return text[: match.start()], match.group(), text[match.end() :]


def _with_variants(words: list[str], lex: Lexicon, echo: frozenset[str]) -> list[str]:
    """The words with other ways of saying the question's words put back ("chưa dk" is "chưa đăng
    ký", "cưới rồi" is "kết hôn rồi"), longest first; only toward words the question holds, and
    a reply word is never rewritten."""
    if not lex.variants:
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(lex.longest, len(words) - i), 0, -1):
            target = lex.variants.get(tuple(words[i : i + n]))
            if target is not None and set(target) <= echo and tuple(words[i : i + n]) not in lex.phrases:
                out.extend(target)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


_COMMON_ECHO = frozenset({"lam", "co", "da", "dang", "duoc", "can", "phai", "muon", "khong", "chua", "ban", "nguoi"})
"""Question words too common to tell one question from another: echoing only these says nothing of which."""


def echoed_reply(text: str, question: str, lexicon: Lexicon | None = None) -> Reply | None:
    """A yes or no to ``question`` that says so in the question's own words ("bố mẹ cưới rồi" to
    "Cha mẹ bé đã đăng ký kết hôn chưa?"), or None. A bare "có" or "không" could answer any
    question, so it never counts; the whole message must be the reply."""
    if "?" in text or "？" in text or _RAW_QUESTION.search(text):
        return None
    reply, echoed = _reading(text, question, lexicon or default_lexicon())
    if reply not in (Reply.YES, Reply.NO) or not set(echoed) - _COMMON_ECHO:
        return None
    return reply


# "nó" (he, she, it) folds to the English "no"; typed with its accent it is who answers, a particle.
_NO_PRONOUN = re.compile(r"(?<!\w)[nN][óÓ](?!\w)")


def without_no_pronoun(text: str) -> str:
    """``text`` with an accented "nó" (who answers) made the particle "họ", so that folding cannot
    turn it into the English "no" ("nó đi làm" is not a negated "đi làm")."""
    return _NO_PRONOUN.sub("họ", unicodedata.normalize("NFC", text))


def _read(text: str, question: str, lex: Lexicon) -> Reply | None:
    return _reading(text, question, lex)[0]


def _reading(text: str, question: str, lex: Lexicon) -> tuple[Reply | None, list[str]]:
    """The reply, and the question's words it echoed."""
    words = fold(without_no_pronoun(text)).split()
    if not words or len(words) > _MAX_WORDS:
        return None, []
    if any(pair == _WHERE for pair in pairwise(words)):
        return None, []  # "ở đâu" folds like "ờ" + the particle "đâu", but asks where
    echo, predicate = _echo_words(question) if question else (frozenset(), frozenset())
    if echo:
        words = _with_variants(words, lex, echo)
    echoed: list[str] = []
    found: list[str] = []  # meaning of each phrase read, in order; "echo" for a question word
    asks = False  # a word that can carry a question ("có", "phải", "được", a question word) was read
    i = 0
    longest = lex.longest
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            meaning = lex.phrases.get(tuple(words[i : i + n]))
            if meaning is not None:
                if words[i : i + n] == ["dau"] and "yes" in found:
                    meaning = "no"  # "có đâu", "có ly hôn đâu": "đâu" after a yes denies it
                found.append(meaning)
                asks = asks or (meaning == "yes" and words[i] not in _OPENERS)
                i += n
                break
        else:
            if words[i] not in echo:
                return None, []  # a content word of its own: not an answer
            found.append("echo")
            asks = True
            echoed.append(words[i])
            i += 1
    # "có … không", "rồi chưa", "đăng ký chưa": a question word at the end after a yes or an echo.
    if asks and len(found) > 1 and found[-1] == "no" and words[-1] in lex.question_final:
        return None, echoed
    if "dont_know" in found:
        return Reply.DONT_KNOW, echoed
    if "no" in found:
        return Reply.NO, echoed
    if "yes" in found:
        return Reply.YES, echoed
    if echoed and set(echoed) <= predicate:
        return Reply.YES, echoed  # the verb echoed on its own is a yes: "Đã đăng ký chưa?" — "Đăng ký ạ"
    return None, echoed


def parse_yesno(text: str, question: str = "") -> str | None:
    """'yes', 'no', or None (not an answer, or "I don't know" — see ``parse_dont_know``)."""
    reply = read_reply(text, question)
    return reply.value if reply in (Reply.YES, Reply.NO) else None


def parse_dont_know(text: str) -> bool:
    """Whether the message says "I don't know" ("ko bt", "chưa rõ ạ", "not sure")."""
    return read_reply(text) is Reply.DONT_KNOW


def bare_reply(text: str) -> Reply | None:
    """The reply a message is when it is nothing but yes/no/don't-know words and particles."""
    return read_reply(text, lead=False)


def accepts_suggestion(text: str, lexicon: Lexicon | None = None) -> bool:
    """Whether a message only agrees to what was just proposed ("ok", "ừ", "vâng ạ", "thế cũng
    được") — unlike "có" or "không", which answer the question itself."""
    lex = lexicon or default_lexicon()
    if "?" in text or _RAW_QUESTION.search(text):
        return False
    words = tuple(w for w in fold(text).split() if lex.phrases.get((w,)) != "particle")
    return bool(words) and words in lex.accept
