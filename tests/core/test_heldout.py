"""The matcher on held-out questions it was never tuned on (tests/data/heldout_fresh.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.matcher import Matcher

FRESH = Path(__file__).resolve().parent.parent / "data" / "heldout_fresh.yaml"


def questions() -> list[dict[str, Any]]:
    return list(yaml.safe_load(FRESH.read_text(encoding="utf-8"))["questions"])


@pytest.fixture(scope="module")
def matcher(engine: Any) -> Matcher:
    m: Matcher = engine.matcher
    return m


def test_the_set_is_large_and_mixed() -> None:
    """At least 150 questions, with in-scope, near-scope and out-of-scope ones, none twice."""
    items = questions()
    assert len(items) >= 150
    assert len({q["q"] for q in items}) == len(items)
    assert sum(1 for q in items if q.get("near")) >= 30
    assert all(q["expect"] is None for q in items if q.get("near"))


def test_top1_accuracy_is_at_least_95_percent(matcher: Matcher) -> None:
    """At least 95 % of in-scope held-out questions are answered with the expected procedure."""
    items = [q for q in questions() if q["expect"] is not None]
    wrong = [(q["q"], q["expect"], matcher.match(q["q"]).procedure) for q in items
             if matcher.match(q["q"]).procedure != q["expect"]]  # fmt: skip
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.95, f"top-1 {accuracy:.1%} of {len(items)}; wrong: {wrong}"


def test_near_scope_questions_are_declined(matcher: Matcher) -> None:
    """At least 90 % of questions about procedures we do not cover get no procedure's answer."""
    items = [q for q in questions() if q.get("near")]
    answered = [(q["q"], matcher.match(q["q"]).procedure) for q in items if matcher.match(q["q"]).procedure]
    declined = 1 - len(answered) / len(items)
    assert declined >= 0.90, f"declined {declined:.1%} of {len(items)}; answered: {answered}"


def test_out_of_scope_questions_are_declined(matcher: Matcher) -> None:
    """Every question outside public services gets no procedure's answer."""
    answered = [q["q"] for q in questions() if q["expect"] is None and not q.get("near")
                and matcher.match(q["q"]).procedure]  # fmt: skip
    assert not answered, answered
