"""Understand free-text answers to a flow step: yes/no, dates, numbers, choices.

Yes/no lives in ``bot.core.replies`` (its words in knowledge/replies.yaml), choices in
``bot.core.choices``, dates in ``bot.core.dates``; their entry points are re-exported here so callers have one place to look.
"""

from __future__ import annotations

import re

from bot.core.choices import parse_choice
from bot.core.dates import parse_date, read_date
from bot.core.replies import Reply, bare_reply, parse_dont_know, parse_yesno, read_reply
from bot.core.text import fold

__all__ = ["Reply", "bare_reply", "parse_choice", "parse_date", "parse_dont_know", "parse_number", "parse_yesno",
           "read_date", "read_reply"]  # fmt: skip

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def parse_number(text: str) -> float | None:
    """Digits ("3", "2,5") or Vietnamese number words up to 999 ("hai mươi lăm", "mười tám")."""
    m = _NUMBER.search(text)
    if m:
        return float(m.group().replace(",", "."))
    return _number_words(fold(text).split())


_UNITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8,
          "chin": 9}  # fmt: skip
_AFTER_TENS_ONLY = frozenset({"lam", "tu"})  # "lăm", "tư" are numbers only after "mươi"


def _number_words(words: list[str]) -> float | None:
    """Read spoken Vietnamese numbers: "ba mươi" 30, "mười tám" 18, "hai mươi mốt" 21,
    "một trăm linh năm" 105. English words one to ten too."""
    total = current = 0
    seen = False
    if words and words[0] in _ENGLISH:
        return float(_ENGLISH[words[0]])
    for word in words:
        if word in _UNITS and (word not in _AFTER_TENS_ONLY or current >= 10):
            current += _UNITS[word]
            seen = True
        elif word == "muoi" or word == "chuc":
            current = (current or 1) * 10
            seen = True
        elif word == "tram":
            total += (current or 1) * 100
            current = 0
            seen = True
        elif word in ("linh", "le") and seen:
            continue
        else:
            break  # the number is at the start of the answer or not at all ("làm thế nào" is not 5)
    return float(total + current) if seen else None


_ENGLISH = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10}  # fmt: skip
