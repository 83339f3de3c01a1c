"""In the terminal chat a number on its own presses that button: every guide can be finished by
typing button numbers alone (and a number where a number is asked for)."""

from __future__ import annotations

import io
import random

import pytest

from bot.core.engine import Engine
from bot.core.messages import Button, Inbound
from bot.core.state import ConversationState
from bot.data.flows import FlowSet
from bot.terminal import _loop

FLOW_IDS = ["birth_registration", "death_registration", "identity_card", "marriage_registration",
            "permanent_residence", "temporary_absence", "temporary_residence", "vehicle_registration", "vneid"]  # fmt: skip


class Person:
    """Reads the terminal's screen and types the next line: the number of an answer button, or a
    number within range where the question wants a number typed."""

    def __init__(self, engine: Engine, flows: FlowSet, flow_id: str, seed: int) -> None:
        self.engine = engine
        self.flows = flows
        self.flow_id = flow_id
        self.random = random.Random(seed)
        self.state: ConversationState | None = None
        self.buttons: tuple[Button, ...] = ()
        self.typed: list[str] = []

    async def send(self, inbound: Inbound) -> None:
        turn = await self.engine.handle(inbound, self.state)
        assert not [e for e in turn.events if e.kind == "error"], f"the engine failed on {inbound!r}"
        self.state = turn.state
        for message in turn.messages:
            if message.buttons:
                self.buttons = message.buttons

    async def start(self) -> None:
        await self.send(Inbound("terminal", "walker", payload=f"f:{self.flow_id}"))

    def readline(self) -> str:
        if self.state is None or self.state.flow is None or len(self.typed) > 40:
            return ""  # the guide is over (or stuck): leave
        line = self._next_line()
        self.typed.append(line)
        return line + "\n"

    def _next_line(self) -> str:
        assert self.state is not None
        assert self.state.flow is not None
        answers = [i for i, b in enumerate(self.buttons, 1) if (b.payload or "").startswith("fa:")]
        if answers:
            return str(self.random.choice(answers))
        flow = self.flows.flows[self.state.flow.flow]
        step = flow.step(self.state.flow.step)
        assert step is not None
        assert step.type == "number", f"{step.id}: a {step.type} step without answer buttons"
        low = int(step.min) if step.min is not None else 0
        high = int(step.max) if step.max is not None else low + 40
        return str(self.random.randint(low, high))


@pytest.mark.parametrize("flow_id", FLOW_IDS)
@pytest.mark.parametrize("seed", range(4))
async def test_a_guide_is_finished_by_typing_button_numbers(engine: Engine, flows: FlowSet, flow_id: str, seed: int) -> None:
    """Typing only the numbers of answer buttons (and numbers where asked) walks a guide to its checklist."""
    person = Person(engine, flows, flow_id, seed)
    await person.start()
    out = io.StringIO()
    await _loop(person.send, None, "walker", person, out, False, lambda: person.buttons)  # type: ignore[arg-type]
    assert person.state is not None
    assert person.state.flow is None, f"stuck after typing {person.typed}"
    assert flow_id in person.state.checklists, f"typed {person.typed}"
    assert all(line.isdigit() for line in person.typed)


async def test_one_at_the_birth_date_presses_today(engine: Engine) -> None:
    """At the birth-date step, typing 1 presses the first button (today) instead of being refused as a date."""
    person = Person(engine, FlowSet({}), "birth_registration", 0)
    await person.start()
    lines = iter(["1", "1", ""])  # the first place of birth, then the first button at the date
    out = io.StringIO()

    class Script:
        def readline(self) -> str:
            line = next(lines)
            return f"{line}\n" if line else ""

    await _loop(person.send, None, "walker", Script(), out, False, lambda: person.buttons)  # type: ignore[arg-type]
    assert person.state is not None
    assert person.state.flow is not None
    assert person.state.flow.answers.get("birth_date") == "2026-11-23"
    assert person.state.flow.step == "parents_married"


@pytest.mark.parametrize("leave", ["/quit", "/exit", "/thoat", "/THOÁT"])
async def test_typing_quit_leaves_the_terminal_chat(leave: str) -> None:
    """Typed at the prompt, /quit (or /exit, /thoat) ends the chat as Ctrl-D does: nothing after it is sent."""
    sent: list[Inbound] = []

    async def send(inbound: Inbound) -> None:
        sent.append(inbound)

    stdin = io.StringIO(f"lam cccd o dau\n{leave}\nmore\n")
    code = await _loop(send, None, "me", stdin, io.StringIO(), interactive=False, last_buttons=lambda: (), greet=False)
    assert code == 0
    assert [inbound.text for inbound in sent] == ["lam cccd o dau"]
