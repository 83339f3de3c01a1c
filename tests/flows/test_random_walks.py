"""Random conversations inside every flow: whatever a person presses or types, the assistant replies
sensibly and never leaves them inside a guide without a way forward."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.state import ConversationState
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge
from tests.flows.chat import Chat

FLOW_IDS = sorted(load_flows(load_knowledge().procedures).flows)

TEXTS = [
    "",
    " ",
    "\n",
    "😀",
    "👍👍👍",
    "🙏 cảm ơn",
    "?",
    "...",
    "a" * 5000,
    "lam cccd " * 700,
    "😀" * 4100,
    "3/5/2025",
    "03-05-2025",
    "3.5.2025",
    "31/2/2025",
    "3/5/2099",
    "0/0/0",
    "99/99/9999",
    "hôm nay",
    "0",
    "1",
    "²",
    "①",
    "2",
    "3",
    "13",
    "-1",
    "1e9",
    "999999999999999999999",
    "0,5",
    "hai",
    "3 tháng",
    "2.5",
    "có",
    "ko",
    "rồi",
    "chưa",
    "yes",
    "no",
    "quay lai",
    "quay lại",
    "huy",
    "hủy",
    "khong biet",
    "không biết",
    "lam lai",
    "tiep tuc",
    "/cancel",
    "/checklist",
    "/start",
    "/menu",
    "/help",
    "/lang",
    "/xyz",
    "danh sach cua toi",
    "le phi lam ho chieu bao nhieu",
    "lam cccd o dau",
    "hello",
    "cam on",
    "huong dan toi lam khai sinh",
    "dang ky tam tru online",
    "gặp người hỗ trợ",
]

ACTION = st.one_of(
    st.tuples(st.just("button"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("button"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("text"), st.sampled_from(TEXTS)),
    st.tuples(st.just("text"), st.text(max_size=30)),
    st.tuples(st.just("old"), st.integers(min_value=0, max_value=500)),
)
WALK = st.lists(ACTION, max_size=14)
WALK_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def walk(
    engine: Engine, flow_id: str, actions: list[tuple[str, Any]], check: Callable[[Chat, str], None]
) -> None:
    """Start ``flow_id`` and play ``actions``, calling ``check`` after every turn."""
    chat = Chat(engine)
    await chat.start(flow_id)
    check(chat, f"f:{flow_id}")
    for kind, arg in actions:
        payloads = chat.payloads
        seen = [b.payload for b in chat.seen if b.payload]
        if kind == "button" and payloads:
            what = payloads[arg % len(payloads)]
            await chat.press(what)
        elif kind == "old" and seen:
            what = seen[arg % len(seen)]
            await chat.press(what)
        else:
            what = arg if isinstance(arg, str) else "?"
            await chat.say(what)
        check(chat, what[:40])


def replies_are_sane(chat: Chat, after: str) -> None:
    assert chat.replies, f"no reply after {after!r}"
    for message in chat.replies:
        assert message.text.strip(), f"an empty message after {after!r}"
        assert len(message.text) <= 4096, f"a {len(message.text)}-character message after {after!r}"
        for button in message.buttons:
            assert button.label.strip()
            assert button.payload or button.url
            if button.payload:
                assert len(button.payload.encode()) <= 64, button.payload
    assert chat.state is not None
    assert ConversationState.model_validate_json(chat.state.model_dump_json()) == chat.state


def never_stuck(chat: Chat, after: str) -> None:
    state = chat.state
    assert state is not None
    if state.flow is None:
        return
    flow = chat.engine.runner.flows.flows.get(state.flow.flow)
    step = flow.step(state.flow.step) if flow else None
    assert step is not None, f"the conversation is on a step that does not exist after {after!r}"
    offered = [b.payload for b in chat.last.buttons]
    assert "fn:cancel" in offered, (
        f"a guide is in progress (step {step.id!r}, paused={state.flow.paused}) but the last message "
        f"after {after!r} offers no way to cancel it: {chat.last.text[:120]!r} {offered}"
    )
    if state.flow.paused:
        assert "fn:continue" in offered
    else:
        assert step.ask.vi in chat.last.text or step.ask.en in chat.last.text, (
            f"after {after!r} the guide waits for {step.id!r} but the last message does not ask it"
        )


@pytest.mark.parametrize("flow_id", FLOW_IDS)
def test_random_walks_get_sane_replies(engine: Engine, flow_id: str) -> None:
    """Random presses and texts never crash and always get short, non-empty replies with small payloads."""

    @WALK_SETTINGS
    @given(actions=WALK)
    def run(actions: list[tuple[str, Any]]) -> None:
        asyncio.run(walk(engine, flow_id, actions, replies_are_sane))

    run()


@pytest.mark.parametrize("flow_id", FLOW_IDS)
def test_random_walks_never_leave_a_guide_stuck(engine: Engine, flow_id: str) -> None:
    """A guide in progress always shows its question (or a continue offer) with a cancel button last."""

    @WALK_SETTINGS
    @given(actions=WALK)
    def run(actions: list[tuple[str, Any]]) -> None:
        asyncio.run(walk(engine, flow_id, actions, never_stuck))

    run()
