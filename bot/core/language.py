"""Which language to answer in: the one the person's own words unmistakably use, else the one their
earlier words did, else the channel's.

The channel says a language (a page's ``lang``, Telegram's ``language_code``): a phone set to
English is no sign its owner reads English — many Vietnamese keep their phones in English — and a
Vietnamese page is no sign an English sentence wants Vietnamese back. So a message overrides the
channel when it is unmistakable, either way, and the conversation remembers it (a button pressed
next is answered in the same language). An explicit /lang choice is above all of this. Vietnamese typed without accents
is full of words that are also English ("the can cuoc", "can giay to gi", "do tuoi", "to khai",
"ban oi"), so English needs words that cannot be Vietnamese: every Vietnamese syllable fits one
pattern (onset, vowels, one of eight endings) and "how", "where", "register", "birth" do not.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.core.text import KEPT_CHARS, fold, telex_repairs

ENGLISH = "en"
VIETNAMESE = "vi"

# A Vietnamese syllable once accents are folded: an optional onset, one to three vowels, an
# optional final consonant. Words that do not fit are English (or abbreviations, see below).
_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?$")

# English words that are also Vietnamese syllables without accents ("the" thẻ/thế, "can" cần,
# "do" đỏ/đó, "to" tờ, "me" mẹ, "an" ăn, "ban" bạn): they count for neither language.
_BOTH = frozenset(["a", "i", "the", "can", "do", "to", "me", "an", "ban", "my", "it", "at", "get", "so", "no", "in", "on", "he", "be", "by", "go", "up", "us", "am", "hi", "you", "man", "men", "ten", "son", "mom", "pin", "top", "lot", "not", "hot", "cut", "but", "bit", "set", "net", "tip", "cap", "map", "nap", "tap", "much", "long", "than", "then", "that", "each", "pay"])

# Chat words and names Vietnamese people type too: neither language.
_NEUTRAL = frozenset(["ok", "oke", "okie", "online", "offline", "app", "vneid", "zalo", "facebook", "fb", "messenger", "momo", "email", "gmail", "internet", "wifi", "sim", "otp", "qr", "code", "id", "pass", "ad", "admin", "bot", "shop", "sms", "link", "web", "website", "hotline", "cccd", "cmnd", "gplx", "bhyt", "bhxh", "mst"])

# Words that glue an English sentence together (some are Vietnamese too, and count for neither):
# a run of unknown words (a code "MUTE-WIRA", a name) is not English without one of them, or
# without three such words.
_ENGLISH_GLUE = frozenset({
    "to", "a", "the", "can", "do", "in", "on", "me", "an", "at", "get", "so", "no",
    "how", "what", "where", "when", "why", "who", "which", "whose", "is", "are", "was", "were",
    "does", "did", "have", "has", "had", "will", "would", "should", "could", "please", "need", "want",
    "this", "these", "those", "there", "their", "they", "your", "with", "from", "for", "of", "and",
    "or", "not", "i", "my", "you", "it",
})

_VIETNAMESE_LETTERS = frozenset("ăâđêôơưĂÂĐÊÔƠƯ")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook above, dot below


def _has_vietnamese_marks(text: str) -> bool:
    """Letters or tone marks only Vietnamese uses (English never carries them)."""
    if any(c in _VIETNAMESE_LETTERS for c in text):
        return True
    decomposed = unicodedata.normalize("NFD", text)
    return any(c in _TONES for c in decomposed) and any(ord(c) > 127 for c in text)


def text_language(text: str) -> str | None:
    """The language a message is unmistakably written in, or None when it could be either."""
    return _language_kept(text) if len(text) <= KEPT_CHARS else _language(text)


@functools.lru_cache(maxsize=4096)
def _language_kept(text: str) -> str | None:
    return _language(text)


def _language(text: str) -> str | None:
    if not text or not text.strip() or text.lstrip().startswith("/"):
        return None  # a command's arguments are codes and names, not a language
    english = vietnamese = glue = telex = 0
    for word in fold(text).split():
        glue += word in _ENGLISH_GLUE
        if not word.isalpha() or word in _NEUTRAL or word in _BOTH:
            continue
        if not any(v in word for v in "aeiouy"):
            continue  # "cccd", "ntn", "k": chat abbreviations
        if _SYLLABLE.match(word):
            vietnamese += 1
        elif _telex_leftover(word):
            telex += 1
        else:
            english += 1
    if not glue:  # "heets bao nhieeu tieenf": Telex leftovers; beside English glue ("keeps") they stay English
        vietnamese += telex
    else:
        english += telex
    if english >= 2 and english > 2 * vietnamese and (glue or english >= 3):
        return ENGLISH  # even with a Vietnamese name in it: "I live in Nghệ An, how do I register"
    if _has_vietnamese_marks(text) and english < 2:
        return VIETNAMESE
    if vietnamese >= 2 and english == 0:
        return VIETNAMESE
    return None


_TELEX_MARKS = re.compile(r"aa|ee|oo|aw|ow|uw|dd")


def _telex_leftover(word: str) -> bool:
    """A Vietnamese word typed with the Telex keys left unconverted ("heets", "tieenf", "cawn",
    "lamf"): a vowel doubled or marked (aa, ow, uw, dd) or a tone key no English word ends in (f,
    j, x), and a Vietnamese syllable once read as Telex. English glue ("how") is never one."""
    if word in _ENGLISH_GLUE or not (_TELEX_MARKS.search(word) or word[-1] in "fjx"):
        return False
    return any(_SYLLABLE.match(w) for w in telex_repairs(word))


def reply_language(text: str, channel: str | None, supported: tuple[str, ...] = (VIETNAMESE, ENGLISH),
                   earlier: str | None = None) -> str:  # fmt: skip
    """The language to answer ``text`` in: the text's own when unmistakable, else ``earlier``
    (what the person's words last were, kept by the conversation), else the channel's
    (``channel``: a code such as "vi", "en-US" or None; the first of ``supported`` when none)."""
    return choose(text_language(text), channel, supported, earlier)


def choose(written: str | None, channel: str | None, supported: tuple[str, ...] = (VIETNAMESE, ENGLISH),
           earlier: str | None = None) -> str:  # fmt: skip
    """:func:`reply_language` for a text whose :func:`text_language` is known (``written``)."""
    if written in supported:
        return written
    if earlier in supported:
        return earlier
    base = channel.replace("_", "-").split("-")[0].lower() if channel else ""
    return base if base in supported else supported[0]
