"""Every path through every shipped flow, driven through the real engine, ends in its checklist."""

from __future__ import annotations

import pytest

from bot.data.flow_models import END
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge
from tests.conftest import TODAY
from tests.flows.chat import Chat
from tests.flows.paths import Path, holds, paths, result_texts, sections

# Loaded at import so each path can be a test of its own, named after its flow and answers.
FLOWS = load_flows(load_knowledge().procedures).flows
PATHS = {flow_id: paths(flow, TODAY) for flow_id, flow in FLOWS.items()}
ALL_PATHS = [p for found in PATHS.values() for p in found]
SECTION_ICONS = ("📄", "🏛", "💰", "⏱", "⚠️", "🚫", "➡️", "🔗")


def test_every_shipped_flow_has_paths() -> None:
    """Nine flows ship, and each has at least two ways through it."""
    assert len(FLOWS) == 9
    assert all(len(found) >= 2 for found in PATHS.values()), {k: len(v) for k, v in PATHS.items()}


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: p.id)
async def test_path_ends_in_its_checklist(chat: Chat, path: Path) -> None:
    """Answering a path's questions asks each step in turn and ends in the checklist for those answers."""
    flow = FLOWS[path.flow]
    await chat.start(flow.id)
    assert chat.text.startswith(f"🧭 {flow.title.vi}")
    for step_id, answer, _rule in path.trail:
        step = flow.step(step_id)
        assert step is not None
        assert chat.step == step_id, f"expected the question {step_id!r}, the flow is at {chat.step!r}"
        asked = chat.last.text
        if asked.startswith("📅 "):  # the date just given, said back in words above the next question
            asked = asked.split("\n\n", 1)[1]
        assert asked.startswith(step.ask.vi)
        assert "fn:cancel" in chat.payloads
        if answer.payload is not None:
            assert answer.payload in chat.payloads, f"no button for {answer.value!r} at {step_id!r}"
            await chat.press(answer.payload)
        else:
            assert answer.text is not None
            await chat.say(answer.text)

    assert chat.state is not None
    assert chat.state.flow is None
    assert chat.state.checklists[flow.id] == path.answers
    said_back = [r for r in chat.replies[:-1] if r.text.startswith("📅 ")]  # a date that ends the guide
    assert len(chat.replies) == 1 + len(said_back) <= 2
    checklist = chat.last.text
    assert checklist.startswith("✅")
    assert flow.title.vi in checklist.split("\n", 1)[0]
    found = list(sections(checklist))
    assert found, checklist
    for header, lines in found:
        assert header.startswith(SECTION_ICONS), header
        assert header.endswith(":"), header
        assert lines, f"section {header!r} is empty"
        assert all(line.startswith("• ") and len(line) > 2 for line in lines), (header, lines)
    assert any(header.startswith(("📄", "🏛")) for header, _lines in found), "no papers and no place to submit"
    shown, hidden = result_texts(flow, path.answers, TODAY)
    bullets = set(checklist.split("\n"))
    missing = [t for t in shown if t not in bullets]
    assert not missing, f"result texts missing for {path.answers}: {missing}"
    wrong = [t for t in hidden if t in bullets]
    assert not wrong, f"result texts of blocks that do not apply to {path.answers}: {wrong}"
    assert len(checklist) <= 4096
    assert f"f:{flow.id}" in chat.payloads  # the guide can be started again


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_paths_visit_every_step_and_take_every_branch(flow_id: str) -> None:
    """The generated paths pass through every step and take every rule of every step."""
    flow = FLOWS[flow_id]
    visited = {step for p in PATHS[flow_id] for step, _a, _r in p.trail}
    taken = {(step, rule) for p in PATHS[flow_id] for step, _a, rule in p.trail}
    assert visited == {s.id for s in flow.steps}
    untaken = [(s.id, i, r.goto) for s in flow.steps for i, r in enumerate(s.next) if (s.id, i) not in taken]
    assert not untaken, f"rules never taken (step, index, goto): {untaken}"


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_result_block_applies_on_some_path(flow_id: str) -> None:
    """Each result block of a flow is shown to somebody: no block has a condition no path meets."""
    flow = FLOWS[flow_id]
    never = [
        i
        for i, block in enumerate(flow.result)
        if not any(holds(block.when, p.answers, TODAY) for p in PATHS[flow_id])
    ]
    assert not never, f"result blocks {never} of {flow_id} never apply"


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_paths_end_where_the_graph_ends(flow_id: str) -> None:
    """Every generated path stops on a rule that goes to `end` and answers each step once."""
    flow = FLOWS[flow_id]
    for p in PATHS[flow_id]:
        last_step, _answer, rule = p.trail[-1]
        step = flow.step(last_step)
        assert step is not None
        assert step.next[rule].goto == END
        steps = [s for s, _a, _r in p.trail]
        assert len(steps) == len(set(steps)) == len(p.answers)
