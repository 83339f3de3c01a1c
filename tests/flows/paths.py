"""Every path through a flow, generated from its graph, with answers that take each branch.

The conditions are evaluated here by an implementation of their documented meaning
(docs/flows.md), not by the product's runner, so a runner that takes the wrong branch disagrees
with these paths instead of agreeing with itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from bot.data.flow_models import END, Condition, Flow, Step, Test


@dataclass(frozen=True)
class Answer:
    """One way to answer a step: press ``payload`` or type ``text``; ``value`` is what is stored."""

    value: str
    short: str  # for test ids
    payload: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Path:
    flow: str
    trail: tuple[tuple[str, Answer, int], ...]  # (step id, answer, index of the rule taken)
    answers: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.flow}[{'/'.join(a.short for _s, a, _r in self.trail)}]"


def holds(cond: Condition, answers: dict[str, str], today: dt.date) -> bool:
    """Whether a `when` holds: every named step was answered as expected."""
    return all(_matches(answers.get(key), expected, today) for key, expected in cond.items())


def _matches(value: str | None, expected: object, today: dt.date) -> bool:
    if value is None:  # a step the person did not pass through
        return False
    if isinstance(expected, list):
        return any(_matches(value, e, today) for e in expected)
    if isinstance(expected, bool):
        return value == ("yes" if expected else "no")
    if isinstance(expected, Test):
        if expected.days_ago_over is not None or expected.days_ago_at_most is not None:
            days = (today - dt.date.fromisoformat(value)).days
            return (expected.days_ago_over is None or days > expected.days_ago_over) and (
                expected.days_ago_at_most is None or days <= expected.days_ago_at_most
            )
        number = float(value)
        return (expected.over is None or number > expected.over) and (
            expected.at_most is None or number <= expected.at_most
        )
    return value == expected


def tests_on(flow: Flow, step_id: str) -> list[Test]:
    """Every comparison the flow makes on one step's answer, in rules and in result blocks."""
    conditions = [r.when for s in flow.steps for r in s.next] + [b.when for b in flow.result]
    found: list[Test] = []
    for cond in conditions:
        expected = cond.get(step_id)
        for value in expected if isinstance(expected, list) else [expected]:
            if isinstance(value, Test):
                found.append(value)
    return found


def answers_for(flow: Flow, step: Step, today: dt.date) -> list[Answer]:
    """Answers that reach both sides of every threshold the flow uses on this step."""
    if step.type == "choice":
        return [Answer(o.id, o.id, payload=f"fa:{flow.id}:{step.id}:{o.id}") for o in step.options]
    if step.type == "yesno":
        return [Answer(v, v, payload=f"fa:{flow.id}:{step.id}:{v}") for v in ("yes", "no")]
    tests = tests_on(flow, step.id)
    if step.type == "date":
        limits = [n for t in tests for n in (t.days_ago_over, t.days_ago_at_most) if n is not None]
        days = sorted({d for n in limits for d in (n, n + 1)} or {10})
        out = []
        for d in days:
            date = today - dt.timedelta(days=d)
            out.append(Answer(date.isoformat(), f"{d}d", text=f"{date.day}/{date.month}/{date.year}"))
        return out
    if step.type == "number":
        limits = [n for t in tests for n in (t.over, t.at_most) if n is not None]
        numbers = sorted({v for n in limits for v in (math.floor(n), math.floor(n) + 1)})
        numbers = [
            v for v in numbers if (step.min is None or v >= step.min) and (step.max is None or v <= step.max)
        ]
        if not numbers:
            numbers = [int(step.min) + 1 if step.min is not None else 1]
        return [Answer(f"{float(v):g}", str(v), text=str(v)) for v in numbers]
    return [Answer("Phuong Ben Nghe", "text", text="Phuong Ben Nghe")]


def paths(flow: Flow, today: dt.date) -> list[Path]:
    """Every path from the start to `end`, one per combination of the answers above."""
    found: list[Path] = []

    def walk(step_id: str, answers: dict[str, str], trail: tuple[tuple[str, Answer, int], ...]) -> None:
        step = flow.step(step_id)
        assert step is not None, f"{flow.id}: no step {step_id!r}"
        for answer in answers_for(flow, step, today):
            now = {**answers, step.id: answer.value}
            rule = next(i for i, r in enumerate(step.next) if holds(r.when, now, today))
            here = (*trail, (step.id, answer, rule))
            target = step.next[rule].goto
            if target == END:
                found.append(Path(flow.id, here, now))
            else:
                walk(target, now, here)

    walk(flow.start, {}, ())
    return found


def result_texts(flow: Flow, answers: dict[str, str], today: dt.date) -> tuple[list[str], list[str]]:
    """(Bullet lines the Vietnamese checklist must show, bullet lines it must not show) for these
    answers. Links are left out: several blocks point to the same portals."""
    shown: list[str] = []
    hidden: list[str] = []
    for block in flow.result:
        texts = [
            f"• {t.vi}"
            for name in ("papers", "where", "fees", "time", "warnings", "mistakes", "next_steps")
            for t in getattr(block, name)
        ]
        (shown if holds(block.when, answers, today) else hidden).extend(texts)
    return shown, [t for t in hidden if t not in shown]


def sections(text: str) -> Iterator[tuple[str, list[str]]]:
    """(header, bullet lines) of each section of a rendered checklist."""
    paragraphs = text.split("\n\n")
    for paragraph in paragraphs[1:-1]:
        header, *lines = paragraph.split("\n")
        yield header, lines
