"""Which part of a procedure a question asks about: papers, fees, deadlines and penalties, where/online."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

# Canonical (normalised) words and pairs; see knowledge/synonyms.yaml for what folds into them.
_ASPECTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("fees", frozenset({"le phi", "phi", "tien", "bao nhieu", "mien phi", "gia", "bao lau",
                        "thoi gian", "ngay", "lau"})),
    # Deadlines and penalties have their own section (answers.SECTIONS "rules"); a procedure without
    # them answers from its fees section instead (answers.procedure_answer).
    ("rules", frozenset({"han", "thoi han", "phat", "tre", "cham", "qua han", "het han"})),
    ("papers", frozenset({"giay to", "ho so", "can gi", "can nhung", "chuan bi", "mang gi", "mang theo",
                          "papers", "to khai"})),
    ("online", frozenset({"o dau", "truc tuyen", "noi nao", "cho nao", "dia chi", "nop o", "di dau", "lam dau",
                          "nop dau", "dau lam", "tai dau", "co quan", "ai cap", "weekend", "may gio", "gio lam"})),
)  # fmt: skip


HOW = ("nhu", "the", "nao")
"""What "ntn", "thế nào", "làm sao", "how do I" fold into (knowledge/synonyms.yaml): asked after
an answer, with nothing else to say, it asks how to do the procedure in hand."""


def detect_aspect(tokens: Sequence[str]) -> str | None:
    """The section to show first for a question, or None for the overview."""
    words = set(tokens)
    pairs = {f"{a} {b}" for a, b in pairwise(tokens)}
    best: tuple[int, str] | None = None
    for name, keys in _ASPECTS:
        hits = len(keys & words) + 2 * len(keys & pairs)
        if hits and (best is None or hits > best[0]):
            best = (hits, name)
    return best[1] if best else None


# How people ask about an aspect, in whole phrases (folded; the matcher folds them again with the
# knowledge base's synonyms). Taken off a question the matcher was unsure of, what is left must
# name the procedure on its own: "làm căn cước cần giấy tờ gì" is "làm căn cước".
ASKING_PHRASES: tuple[str, ...] = (
    "can nhung giay to gi", "can nhung giay to nao", "can giay to gi", "can giay to nao", "can giay to",
    "can nhung gi", "can ho so gi", "can mang theo gi", "can mang gi", "can chuan bi gi", "can chuan bi nhung gi",
    "ho so gom nhung gi", "ho so gom", "giay to gi", "giay to nao", "mang theo gi", "chuan bi gi",
    "can nhung giay gi", "can giay gi", "can giay nao", "giay gi", "giay nao",
    "can lam gi", "phai lam gi", "lam gi", "can gi",
    "het bao nhieu tien", "bao nhieu tien", "het bao nhieu", "mat bao lau", "bao lau",
    "lam o dau", "nop o dau", "o dau", "nhu the nao", "the nao", "ra sao", "lam sao", "lam the nao",
    "what papers do i need", "what do i need", "how much", "how long", "where",
)  # fmt: skip

ASPECT_WORDS = frozenset(w for _name, keys in _ASPECTS for key in keys for w in key.split())
"""Every word of the aspect phrases: a message made only of these (and filler) is a follow-up."""
