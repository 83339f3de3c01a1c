"""Load knowledge/replies.yaml: the words of yes, no and "I don't know", declared once.

Every entry is folded (accents, case) at load; a phrase listed under two meanings is an error
naming its line, since the reader could not know which one a person meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from bot.core.text import fold
from bot.data.models import Frozen
from bot.data.paths import knowledge_dir
from bot.data.yamlfile import describe_validation_error, line_of, read_yaml
from bot.errors import DataError

FILE = "replies.yaml"
Meaning = Literal["yes", "no", "dont_know", "particle"]
MEANINGS: tuple[Meaning, ...] = ("yes", "no", "dont_know", "particle")
_FIELD = {"yes": "yes", "no": "no", "dont_know": "dont_know", "particle": "particles"}


class RepliesFile(Frozen):
    version: Literal[1]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    dont_know: tuple[str, ...]
    particles: tuple[str, ...] = ()
    question_final: tuple[str, ...] = ()
    echo_variants: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    accept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Folded phrases (as word tuples) and what each one means."""

    phrases: dict[tuple[str, ...], Meaning]
    question_final: frozenset[str]
    longest: int = 1  # words in the longest phrase
    variants: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    """Other ways to say a question's words ("dk", "cưới"), each to the words it stands for."""
    accept: frozenset[tuple[str, ...]] = frozenset()
    """Words that agree to a proposal ("ok", "ừ") rather than answer a question ("có")."""


def build_lexicon(data: RepliesFile, raw: Any = None, label: str = f"knowledge/{FILE}") -> Lexicon:
    """Fold every phrase; raise a DataError naming file:line for a phrase with two meanings."""
    phrases: dict[tuple[str, ...], Meaning] = {}
    where: dict[tuple[str, ...], str] = {}
    problems: list[str] = []
    for meaning in MEANINGS:
        field = _FIELD[meaning]
        for i, phrase in enumerate(getattr(data, field)):
            key = tuple(fold(phrase).split())
            line = line_of(raw, (field, i)) if raw is not None else None
            here = f"{label}:{line}" if line else label
            if not key:
                problems.append(f"{here}: {field}: {phrase!r} has no letters or digits; remove it")
                continue
            if key in phrases and phrases[key] != meaning:
                problems.append(f"{here}: {field}: {phrase!r} is also listed under {_FIELD[phrases[key]]}"
                                f" ({where[key]}); a phrase has one meaning, keep one")  # fmt: skip
                continue
            phrases.setdefault(key, meaning)
            where.setdefault(key, here)
    finals = frozenset(w for phrase in data.question_final for w in fold(phrase).split())
    variants: dict[tuple[str, ...], tuple[str, ...]] = {}
    for words, others in data.echo_variants.items():
        target = tuple(fold(words).split())
        for i, other in enumerate(others):
            key = tuple(fold(other).split())
            line = line_of(raw, ("echo_variants", words, i)) if raw is not None else None
            here = f"{label}:{line}" if line else label
            if not key or not target:
                problems.append(f"{here}: echo_variants: {words!r}: {other!r} has no letters or digits; remove it")
            elif key in phrases:
                problems.append(f"{here}: echo_variants: {other!r} is a reply word ({_FIELD[phrases[key]]}); an echo"
                                " variant must be a word of a question, remove it from one list")  # fmt: skip
            elif variants.get(key, target) != target:
                problems.append(f"{here}: echo_variants: {other!r} stands for two phrases; keep one")
            else:
                variants[key] = target
    accept: set[tuple[str, ...]] = set()
    for i, phrase in enumerate(data.accept):
        key = tuple(fold(phrase).split())
        line = line_of(raw, ("accept", i)) if raw is not None else None
        here = f"{label}:{line}" if line else label
        if phrases.get(key) != "yes":
            problems.append(f"{here}: accept: {phrase!r} is not listed under yes; agreeing to a proposal is a yes,"
                            " add it there too")  # fmt: skip
        accept.add(key)
    if problems:
        raise DataError(problems)
    return Lexicon(phrases, finals, max((len(p) for p in (*phrases, *variants)), default=1), variants,
                   frozenset(accept))


def load_replies(folder: Path | None = None) -> Lexicon:
    """Read and check knowledge/replies.yaml; every problem is reported as `file:line: field`."""
    path = (folder or knowledge_dir()) / FILE
    label = f"knowledge/{FILE}"
    if not path.exists():
        raise DataError([f"{label}: missing; this file is required"])
    raw = read_yaml(path, label)
    try:
        data = RepliesFile.model_validate(raw)
    except ValidationError as exc:
        raise DataError(describe_validation_error(label, raw, exc)) from exc
    return build_lexicon(data, raw, label)


@cache
def default_lexicon() -> Lexicon:
    """The shipped lexicon, read once per process."""
    return load_replies()
