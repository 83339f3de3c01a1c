"""A flow's `deadlines:` are checked at load: the step they count from must be a date (or, for
months, a number) step of the flow, and a mistake names `flows/<file>.yaml:<line>`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.data.flows import load_flows
from bot.errors import DataError
from tests.flows.test_flow_checks import GOOD, PROCEDURES, line

WITH_DATE = GOOD.replace("""  - id: second
    ask: {vi: "Câu hai?", en: "Two?"}
    type: yesno""", """  - id: second
    ask: {vi: "Ngày nào?", en: "When?"}
    type: date""").replace("  - when: {second: true}\n", "  - when: {first: opt_b}\n")


def test_a_deadline_from_a_date_step_loads(tmp_path: Path) -> None:
    """`after:` a date step with a number of days is a valid deadline."""
    (tmp_path / "demo.yaml").write_text(WITH_DATE + "deadlines:\n  - after: second\n    days: 30\n"
                                        "    label: {vi: \"làm việc\", en: \"do it\"}\n", encoding="utf-8")  # fmt: skip
    flow = load_flows(PROCEDURES, folder=tmp_path).flows["demo"]
    assert flow.deadlines[0].after == "second"
    assert flow.deadlines[0].days == 30


@pytest.mark.parametrize(("entry", "words"), [
    ("  - after: first\n", "'first' is not a date step"),
    ("  - months_from: second\n", "'second' is not a number step"),
])  # fmt: skip
def test_a_deadline_from_the_wrong_step_names_its_line(tmp_path: Path, entry: str, words: str) -> None:
    """A deadline counting from a choice step (or months from a date) is refused at its line."""
    text = WITH_DATE + "deadlines:\n" + entry + "    label: {vi: \"làm việc\", en: \"do it\"}\n"
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_flows(PROCEDURES, folder=tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"flows/demo.yaml:{line(text, entry.strip())}: "), problem
    assert words in problem


def test_a_deadline_needs_exactly_one_source(tmp_path: Path) -> None:
    """Neither `after` nor `months_from` (or both) is a shape error naming the deadline."""
    text = WITH_DATE + "deadlines:\n  - days: 3\n    label: {vi: \"làm\", en: \"do\"}\n"
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_flows(PROCEDURES, folder=tmp_path)
    assert "deadlines" in caught.value.problems[0]
    assert "either `after`" in caught.value.problems[0]
