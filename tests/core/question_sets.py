"""Every single message of the question sets in tests/data, for tests that a kept reading of a
message equals a fresh one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def every_question() -> tuple[str, ...]:
    """The labelled, held-out, vague and language-table messages, in file order."""
    texts: list[str] = []
    for path in sorted(DATA.glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("questions", "vietnamese", "english"):
            texts += [str(item["q"] if isinstance(item, dict) else item) for item in loaded.get(key) or []]
    return tuple(texts)
