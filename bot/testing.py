"""Test helpers shipped with the package: conversation scripts as data, run against any channel.

A script (``tests/conversations/*.yaml``) is a list of turns. Each turn sends a message or
presses a button of the previous reply, then checks the replies:

    version: 1
    name: birth registration at home, registered late
    lang: vi                       # optional: start in this language
    turns:
      - user: "huong dan lam khai sinh"
        expect:
          contains: ["Bé sinh ở đâu"]          # substrings of the replies' text (case-insensitive)
          buttons: ["Tại nhà"]                 # substrings of button labels that must be offered
      - press: "Tại nhà"                       # press the button whose label contains this
      - press: 2                               # or the second button of the last reply
      - user: "3/5/2025"
        expect:
          contains: ["60 ngày"]
          not_contains: ["Traceback"]
          procedure: birth_registration        # the procedure the conversation is about (engine only)

A runner only needs ``send(inbound) -> replies``; :func:`run_script` does the rest, so the same
scripts run through the engine, the terminal chat and every channel adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.messages import Button, Inbound, Outbound


@dataclass(frozen=True)
class Script:
    name: str
    path: Path
    lang: str | None
    turns: tuple[dict[str, Any], ...]


def load_scripts(folder: Path, pattern: str = "*.yaml") -> list[Script]:
    scripts = []
    for path in sorted(folder.glob(pattern)):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != 1 or not data.get("turns"):
            raise ValueError(f"{path}: a conversation script needs `version: 1` and `turns`")
        scripts.append(Script(data.get("name", path.stem), path, data.get("lang"), tuple(data["turns"])))
    return scripts


Send = Callable[[Inbound], Awaitable[Sequence[Outbound]]]
StateProbe = Callable[[], Awaitable[str | None]]


class ScriptFailure(AssertionError):
    pass


async def run_script(script: Script, send: Send, user: str, channel: str = "test",
                     procedure: StateProbe | None = None) -> None:  # fmt: skip
    """Play ``script`` through ``send``; raise ScriptFailure naming the turn that went wrong."""
    last: Sequence[Outbound] = ()
    if script.lang:
        await send(Inbound(channel, user, payload=f"l:{script.lang}:quiet"))
    for number, turn in enumerate(script.turns, 1):
        where = f"{script.path.name} turn {number}"
        if "press" in turn:
            button = _find_button(last, turn["press"], where)
            inbound = Inbound(channel, user, payload=button.payload)
        else:
            inbound = Inbound(channel, user, str(turn.get("user", "")), lang_hint=script.lang)
        last = await send(inbound)
        _check(turn.get("expect") or {}, last, where)
        if "procedure" in (turn.get("expect") or {}) and procedure is not None:
            got = await procedure()
            if got != turn["expect"]["procedure"]:
                raise ScriptFailure(
                    f"{where}: procedure is {got!r}, expected {turn['expect']['procedure']!r}"
                )


def _find_button(replies: Sequence[Outbound], wanted: int | str, where: str) -> Button:
    buttons = [b for msg in replies for b in msg.buttons if b.payload]
    if isinstance(wanted, int):
        if 1 <= wanted <= len(buttons):
            return buttons[wanted - 1]
        raise ScriptFailure(f"{where}: no button number {wanted}; the reply had {len(buttons)}")
    for button in buttons:
        if str(wanted).casefold() in button.label.casefold():
            return button
    raise ScriptFailure(f"{where}: no button labelled like {wanted!r}; offered: {[b.label for b in buttons]}")


def _check(expect: dict[str, Any], replies: Sequence[Outbound], where: str) -> None:
    text = "\n".join(m.text for m in replies)
    labels = [b.label for m in replies for b in m.buttons]
    for piece in expect.get("contains", []):
        if str(piece).casefold() not in text.casefold():
            raise ScriptFailure(f"{where}: the reply does not contain {piece!r}:\n{text[:1500]}")
    for piece in expect.get("not_contains", []):
        if str(piece).casefold() in text.casefold():
            raise ScriptFailure(f"{where}: the reply contains {piece!r}:\n{text[:1500]}")
    for piece in expect.get("buttons", []):
        if not any(str(piece).casefold() in label.casefold() for label in labels):
            raise ScriptFailure(f"{where}: no button like {piece!r}; offered: {labels}")


# --- held-out sets read through the whole engine ----------------------------------------------------
ANSWERED = ("answered", "human_help", "flow_started", "section")
"""Event kinds that mean the turn answered with a procedure (or offered a person)."""


@dataclass(frozen=True)
class Outcome:
    """What one typed message got: ``kind`` is ``answer`` (with ``procedure`` and ``section``),
    ``asked`` (did you mean…) or ``declined`` (not covered, not understood, small talk)."""

    kind: str
    procedure: str | None = None
    section: str | None = None


def outcome(events: Sequence[Any]) -> Outcome:
    """The outcome of a turn from its usage events (:class:`bot.core.messages.UsageEvent`)."""
    for event in events:
        if event.kind in ANSWERED:
            section = "guide" if event.kind == "flow_started" else event.detail.get("section")
            return Outcome("answer", event.procedure, section)
    if any(e.kind == "did_you_mean" for e in events):
        return Outcome("asked")
    return Outcome("declined")


def grade(item: dict[str, Any], got: Outcome) -> str:
    """``right``, ``wrong_section`` (right procedure, another part of it first), ``wrong`` (another
    procedure answered, or an answer where none should be), ``asked`` or ``declined`` for an
    answerable question, ``declined`` being right for one that should not be answered."""
    expect = item.get("expect")
    if expect is None:
        return "right" if got.kind != "answer" else "wrong"
    if got.kind != "answer":
        return got.kind
    if got.procedure != expect:
        return "wrong"
    wanted = item.get("section")
    return "right" if wanted is None or got.section == wanted else "wrong_section"


def turn_misses(expect: dict[str, Any], replies: Sequence[Outbound], events: Sequence[Any],
                procedure: str | None) -> list[str]:  # fmt: skip
    """What a typed turn of a held-out conversation missed (empty when it did what was expected).
    ``expect`` holds any of: ``procedure`` (the conversation's procedure after the turn, or a list
    of acceptable ones), ``section`` (the part an answer opened at), ``decline: true`` (no
    procedure answered), ``contains`` / ``not_contains`` (texts of the replies)."""
    misses = []
    got = outcome(events)
    wanted = expect.get("procedure")
    if wanted is not None and procedure not in (wanted if isinstance(wanted, list) else [wanted]):
        misses.append(f"procedure {procedure!r}, expected {wanted!r}")
    if "section" in expect and (got.kind != "answer" or got.section != expect["section"]):
        misses.append(f"section {got.section!r} ({got.kind}), expected {expect['section']!r}")
    if expect.get("decline") and got.kind == "answer":
        misses.append(f"answered {got.procedure!r}, expected a decline")
    text = "\n".join(m.text for m in replies).casefold()
    misses += [f"no {p!r}" for p in expect.get("contains", []) if str(p).casefold() not in text]
    misses += [f"has {p!r}" for p in expect.get("not_contains", []) if str(p).casefold() in text]
    return misses


async def play_singles(
    engine: Any, items: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], str, Outcome]]:
    """Each held-out message in a fresh conversation with ``engine``: (item, grade, outcome)."""
    graded = []
    for item in items:
        turn = await engine.handle(Inbound("test", "held-out", item["q"]), None)
        got = outcome(turn.events)
        graded.append((item, grade(item, got), got))
    return graded


async def play_talks(engine: Any, scripts: Sequence[dict[str, Any]]) -> list[tuple[str, int, str, list[str]]]:
    """Every typed turn of every held-out conversation: (conversation, turn number, text, misses)."""
    out = []
    for script in scripts:
        state = None
        for number, step in enumerate(script["turns"], 1):
            turn = await engine.handle(Inbound("test", "held-out", step["user"]), state)
            state = turn.state
            out.append((script["name"], number, step["user"],
                        turn_misses(step.get("expect") or {}, turn.messages, turn.events, state.procedure)))  # fmt: skip
    return out
