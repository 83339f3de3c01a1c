"""The flow loader refuses broken flows with `flows/<file>.yaml:<line>` and the fix, and draws
flows as Mermaid diagrams."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.data.flows import FlowSet, load_flows, mermaid
from bot.errors import DataError

PROCEDURES = {"birth_registration", "identity_card"}

GOOD = """\
version: 1
id: demo
procedure: birth_registration
title: {vi: "Thử", en: "Demo"}
intro: {vi: "Giới thiệu", en: "Intro"}
start: first
steps:
  - id: first
    ask: {vi: "Câu một?", en: "One?"}
    type: choice
    options:
      - id: opt_a
        label: {vi: "A", en: "A"}
      - id: opt_b
        label: {vi: "B", en: "B"}
    help: {vi: "Giúp", en: "Help"}
    default: opt_a
    next:
      - when: {first: opt_a}
        goto: second
      - goto: end
  - id: second
    ask: {vi: "Câu hai?", en: "Two?"}
    type: yesno
    next:
      - goto: end
result:
  - papers: [{vi: "Giấy", en: "Paper"}]
  - when: {second: true}
    where: [{vi: "Ở xã", en: "At the commune"}]
"""


def line(text: str, marker: str) -> int:
    """The 1-based line of the only line of ``text`` containing ``marker``."""
    found = [i for i, row in enumerate(text.splitlines(), 1) if marker in row]
    assert len(found) == 1, f"{marker!r} is on lines {found}"
    return found[0]


def edit(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)

    return apply


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_flows(PROCEDURES, folder=folder)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_the_good_flow_loads(tmp_path: Path) -> None:
    """The template the bad flows are made from is itself valid, without warnings."""
    (tmp_path / "demo.yaml").write_text(GOOD, encoding="utf-8")
    flows = load_flows(PROCEDURES, folder=tmp_path)
    assert list(flows.flows) == ["demo"]
    assert flows.warnings == ()


# (id, change to the good flow, marker on the line to blame, words of the fix)
BAD = [
    (
        "unknown goto",
        edit("goto: second", "goto: nowhere"),
        "goto: nowhere",
        ["'nowhere'", "use a step id or 'end'"],
    ),
    (
        "unreachable step",
        edit("      - when: {first: opt_a}\n        goto: second\n", ""),
        "- id: second",
        ["'second'", "can never be reached", "link it or remove it"],
    ),
    (
        "last rule with a condition",
        edit(
            "      - goto: end\n  - id: second",
            "      - when: {first: opt_b}\n        goto: end\n  - id: second",
        ),
        "- when: {first: opt_b}",
        ["last rule", "end with a rule without `when`"],
    ),
    (
        "condition on an unknown step",
        edit("{first: opt_a}", "{nope: opt_a}"),
        "{nope: opt_a}",
        ["'nope'", "first", "second"],
    ),
    (
        "unknown option",
        edit("{first: opt_a}", "{first: opt_c}"),
        "{first: opt_c}",
        ["'opt_c'", "options: opt_a, opt_b"],
    ),
    (
        "true/false on a choice step",
        edit("{first: opt_a}", "{first: true}"),
        "{first: true}",
        ["true/false", "yes/no"],
    ),
    (
        "option name on a yes/no step",
        edit("{second: true}", "{second: maybe}"),
        "{second: maybe}",
        ["write true or false"],
    ),
    (
        "comparison on a choice step",
        edit("{first: opt_a}", "{first: {over: 3}}"),
        "{first: {over: 3}}",
        ["comparisons only work on date or number steps"],
    ),
    (
        "unknown procedure",
        edit("procedure: birth_registration", "procedure: no_such_thing"),
        "procedure: no_such_thing",
        ["'no_such_thing'", "use a catalog id"],
    ),
    (
        "unknown default",
        edit("default: opt_a", "default: opt_z"),
        "default: opt_z",
        ["'opt_z'", "not a valid answer"],
    ),
    (
        "unknown start",
        edit("start: first", "start: beginning"),
        "start: beginning",
        ["'beginning'", "first, second"],
    ),
    (
        "YAML syntax error",
        edit("    type: yesno", "    type: yesno: oops"),
        "type: yesno: oops",
        ["YAML syntax error"],
    ),
    (
        "YAML duplicate key",
        edit("    type: yesno", "    type: yesno\n    type: choice  # again"),
        "# again",
        ["duplicate key 'type'"],
    ),
    (
        "missing required field",
        edit("    type: yesno\n", ""),
        "- id: second",
        ["steps.1.type", "required; add it"],
    ),
    (
        "unknown field",
        edit("    type: yesno\n", "    type: yesno\n    colour: red\n"),
        "colour: red",
        ["steps.1.colour", "remove it or check its spelling"],
    ),
]


@pytest.mark.parametrize(("change", "marker", "fix"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_flow_names_file_line_and_fix(
    tmp_path: Path, change: Callable[[str], str], marker: str, fix: list[str]
) -> None:
    """A broken flow raises DataError naming flows/<file>.yaml:<line> of the mistake and how to fix it."""
    text = change(GOOD)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert len(problems) == 1, problems
    expected = f"flows/demo.yaml:{line(text, marker)}: "
    assert problems[0].startswith(expected), f"expected {expected!r}: {problems[0]}"
    for words in fix:
        assert words in problems[0], f"{words!r} not in {problems[0]!r}"


def test_cycle_names_a_line_of_the_loop(tmp_path: Path) -> None:
    """A loop between steps is refused, naming the steps of the loop and a line on it."""
    text = edit(
        "    type: yesno\n    next:\n      - goto: end", "    type: yesno\n    next:\n      - goto: first"
    )(GOOD)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert len(problems) == 1, problems
    on_the_loop = {line(text, "- id: first"), line(text, "- id: second"), line(text, "goto: first")}
    found = re.match(r"flows/demo\.yaml:(\d+): ", problems[0])
    assert found, problems[0]
    assert int(found.group(1)) in on_the_loop, problems[0]
    assert "first -> second -> first" in problems[0]
    assert "loop" in problems[0]


def test_id_must_match_the_file_name(tmp_path: Path) -> None:
    """A flow whose id differs from its file name is refused at the id's line."""
    (tmp_path / "other.yaml").write_text(GOOD, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert problems == [
        f"flows/other.yaml:{line(GOOD, 'id: demo')}: id 'demo' differs from the file name; rename one"
    ]


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    """Problems in several files are all listed in one error, and a good file beside them is not blamed."""
    (tmp_path / "a_bad.yaml").write_text(
        GOOD.replace("id: demo", "id: a_bad").replace("goto: second", "goto: nowhere"), encoding="utf-8"
    )
    (tmp_path / "b_bad.yaml").write_text(
        GOOD.replace("id: demo", "id: b_bad").replace("procedure: birth_registration", "procedure: nope"),
        encoding="utf-8",
    )
    (tmp_path / "demo.yaml").write_text(GOOD, encoding="utf-8")
    problems = problems_of(tmp_path)
    assert [p.split(":", 1)[0] for p in problems] == ["flows/a_bad.yaml", "flows/b_bad.yaml"]


def test_suspicious_flow_loads_with_a_warning(tmp_path: Path) -> None:
    """A rule without `when` before other rules is allowed but warned about, with its line."""
    text = edit("      - when: {first: opt_a}\n        goto: second\n", "      - goto: second\n")(GOOD)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    flows = load_flows(PROCEDURES, folder=tmp_path)
    assert "demo" in flows.flows
    assert len(flows.warnings) == 1, flows.warnings
    assert flows.warnings[0].startswith(f"flows/demo.yaml:{line(text, '- goto: second')}: warning: ")
    assert "never apply" in flows.warnings[0]


# --- Mermaid -----------------------------------------------------------------------------------
NODE = re.compile(r"^    ([A-Za-z][A-Za-z0-9_]*)(\[|\(\[)")
EDGE = re.compile(r"^    ([A-Za-z][A-Za-z0-9_]*) -->(?:\|[^|]*\|)? ([A-Za-z][A-Za-z0-9_]*)$")


@pytest.mark.parametrize("flow_id", ["birth_registration", "identity_card", "permanent_residence", "vneid"])
def test_mermaid_draws_every_step_and_rule(flows: FlowSet, flow_id: str) -> None:
    """The diagram starts with `flowchart TD`, has a node per step, an edge per rule, and no `end` node."""
    flow = flows.flows[flow_id]
    text = mermaid(flow)
    rows = text.split("\n")
    assert rows[0] == "flowchart TD"
    nodes = [m.group(1) for r in rows if (m := NODE.match(r))]
    edges = [(m.group(1), m.group(2)) for r in rows if (m := EDGE.match(r))]
    assert len(nodes) + len(edges) == len(rows) - 1, "a line is neither a node nor an edge"
    assert len(nodes) == len(set(nodes)) == len(flow.steps) + 1
    assert {s.id for s in flow.steps} <= set(nodes)
    assert "end" not in nodes
    assert all("end" not in edge for edge in edges)
    assert len(edges) == sum(len(s.next) for s in flow.steps)
    assert {target for _source, target in edges} <= set(nodes)
    for step in flow.steps:
        assert f'    {step.id}["{step.ask.vi}"]' in rows


def test_mermaid_keeps_a_step_called_result_apart_from_the_end(tmp_path: Path) -> None:
    """A step whose id is `result` stays a node of its own, distinct from the flow's end."""
    (tmp_path / "demo.yaml").write_text(GOOD.replace("second", "result"), encoding="utf-8")
    flow = load_flows(PROCEDURES, folder=tmp_path).flows["demo"]
    rows = mermaid(flow).split("\n")
    nodes = [m.group(1) for r in rows if (m := NODE.match(r))]
    assert len(nodes) == len(set(nodes)) == 3, rows


def test_mermaid_quotes_in_questions_do_not_break_labels(tmp_path: Path) -> None:
    """A double quote in a question becomes a single quote inside the node label."""
    (tmp_path / "demo.yaml").write_text(GOOD.replace('"Câu hai?"', "'Câu \"hai\"?'"), encoding="utf-8")
    flow = load_flows(PROCEDURES, folder=tmp_path).flows["demo"]
    assert "    second[\"Câu 'hai'?\"]" in mermaid(flow).split("\n")


def test_flows_show_prints_the_diagram(flows: FlowSet, tmp_path: Path) -> None:
    """`trolyso flows show birth_registration` prints the flow's Mermaid diagram."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "show", "birth_registration"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == mermaid(flows.flows["birth_registration"]) + "\n"
    assert done.stdout.startswith("flowchart TD\n")
