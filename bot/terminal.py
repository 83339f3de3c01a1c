"""`trolyso chat`: the assistant in a terminal, or over a pipe one message per line."""

from __future__ import annotations

from typing import TextIO

from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState


def render(msg: Outbound) -> str:
    """A message as plain text; buttons become numbered lines `[1] label`."""
    lines = [msg.text]
    for i, button in enumerate(msg.buttons, 1):
        lines.append(f"[{i}] {button.label}" + (f" — {button.url}" if button.url else ""))
    return "\n".join(lines)


async def run_chat(lang: str | None, user: str, stdin: TextIO, stdout: TextIO) -> int:
    from bot.app import build_engine

    engine = build_engine()
    state = ConversationState(lang=lang)
    interactive = stdin.isatty()
    buttons: tuple[Button, ...] = ()

    async def send(inbound: Inbound) -> None:
        nonlocal state, buttons
        turn = await engine.handle(inbound, state)
        state = turn.state
        for msg in turn.messages:
            stdout.write(render(msg) + "\n\n")
            if msg.buttons:
                buttons = msg.buttons
        stdout.flush()

    if interactive:
        stdout.write("Trợ lý số — type a question; a number presses a button; Ctrl-D to leave.\n\n")
        await send(Inbound("terminal", user, "/start", lang_hint=lang))
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        choice = text.strip()
        if choice.isdigit() and buttons and 1 <= int(choice) <= len(buttons):
            button = buttons[int(choice) - 1]
            if button.payload:
                await send(Inbound("terminal", user, payload=button.payload, lang_hint=lang))
            else:
                stdout.write(f"{button.url}\n\n")
            continue
        await send(Inbound("terminal", user, text, lang_hint=lang))
    return 0
