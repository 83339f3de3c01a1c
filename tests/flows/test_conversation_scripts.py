"""Every conversation script in tests/conversations/ plays through the engine and through the
terminal chat (`trolyso chat`, a real subprocess on a throwaway SQLite file)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.terminal import render
from bot.testing import Script, ScriptFailure, load_scripts, run_script

FOLDER = Path(__file__).resolve().parents[1] / "conversations"
SCRIPTS = load_scripts(FOLDER)
FLOW_IDS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "flows").glob("*.yaml"))
NUMBERED = re.compile(r"^\[(\d+)\] (.*)$")


class EngineChat:
    """One conversation with the engine, state kept between turns, crashes made loud."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state: ConversationState | None = None

    async def send(self, inbound: Inbound) -> Sequence[Outbound]:
        turn = await self.engine.handle(inbound, self.state)
        assert not [e for e in turn.events if e.kind == "error"], f"the engine failed on {inbound!r}"
        self.state = turn.state
        return turn.messages

    async def procedure(self) -> str | None:
        return self.state.procedure if self.state else None


def test_every_flow_has_at_least_two_scripts() -> None:
    """Each of the nine flows has two or more conversation scripts named after it."""
    counts = {flow: sum(s.path.stem.startswith(f"{flow}_") for s in SCRIPTS) for flow in FLOW_IDS}
    assert len(counts) == 9
    assert all(n >= 2 for n in counts.values()), counts


def test_scripts_expect_something_in_every_turn() -> None:
    """Every turn of every script checks its reply, except plain button presses on the way."""
    for script in SCRIPTS:
        for number, turn in enumerate(script.turns, 1):
            assert set(turn) <= {"user", "press", "expect"}, (
                f"{script.path.name} turn {number}: {sorted(turn)}"
            )
            assert ("user" in turn) != ("press" in turn), f"{script.path.name} turn {number}"
            if "user" in turn:
                assert turn.get("expect"), (
                    f"{script.path.name} turn {number} types without checking the reply"
                )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.stem)
async def test_script_through_the_engine(engine: Engine, script: Script) -> None:
    """The script's replies, buttons and procedures are what it expects, through the engine."""
    chat = EngineChat(engine)
    await run_script(script, chat.send, "citizen", procedure=chat.procedure)


def numbered_buttons(replies: Sequence[Outbound], previous: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The `[n] label` lines the terminal would offer after these replies: those of the last
    message that has buttons (the terminal keeps the previous list when a reply has none)."""
    offered = previous
    for message in replies:
        rows = [m.groups() for row in render(message).split("\n") if (m := NUMBERED.match(row))]
        if rows:
            offered = [(int(n), label) for n, label in rows]
    return offered


def find_button(replies: Sequence[Outbound], wanted: int | str, where: str) -> Button:
    """The button :func:`bot.testing.run_script` presses for ``press: wanted``."""
    buttons = [b for m in replies for b in m.buttons if b.payload]
    if isinstance(wanted, int):
        if not 1 <= wanted <= len(buttons):
            raise ScriptFailure(f"{where}: no button number {wanted}")
        return buttons[wanted - 1]
    for button in buttons:
        if str(wanted).casefold() in button.label.casefold():
            return button
    raise ScriptFailure(f"{where}: no button like {wanted!r}")


async def terminal_lines(engine: Engine, script: Script) -> list[str]:
    """The lines to type into `trolyso chat` for the script: a press becomes the number the
    terminal shows next to that button (found by rendering the engine's replies)."""
    chat = EngineChat(engine)
    if script.lang:
        await chat.send(Inbound("terminal", "citizen", payload=f"l:{script.lang}:quiet"))
    replies: Sequence[Outbound] = ()
    offered: list[tuple[int, str]] = []
    lines: list[str] = []
    for number, turn in enumerate(script.turns, 1):
        where = f"{script.path.name} turn {number}"
        if "press" in turn:
            button = find_button(replies, turn["press"], where)
            numbers = [n for n, label in offered if label == button.label]
            assert numbers, f"{where}: {button.label!r} is not in the terminal's last numbered list {offered}"
            lines.append(str(numbers[0]))
            inbound = Inbound("terminal", "citizen", payload=button.payload, lang_hint=script.lang)
        else:
            text = str(turn.get("user", ""))
            assert "\n" not in text, f"{where}: a terminal line cannot hold a newline"
            lines.append(text)
            inbound = Inbound("terminal", "citizen", text, lang_hint=script.lang)
        replies = await chat.send(inbound)
        offered = numbered_buttons(replies, offered)
    return lines


def check_in_order(script: Script, output: str) -> None:
    """Each turn's expected texts appear in the terminal output, turn after turn, in order; its
    expected buttons appear as numbered lines after the previous turn's texts. (`not_contains`
    is left to the engine run: a text may rightly appear in another turn's output.)"""
    folded = output.casefold()
    cursor = 0
    for number, turn in enumerate(script.turns, 1):
        expect = turn.get("expect") or {}
        start = cursor
        for piece in expect.get("contains", []):
            found = folded.find(str(piece).casefold(), cursor)
            if found < 0:
                raise ScriptFailure(
                    f"{script.path.name} turn {number}: {piece!r} is not in the terminal output "
                    f"after position {cursor}:\n{output[start : start + 1500]}"
                )
            cursor = found + len(str(piece))
        for piece in expect.get("buttons", []):
            if not re.search(r"^\[\d+\] .*" + re.escape(str(piece).casefold()), folded[start:], re.MULTILINE):
                raise ScriptFailure(
                    f"{script.path.name} turn {number}: no button like {piece!r} in the terminal output"
                )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.stem)
async def test_script_through_the_terminal_chat(engine: Engine, script: Script, tmp_path: Path) -> None:
    """The script typed into `python -m bot chat --new` prints every expected text, in order."""
    lines = await terminal_lines(engine, script)
    env = {**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}"}
    command = [sys.executable, "-m", "bot", "chat", "--new"] + (
        ["--lang", script.lang] if script.lang else []
    )
    done = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout
    check_in_order(script, done.stdout)
