"""Wiring: build the engine (and later the stores and channels) from the data folders."""

from __future__ import annotations

from functools import cache

from bot.core.engine import Engine
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge


@cache
def build_engine() -> Engine:
    """The engine over the shipped knowledge base and flows, built once per process."""
    kb = load_knowledge()
    return Engine(kb, load_flows(kb.procedures))
