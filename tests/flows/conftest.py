"""Fixtures of the flow tests: a conversation with the real engine."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from tests.flows.chat import Chat


@pytest.fixture
def chat(engine: Engine) -> Chat:
    """A fresh conversation with the real engine (today fixed to TODAY)."""
    return Chat(engine)
