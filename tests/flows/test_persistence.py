"""A guide in progress is kept in the database: it survives a restart of the app, restarts politely
when the flow changed under it, and is forgotten once idle longer than the time-to-live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.app import App, build_app
from bot.conversations import conversation_key
from bot.core.messages import Inbound, Outbound
from bot.core.state import ConversationState, FlowState
from bot.settings import Settings
from bot.storage.db import create_db_engine
from bot.storage.tables import conversations

BIRTH = "birth_registration"
KEY = conversation_key("test", "citizen")
FIRST_QUESTION = "Bé sinh ở đâu?"
UPDATED = "Hướng dẫn này vừa được cập nhật, mình làm lại từ đầu nhé."


@asynccontextmanager
async def running(url: str, ttl_hours: float = 72.0) -> AsyncIterator[App]:
    app = build_app(Settings(database_url=url, conversation_ttl_hours=ttl_hours))
    try:
        yield app
    finally:
        await app.close()


async def send(app: App, text: str = "", payload: str | None = None) -> list[Outbound]:
    return await app.conversations.handle(Inbound("test", "citizen", text=text, payload=payload))


async def stored(app: App) -> ConversationState:
    state, version = await app.store.load(KEY)
    assert state is not None, "nothing stored for the conversation"
    assert version > 0
    return state


def joined(replies: list[Outbound]) -> str:
    return "\n".join(m.text for m in replies)


async def test_flow_survives_an_app_restart(database_url: str) -> None:
    """A guide left mid-way continues at the same step, with its answers, after the app restarts."""
    async with running(database_url) as app:
        await send(app, payload=f"f:{BIRTH}")
        await send(app, payload=f"fa:{BIRTH}:born_where:home")
        before = await stored(app)
        assert before.flow is not None
        assert before.flow.step == "birth_date"

    async with running(database_url) as app:
        state = await stored(app)
        assert state == before
        replies = await send(app, "3/5/2025")
        echo, question = replies[-1].text.split("\n\n", 1)
        assert echo.startswith("📅 3/5/2025 — ")  # the date said back in words
        assert question.startswith("Cha mẹ bé đã đăng ký kết hôn chưa?")
        after = await stored(app)
        assert after.flow is not None
        assert after.flow.step == "parents_married"
        assert after.flow.answers == {"born_where": "home", "birth_date": "2025-05-03"}
        assert after.turns == before.turns + 1


async def test_checklist_survives_an_app_restart(database_url: str) -> None:
    """A finished checklist can be shown again after the app restarts."""
    async with running(database_url) as app:
        await send(app, payload=f"f:{BIRTH}")
        first = await send(app, payload=f"fa:{BIRTH}:born_where:abroad")
        checklist = [m.text for m in first if m.text.startswith("✅")]
        assert len(checklist) == 1  # (the commune may be asked after it, once)

    async with running(database_url) as app:
        again = await send(app, "/checklist")
        assert [m.text for m in again] == checklist


async def test_pressed_answer_on_a_vanished_step_restarts_politely(database_url: str) -> None:
    """A stored guide whose step no longer exists starts again from the first question when a button is pressed."""
    async with running(database_url) as app:
        gone = ConversationState(
            procedure=BIRTH,
            flow=FlowState(flow=BIRTH, step="gone", answers={"born_where": "home"}, history=["born_where"]),
        )
        await app.store.save(KEY, gone, 0)
        replies = await send(app, payload=f"fa:{BIRTH}:gone:yes")
        text = joined(replies)
        assert UPDATED in text
        assert replies[-1].text.startswith(FIRST_QUESTION)
        assert "fn:cancel" in [b.payload for b in replies[-1].buttons]
        state = await stored(app)
        assert state.flow is not None
        assert (state.flow.step, state.flow.answers, state.flow.history) == ("born_where", {}, [])


async def test_typed_answer_on_a_vanished_step_restarts_politely(database_url: str) -> None:
    """A typed answer to a vanished step restarts the guide without an "I can't answer that" apology."""
    async with running(database_url) as app:
        gone = ConversationState(
            procedure=BIRTH,
            flow=FlowState(flow=BIRTH, step="gone", answers={"born_where": "home"}, history=["born_where"]),
        )
        await app.store.save(KEY, gone, 0)
        replies = await send(app, "co")
        text = joined(replies)
        assert replies[0].text == UPDATED
        assert FIRST_QUESTION in text
        assert "chưa có câu trả lời" not in text, text
        assert replies[-1].text.startswith(FIRST_QUESTION), [m.text[:60] for m in replies]
        state = await stored(app)
        assert state.flow is not None
        assert state.flow.step == "born_where"


async def test_vanished_flow_is_dropped_politely(database_url: str) -> None:
    """A stored guide whose flow was removed is dropped with an explanation and a fresh start."""
    async with running(database_url) as app:
        await app.store.save(KEY, ConversationState(flow=FlowState(flow="retired_guide", step="x")), 0)
        replies = await send(app, payload="fn:continue")
        assert replies[0].text.startswith("Lượt hướng dẫn bạn đang làm không còn nữa.")
        assert "m:0" in [b.payload for b in replies[0].buttons]
        assert (await stored(app)).flow is None


def age_row(url: str, hours: float) -> None:
    """Pretend the conversation was last touched ``hours`` ago."""
    db = create_db_engine(url)
    try:
        with db.begin() as connection:
            changed = connection.execute(
                sa.update(conversations)
                .where(conversations.c.key == KEY)
                .values(updated_at=datetime.now(UTC) - timedelta(hours=hours))
            ).rowcount
        assert changed == 1
    finally:
        db.dispose()


async def start_and_leave(app: App) -> None:
    await send(app, payload=f"f:{BIRTH}")
    await send(app, payload=f"fa:{BIRTH}:born_where:home")
    state = await stored(app)
    assert state.flow is not None
    assert state.flow.step == "birth_date"


async def test_idle_conversation_starts_afresh(database_url: str) -> None:
    """A conversation idle longer than the time-to-live is forgotten: the old guide does not continue."""
    async with running(database_url, ttl_hours=72) as app:
        await start_and_leave(app)
    age_row(database_url, hours=73)

    async with running(database_url, ttl_hours=72) as app:
        assert await app.store.load(KEY) == (None, 0)
        replies = await send(app, "3/5/2025")
        assert not any(m.text.startswith("Cha mẹ bé đã đăng ký kết hôn chưa?") for m in replies)
        state = await stored(app)
        assert state.flow is None
        assert state.turns == 1


async def test_conversation_within_the_ttl_continues(database_url: str) -> None:
    """A conversation idle for less than the time-to-live continues where it was."""
    async with running(database_url, ttl_hours=72) as app:
        await start_and_leave(app)
    age_row(database_url, hours=71)

    async with running(database_url, ttl_hours=72) as app:
        await send(app, "3/5/2025")
        state = await stored(app)
        assert state.flow is not None
        assert state.flow.step == "parents_married"


async def test_tiny_ttl_setting_forgets_quickly(sqlite_url: str) -> None:
    """The conversation_ttl_hours setting reaches the store: with a fraction of a second, a pause forgets the guide."""
    ttl_hours = 0.3 / 3600
    async with running(sqlite_url, ttl_hours=ttl_hours) as app:
        await start_and_leave(app)
        await asyncio.sleep(0.5)
        await send(app, "3/5/2025")
        state = await stored(app)
        assert state.flow is None
        assert state.turns == 1
