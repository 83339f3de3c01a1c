"""The channel contract scripts, played straight through the engine: the reference every
channel adapter's run of the same scripts must match."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound, Outbound
from bot.core.state import ConversationState
from bot.testing import load_scripts, run_script

CONTRACT = load_scripts(Path(__file__).parent / "contract") + load_scripts(
    Path(__file__).parents[1] / "conversations", "talk_*.yaml"
)  # how citizens go on talking (issue 11): every channel, not only the engine


@pytest.mark.parametrize("script", CONTRACT, ids=lambda s: s.path.stem)
async def test_contract_script_through_the_engine(engine: Engine, script) -> None:  # type: ignore[no-untyped-def]
    """Each contract script passes when played through the engine itself."""
    state = ConversationState()

    async def send(inbound: Inbound) -> Sequence[Outbound]:
        nonlocal state
        turn = await engine.handle(inbound, state)
        state = turn.state
        return turn.messages

    await run_script(script, send, "contract")
