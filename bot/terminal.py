"""`trolyso chat`: the assistant in a terminal, or over a pipe one message per line."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.core.messages import Button, Inbound, Outbound


def banner(lang: str | None) -> str:
    """The short help shown before the greeting, in the chat's language (Vietnamese by default)."""
    if lang == "en":
        return ("Trợ lý số — type your question and press Enter; type a button's number to press it; "
                "/help lists the commands; /quit or Ctrl-D leaves.")  # fmt: skip
    return ("Trợ lý số — gõ câu hỏi rồi nhấn Enter; gõ số của nút để chọn nút đó; "
            "/help xem các lệnh; /thoat hoặc Ctrl-D để thoát.")  # fmt: skip


LEAVE = frozenset({"/quit", "/exit", "/q", "/thoat", "/thoát"})
"""What a person types to leave the terminal chat (Ctrl-D too): only in the terminal, where the
chat is a program that ends; elsewhere a conversation has no end to reach."""


def render(msg: Outbound) -> str:
    """A message as plain text; buttons become numbered lines `[1] label`."""
    lines = [msg.text]
    for i, button in enumerate(msg.buttons, 1):
        lines.append(f"[{i}] {button.label}" + (f" — {button.url}" if button.url else ""))
    return "\n".join(lines)


async def run_chat(lang: str | None, user: str, stdin: TextIO, stdout: TextIO,
                   resume: bool | None = None) -> int:  # fmt: skip
    """Chat with the conversation kept in the database: quit and come back, and the guide you
    were in continues where it was. A piped script starts afresh unless ``resume`` is set, so
    the same script always gives the same replies."""
    from bot.app import build_app

    app = build_app()
    interactive = stdin.isatty()
    if not (interactive if resume is None else resume):
        await app.conversations.forget("terminal", user)
    buttons: tuple[Button, ...] = ()

    async def send(inbound: Inbound) -> None:
        nonlocal buttons
        for msg in await app.conversations.handle(inbound):
            stdout.write(render(msg) + "\n\n")
            if msg.buttons:
                buttons = msg.buttons
        stdout.flush()

    try:
        return await _loop(send, lang, user, stdin, stdout, interactive, lambda: buttons, greet=True)
    finally:
        await app.close()


async def _loop(send: Callable[[Inbound], Awaitable[None]], lang: str | None, user: str, stdin: TextIO,
                stdout: TextIO, interactive: bool, last_buttons: Callable[[], tuple[Button, ...]],
                greet: bool = False) -> int:  # fmt: skip
    if lang:
        await send(Inbound("terminal", user, payload=f"l:{lang}:quiet"))

    # Greet first, in a terminal and over a pipe alike: a newcomer who pipes a question in also
    # learns what the assistant does. The how-to line goes to stderr when piped, so stdout stays
    # the conversation; a script that starts with /start is not greeted twice. (``greet`` is False
    # when a caller hands over a conversation already under way.)
    first: str | None = None
    if interactive or greet:
        (stdout if interactive else sys.stderr).write(banner(lang) + "\n\n")
        first = None if interactive else stdin.readline()
        if first is None or first.strip().lower() != "/start":
            await send(Inbound("terminal", user, "/start", lang_hint=lang))
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line, first = (first, None) if first is not None else (stdin.readline(), None)  # the line read ahead first
        if not line:
            break
        text = line.rstrip("\n")
        choice = text.strip()
        if choice.lower() in LEAVE:
            break
        buttons = last_buttons()
        # A number presses a button, unless the last reply asks for a typed answer (a guide's
        # date or number question: only navigation buttons, no answer buttons).
        payloads = {b.payload or "" for b in buttons}
        typed_answer = "fn:restart" in payloads and not any(p.startswith("fa:") for p in payloads)
        if choice.isascii() and choice.isdigit() and not typed_answer and buttons and 1 <= int(choice) <= len(buttons):
            button = buttons[int(choice) - 1]
            if button.payload:
                await send(Inbound("terminal", user, payload=button.payload, lang_hint=lang))
            else:
                stdout.write(f"{button.url}\n\n")
            continue
        await send(Inbound("terminal", user, text, lang_hint=lang))
    return 0
