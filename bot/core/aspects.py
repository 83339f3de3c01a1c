"""Which part of a procedure a question asks about: papers, fees, deadlines and penalties, where/online."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

# Canonical (normalised) words and pairs; see knowledge/synonyms.yaml for what folds into them.
_ASPECTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("fees", frozenset({"le phi", "phi", "tien", "bao nhieu", "mien phi", "gia", "bao lau",
                        "thoi gian", "ngay"})),
    # Deadlines and penalties have their own section (answers.SECTIONS "rules"); a procedure without
    # them answers from its fees section instead (answers.procedure_answer).
    ("rules", frozenset({"han", "thoi han", "phat", "tre", "cham", "qua han", "het han"})),
    ("papers", frozenset({"giay to", "ho so", "can gi", "chuan bi", "mang gi", "mang theo",
                          "papers", "to khai"})),
    ("online", frozenset({"o dau", "truc tuyen", "noi nao", "cho nao", "dia chi", "nop o", "di dau", "lam dau",
                          "nop dau", "dau lam", "tai dau", "co quan nao"})),
)  # fmt: skip


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


ASPECT_WORDS = frozenset(w for _name, keys in _ASPECTS for key in keys for w in key.split())
"""Every word of the aspect phrases: a message made only of these (and filler) is a follow-up."""
