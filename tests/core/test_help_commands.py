"""/help names every command a citizen can use, in both languages."""

from __future__ import annotations

import pytest

from bot.core import i18n
from bot.core.engine import Engine
from bot.core.messages import Inbound

CITIZEN_COMMANDS = ("/menu", "/lang", "/cancel", "/checklist", "/xa", "/xoadulieu")
"""What a citizen types (volunteers' commands are in their own guide, docs/vi/tinh-nguyen-vien.md)."""


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_help_lists_every_citizen_command(engine: Engine, lang: str) -> None:
    """/help mentions each citizen command, /checklist and /xoadulieu included."""
    with i18n.use(lang):
        turn = await engine.handle(Inbound("web", "help-reader", "/help", lang_hint=lang))
    text = turn.messages[0].text
    assert [c for c in CITIZEN_COMMANDS if c not in text] == []
    for command in CITIZEN_COMMANDS:  # and each one it names works: none answers "I don't know that command"
        with i18n.use(lang):
            reply = await engine.handle(Inbound("web", "help-reader", command, lang_hint=lang))
        assert "/menu, /help" not in reply.messages[0].text, command
