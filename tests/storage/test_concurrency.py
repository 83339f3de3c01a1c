"""One person, many messages, several workers: every message counts exactly once, in order per worker."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.conversations import MAX_ATTEMPTS, Conversations, conversation_key
from bot.core.engine import Engine
from bot.core.messages import Inbound, Outbound, UsageEvent
from bot.core.ports import BaseStateStore, BaseUsageSink
from bot.core.state import ConversationState, FlowState
from bot.core.turn import Turn
from bot.data.knowledge import load_knowledge
from bot.errors import ConflictError, StorageError
from bot.storage.db import create_db_engine
from bot.storage.memory import MemoryStateStore
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore

TTL = timedelta(hours=72)
ROUNDS = 12
# Each round sends this many messages through each worker at once. A message's turn fails only
# when the other worker saved in between, so it needs at most PER_WORKER + 1 attempts: the test
# is deterministic as long as that stays within MAX_ATTEMPTS.
PER_WORKER = 3
assert PER_WORKER + 1 <= MAX_ATTEMPTS


class EchoEngine:
    """A fake engine: counts the turn and appends the message text to the flow history."""

    def __init__(self, seed: int = 7, max_pause: float = 0.003) -> None:
        self._random = random.Random(seed)
        self._max_pause = max_pause

    async def handle(self, inbound: Inbound, state: ConversationState | None = None, *, owned: bool = False) -> Turn:
        state = (state or ConversationState()).model_copy(deep=True)
        state.turns += 1
        if state.flow is None:
            state.flow = FlowState(flow="echo", step="echo")
        await asyncio.sleep(self._random.uniform(0, self._max_pause))  # room for the other worker
        state.flow.history.append(inbound.text)
        return Turn([Outbound(f"#{state.turns} {inbound.text}")], state, [UsageEvent("question")])


class CountingStore(BaseStateStore):
    """Wraps a store and counts the conflicts it reports."""

    def __init__(self, inner: BaseStateStore) -> None:
        self.inner = inner
        self.conflicts = 0
        self.started = 0  # the version this store's save of a new conversation returned

    async def load(self, key: str) -> tuple[ConversationState | None, int]:
        return await self.inner.load(key)

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        try:
            version = await self.inner.save(key, state, expected_version)
        except ConflictError:
            self.conflicts += 1
            raise
        if expected_version == 0:
            self.started = version
        return version

    async def close(self) -> None:
        await self.inner.close()

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def purge_expired(self, now: datetime | None = None) -> int:
        return await self.inner.purge_expired(now)


class CollectingSink(BaseUsageSink):
    """Keeps every batch of usage events it is given."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, str, list[UsageEvent]]] = []

    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        self.batches.append((key, channel, list(events)))


class BrokenSink(BaseUsageSink):
    async def record(self, key: str, channel: str, events: Sequence[UsageEvent]) -> None:
        raise RuntimeError("usage database is down")


class AlwaysConflictingStore(MemoryStateStore):
    """Every save loses to some other worker."""

    saves = 0

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        self.saves += 1
        raise ConflictError("another worker won")


class RivalFirstStore(MemoryStateStore):
    """Replays the race: just before the first save, another worker's turn lands."""

    rival_pending = True

    async def save(self, key: str, state: ConversationState, expected_version: int) -> int:
        if self.rival_pending:
            self.rival_pending = False
            rival = ConversationState(turns=1, flow=FlowState(flow="echo", step="echo", history=["rival"]))
            await super().save(key, rival, expected_version)
        return await super().save(key, state, expected_version)


@pytest.fixture
def engines(database_url: str) -> Iterator[list[sa.Engine]]:
    """Two engines on one database: the connection pools of two worker processes."""
    pair = [create_db_engine(database_url), create_db_engine(database_url)]
    yield pair
    for engine in pair:
        engine.dispose()


def message(text: str) -> Inbound:
    return Inbound("telegram", "1001", text)


def worker_store(engine: sa.Engine, cached: bool) -> BaseStateStore:
    """A worker's store: plain SQL (load, then save), or the application's, which runs a turn on the
    state it saved last and lets the version check catch the other worker's changes."""
    sql = SqlStateStore(engine, TTL)
    return ResilientStore(sql) if cached else sql


@pytest.mark.parametrize("cached", [False, True], ids=["load-save", "cached"])
async def test_two_workers_lose_no_message(engines: list[sa.Engine], cached: bool) -> None:
    """Concurrent turns for one person on two workers each land exactly once."""
    stores = [CountingStore(worker_store(engine, cached)) for engine in engines]
    sink = CollectingSink()
    workers = [Conversations(EchoEngine(seed=i), store, sink) for i, store in enumerate(stores)]
    sent: list[str] = []
    for r in range(ROUNDS):
        batch = [(w, f"r{r}-w{w}-m{m}") for w in range(len(workers)) for m in range(PER_WORKER)]
        sent += [text for _w, text in batch]
        replies = await asyncio.gather(*(workers[w].handle(message(text)) for w, text in batch))
        assert all(len(reply) == 1 for reply in replies)

    database = SqlStateStore(engines[0], TTL)  # what is stored, not what a worker cached
    state, version = await database.load(conversation_key("telegram", "1001"))
    await database.close()
    assert state is not None
    assert state.flow is not None
    [first] = [store.started for store in stores if store.started]
    assert state.turns == len(sent) == version - first + 1  # one save per message
    assert sorted(state.flow.history) == sorted(sent)  # none lost, none twice
    for w in range(len(workers)):  # and each worker kept its own messages in order
        assert [t for t in state.flow.history if f"-w{w}-" in t] == [t for t in sent if f"-w{w}-" in t]
    assert len(sink.batches) == len(sent)  # usage counted once per message, not per attempt
    assert sum(store.conflicts for store in stores) > 0, "the workers never raced; the test proves nothing"
    assert all(worker.busy == 0 for worker in workers)
    for counting in stores:
        await counting.inner.close()


@pytest.mark.parametrize("cached", [False, True], ids=["load-save", "cached"])
async def test_two_workers_with_the_real_engine(engines: list[sa.Engine], cached: bool) -> None:
    """The real engine's turn counter ends at the number of messages sent through both workers."""
    engine = Engine(load_knowledge())
    stores = [worker_store(e, cached) for e in engines]
    workers = [Conversations(engine, store) for store in stores]
    questions = ["làm căn cước ở đâu", "đăng ký khai sinh cần giấy tờ gì", "/menu", "cảm ơn"]
    sent = 0
    for _round in range(3):  # rounds of PER_WORKER per worker: see the note at the top
        batch = [workers[w].handle(message(q)) for w in range(2) for q in questions[:PER_WORKER]]
        replies = await asyncio.gather(*batch)
        assert all(replies)
        sent += len(batch)
    database = SqlStateStore(engines[1], TTL)  # what is stored, not what a worker cached
    state, _version = await database.load("telegram:1001")
    await database.close()
    for store in stores:
        await store.close()
    assert state is not None
    assert state.turns == sent


async def test_one_persons_messages_are_handled_in_order() -> None:
    """Within one process, one person's messages run one at a time, in arrival order."""
    store = MemoryStateStore(TTL)
    conversations = Conversations(EchoEngine(max_pause=0.002), store)
    texts = [f"m{i}" for i in range(30)]
    tasks = [asyncio.create_task(conversations.handle(message(t))) for t in texts]
    await asyncio.sleep(0)
    assert conversations.busy == 1  # one person: one lock, 29 turns waiting on it
    await asyncio.gather(*tasks)
    state, _version = await store.load("telegram:1001")
    assert state is not None
    assert state.flow is not None
    assert state.flow.history == texts
    assert state.turns == 30
    assert conversations.busy == 0  # the lock was pruned


async def test_different_people_do_not_wait_for_each_other() -> None:
    """Messages from different people run side by side."""
    conversations = Conversations(EchoEngine(max_pause=0.01), MemoryStateStore(TTL))
    tasks = [asyncio.create_task(conversations.handle(Inbound("zalo", str(u), "hi"))) for u in range(5)]
    await asyncio.sleep(0)
    assert conversations.busy == 5
    await asyncio.gather(*tasks)
    assert conversations.busy == 0


async def test_conflict_reruns_the_turn_on_the_new_state() -> None:
    """After losing a race the turn runs again on the winner's state; usage is recorded once."""
    store = RivalFirstStore(TTL)
    sink = CollectingSink()
    replies = await Conversations(EchoEngine(), store, sink).handle(message("hello"))
    assert replies == [Outbound("#2 hello")]
    state, _version = await store.load("telegram:1001")
    assert state is not None
    assert state.flow is not None
    assert (state.flow.history, state.turns) == (["rival", "hello"], 2)
    [(key, channel, events)] = sink.batches
    assert (key, channel, [e.kind for e in events]) == ("telegram:1001", "telegram", ["question"])


async def test_endless_conflicts_become_a_storage_error() -> None:
    """A turn that keeps losing gives up after MAX_ATTEMPTS with a StorageError."""
    store = AlwaysConflictingStore(TTL)
    conversations = Conversations(EchoEngine(max_pause=0), store)
    with pytest.raises(StorageError, match="gave up") as caught:
        await conversations.handle(message("hello"))
    assert not isinstance(caught.value, ConflictError)
    assert store.saves == MAX_ATTEMPTS
    assert conversations.busy == 0


async def test_broken_usage_sink_does_not_break_the_reply(caplog: pytest.LogCaptureFixture) -> None:
    """A failing usage sink is logged and the person still gets the reply."""
    store = MemoryStateStore(TTL)
    with caplog.at_level(logging.ERROR, logger="bot.conversations"):
        replies = await Conversations(EchoEngine(), store, BrokenSink()).handle(message("hello"))
    assert replies == [Outbound("#1 hello")]
    assert await store.load("telegram:1001") != (None, 0)
    assert "usage sink failed" in caplog.text


async def test_forget_deletes_the_state() -> None:
    """forget removes what was remembered, so the next message starts a new conversation."""
    store = MemoryStateStore(TTL)
    conversations = Conversations(EchoEngine(), store)
    await conversations.handle(message("hello"))
    await conversations.forget("telegram", "1001")
    assert await store.load("telegram:1001") == (None, 0)
    assert await conversations.handle(message("again")) == [Outbound("#1 again")]
