"""Load flows/*.yaml and check them as a graph: every step reachable, every branch ends.

Shape errors come from pydantic; reference errors (unknown steps, options, procedures) and graph
errors (unreachable steps, cycles, branches that can fall through) are found here. Impossible
things are errors; suspicious ones are warnings, which `kb check --strict` also refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.data.flow_models import END, SKIP, Condition, Deadline, Flow, Step, Test
from bot.data.models import Procedure, Source
from bot.data.paths import flows_dir
from bot.data.yamlfile import describe_validation_error, line_of, read_yaml
from bot.errors import DataError


@dataclass(frozen=True)
class FlowSet:
    flows: dict[str, Flow]  # by flow id
    warnings: tuple[str, ...] = ()
    sources: dict[str, dict[str, Source]] = field(default_factory=dict)  # flow id -> citable sources

    def for_procedure(self, procedure: str) -> Flow | None:
        return next((f for f in self.flows.values() if f.procedure == procedure), None)

    def cited(self, flow_id: str, ids: Iterable[str]) -> list[Source]:
        """The sources behind ``ids`` for a flow, in order, each once; unknown ids are skipped."""
        known = self.sources.get(flow_id, {})
        return [known[i] for i in dict.fromkeys(ids) if i in known]


def load_flows(procedures: Mapping[str, Procedure] | Iterable[str], folder: Path | None = None) -> FlowSet:
    """Load every flow; given the procedures themselves (not only their ids), a flow may cite
    its procedure's sources by id."""
    folder = folder or flows_dir()
    known = set(procedures)
    by_id: Mapping[str, Procedure] = procedures if isinstance(procedures, Mapping) else {}
    citable: dict[str, dict[str, Source]] = {}
    problems: list[str] = []
    warnings: list[str] = []
    flows: dict[str, Flow] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        label = f"flows/{path.name}"
        try:
            data = read_yaml(path, label)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        try:
            flow = Flow.model_validate(data)
        except ValidationError as exc:
            problems.extend(describe_validation_error(label, data, exc))
            continue
        errs, warns = check_flow(flow, data, label, known)
        if flow.id != path.stem:
            errs.append(f"{label}:{line_of(data, ('id',))}: id {flow.id!r} differs from the file name; rename one")
        if flow.id in flows:
            errs.append(f"{label}: flow id {flow.id!r} is used by two files")
        problems.extend(errs)
        warnings.extend(warns)
        if not errs:
            flows[flow.id] = flow
            proc = by_id.get(flow.procedure)
            citable[flow.id] = {s.id: s for s in (*(proc.sources if proc else ()), *flow.sources)}
    if problems:
        raise DataError(problems)
    return FlowSet(flows, tuple(warnings), citable)


def check_flow(flow: Flow, data: Any, label: str, procedures: set[str]) -> tuple[list[str], list[str]]:
    """Reference and graph checks of one flow; returns (errors, warnings) as `file:line: message`."""
    errors: list[str] = []
    warnings: list[str] = []

    def at(*loc: str | int) -> str:
        line = line_of(data, loc)
        return f"{label}:{line}" if line else label

    steps = {s.id: s for s in flow.steps}
    index = {s.id: i for i, s in enumerate(flow.steps)}
    if len(steps) != len(flow.steps):
        seen: set[str] = set()
        for i, s in enumerate(flow.steps):
            if s.id in seen:
                errors.append(f"{at('steps', i, 'id')}: step id {s.id!r} is used twice; rename one")
            seen.add(s.id)
    if flow.procedure not in procedures:
        errors.append(f"{at('procedure')}: procedure {flow.procedure!r} does not exist in knowledge/; use a catalog id")
    if flow.start not in steps:
        errors.append(f"{at('start')}: start step {flow.start!r} does not exist; name one of: {', '.join(steps)}")

    for i, step in enumerate(flow.steps):
        if step.default is not None and not _valid_default(step):
            errors.append(f"{at('steps', i, 'default')}: default {step.default!r} is not a valid answer for this {step.type} step")
        if step.default is not None and step.help is None:
            warnings.append(f"{at('steps', i)}: warning: step {step.id!r} has a default but no help text to explain it")
        for r, rule in enumerate(step.next):
            if rule.goto != END and rule.goto not in steps:
                errors.append(f"{at('steps', i, 'next', r, 'goto')}: step {step.id!r} goes to {rule.goto!r}, which does not exist; use a step id or {END!r}")
            errors.extend(_check_condition(rule.when, steps, (lambda *loc, _i=i, _r=r: at("steps", _i, "next", _r, "when", *loc))))
        if step.next[-1].when:
            errors.append(f"{at('steps', i, 'next', len(step.next) - 1)}: the last rule of step {step.id!r} has a condition, so some answers lead nowhere; end with a rule without `when`")
        for r, rule in enumerate(step.next[:-1]):
            if not rule.when:
                warnings.append(f"{at('steps', i, 'next', r)}: warning: rule without `when` before other rules; the rules after it never apply")
    for b, block in enumerate(flow.result):
        errors.extend(_check_condition(block.when, steps, (lambda *loc, _b=b: at("result", _b, "when", *loc))))
        if not any((block.papers, block.where, block.fees, block.time, block.warnings, block.mistakes,
                    block.next_steps, block.links)):  # fmt: skip
            warnings.append(f"{at('result', b)}: warning: result block is empty")
    for d, deadline in enumerate(flow.deadlines):
        errors.extend(check_deadline(deadline, steps, (lambda *loc, _d=d: at("deadlines", _d, *loc))))
    if errors:
        return errors, warnings

    # Graph: reachability and cycles (depth-first from the start, over every rule).
    reachable: set[str] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(sid: str, path: list[str]) -> None:
        if state.get(sid) == 2:
            return
        if state.get(sid) == 1:
            cycle = " -> ".join([*path[path.index(sid):], sid])
            errors.append(f"{at('steps', index[sid])}: the steps loop ({cycle}) with no way out; a flow must always move forward")
            return
        state[sid] = 1
        reachable.add(sid)
        for rule in steps[sid].next:
            if rule.goto != END:
                visit(rule.goto, [*path, sid])
        state[sid] = 2

    visit(flow.start, [])
    for i, step in enumerate(flow.steps):
        if step.id not in reachable:
            errors.append(f"{at('steps', i, 'id')}: step {step.id!r} can never be reached from {flow.start!r}; link it or remove it")
    return errors, warnings


def check_deadline(deadline: Deadline, steps: dict[str, Step], at: Any) -> list[str]:
    """A deadline counts from a date step (``after``) or a number of months (``months_from``)."""
    errors = _check_condition(deadline.when, steps, (lambda *loc: at("when", *loc)))
    for name, kind in (("after", "date"), ("months_from", "number")):
        sid = getattr(deadline, name)
        if sid is not None and (sid not in steps or steps[sid].type != kind):
            errors.append(f"{at(name)}: {name}: {sid!r} is not a {kind} step of this flow; name one")
    after = steps.get(deadline.after or "")
    if after is not None and after.year_ok and not deadline.ages:
        errors.append(f"{at('after')}: after: {after.id!r} may hold only a year, so a number of days after it"
                      " is no date; count `ages` from it, or drop `year_ok` from the step")  # fmt: skip
    return errors


def _valid_default(step: Step) -> bool:
    d = step.default or ""
    if d == SKIP:
        return step.optional
    if step.type == "choice":
        return any(o.id == d for o in step.options)
    if step.type == "yesno":
        return d in ("yes", "no")
    if step.type == "number":
        try:
            float(d)
        except ValueError:
            return False
        return True
    return step.type in ("text", "commune")


def _check_condition(cond: Condition, steps: dict[str, Step], at: Any) -> list[str]:
    errors = []
    for key, expected in cond.items():
        step = steps.get(key)
        if step is None:
            errors.append(f"{at(key)}: condition on {key!r}, which is not a step of this flow; steps: {', '.join(steps)}")
            continue
        values = expected if isinstance(expected, list) else [expected]
        for value in values:
            if isinstance(value, Test):
                if step.type not in ("date", "number"):
                    errors.append(f"{at(key)}: comparisons only work on date or number steps; {key!r} is {step.type}")
            elif isinstance(value, bool):
                if step.type != "yesno":
                    errors.append(f"{at(key)}: true/false only fits yes/no steps; {key!r} is {step.type}")
            elif step.type == "choice" and value not in {o.id for o in step.options}:
                errors.append(f"{at(key)}: {value!r} is not an option of step {key!r}; options: {', '.join(o.id for o in step.options)}")
            elif step.type == "yesno":
                errors.append(f"{at(key)}: write true or false for the yes/no step {key!r}")
    return errors


_NODE_END = "RESULT"  # `end` is a Mermaid keyword; step ids are lower case, so this cannot collide


def mermaid(flow: Flow) -> str:
    """The flow as a Mermaid flowchart, for review in a pull request."""
    lines = ["flowchart TD"]
    for step in flow.steps:
        label = step.ask.vi.replace('"', "'")
        lines.append(f'    {step.id}["{label}"]')
    lines.append(f'    {_NODE_END}(["{flow.title.vi} — kết quả"])')
    for step in flow.steps:
        for rule in step.next:
            cond = ", ".join(f"{k}={_show(v)}" for k, v in rule.when.items())
            arrow = f" -->|{cond}| " if cond else " --> "
            target = _NODE_END if rule.goto == END else rule.goto
            lines.append(f"    {step.id}{arrow}{target}")
    return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, Test):
        parts = [f"{k} {v}" for k, v in value.model_dump(exclude_none=True).items()]
        return " ".join(parts)
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)
