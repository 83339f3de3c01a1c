"""The state-store contract, run against every implementation of BaseStateStore."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.ports import BaseStateStore
from bot.core.state import ConversationState, FlowState
from bot.errors import ConflictError, StorageError
from bot.storage.db import create_db_engine, upgrade
from bot.storage.memory import MemoryStateStore
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.tables import conversations

TTL = timedelta(hours=72)
KEY = "telegram:1001"


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Backend:
    """Opens stores of one kind over the same data, as a worker would after a restart."""

    name: str
    url: str | None = None
    engines: list[sa.Engine] = field(default_factory=list)
    stores: list[BaseStateStore] = field(default_factory=list)
    memory: MemoryStateStore | None = None

    def open(self, clock: Callable[[], datetime]) -> BaseStateStore:
        if self.url is None:
            self.memory = MemoryStateStore(TTL, clock)
            return self.memory
        engine = create_db_engine(self.url)
        self.engines.append(engine)
        sql = SqlStateStore(engine, TTL, clock)
        # The application's store: the SQL one behind the cache that runs turns on the state it saved.
        self.stores.append(ResilientStore(sql) if self.name.startswith("cached") else sql)
        return self.stores[-1]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "cached-sqlite",
            pytest.param("cached-postgres", marks=pytest.mark.postgres)],
)
async def backend(request: pytest.FixtureRequest, fresh_database: Callable[[str], str]) -> AsyncIterator[Backend]:
    kind: str = request.param
    backend = Backend(kind, None if kind == "memory" else fresh_database(kind.removeprefix("cached-")))
    yield backend
    for store in backend.stores:  # their PostgreSQL connections belong to this test's event loop
        await store.close()
    for engine in backend.engines:
        engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(backend: Backend, clock: ManualClock) -> BaseStateStore:
    return backend.open(clock)


def sample_state() -> ConversationState:
    return ConversationState(
        lang="vi",
        procedure="birth_registration",
        flow=FlowState(flow="birth_registration", step="papers", answers={"parent": "mẹ"}, history=["start"]),
        checklists={"birth_registration": {"note": "Giấy chứng sinh ✅, CCCD của cha mẹ 👨‍👩‍👧 — đủ rồi!"}},
        feedback_for="birth_registration:overview",
        turns=3,
    )


class TestStateStoreContract:
    async def test_new_key_loads_nothing(self, store: BaseStateStore) -> None:
        """A key never saved loads as no state at version 0."""
        assert await store.load(KEY) == (None, 0)

    async def test_round_trip(self, store: BaseStateStore) -> None:
        """A saved state loads back equal, at the version save returned."""
        version = await store.save(KEY, sample_state(), 0)
        assert await store.load(KEY) == (sample_state(), version)

    async def test_a_loaded_state_is_the_callers_own(self, store: BaseStateStore) -> None:
        """The engine changes the state it is handed in place (Conversations hands it over): what
        load returns must be a fresh copy, and what was saved must not change with the saver's object."""
        saved = sample_state()
        version = await store.save(KEY, saved, 0)
        saved.turns, saved.procedure = 99, "vneid"  # the saver goes on changing its object
        first, _ = await store.load(KEY)
        assert first is not None
        first.turns = 42
        first.flow.answers["parent"] = "cha"  # type: ignore[union-attr]
        assert await store.load(KEY) == (sample_state(), version)

    async def test_version_increments_on_each_save(self, store: BaseStateStore) -> None:
        """Each save returns the next version, and load reports it."""
        first = await store.save(KEY, ConversationState(turns=1), 0)
        assert first > 0
        assert await store.save(KEY, ConversationState(turns=2), first) == first + 1
        assert await store.save(KEY, ConversationState(turns=3), first + 1) == first + 2
        assert await store.load(KEY) == (ConversationState(turns=3), first + 2)

    async def test_a_new_conversation_never_repeats_a_version(self, store: BaseStateStore) -> None:
        """After an erasure the key starts again at a version unlike the old ones, so a copy of the old
        conversation cached by a worker can never pass the new one's version check."""
        old = await store.save(KEY, ConversationState(turns=1), 0)
        await store.save(KEY, ConversationState(turns=2), old)
        starts = set()
        for turns in range(5):
            await store.delete(KEY)
            starts.add(await store.save(KEY, ConversationState(turns=turns), 0))
        assert len(starts) == 5
        assert not starts & {old, old + 1}
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(turns=99), old + 1)

    async def test_stale_version_conflicts_and_keeps_state(self, store: BaseStateStore) -> None:
        """A save with an old version raises ConflictError and leaves the stored state alone."""
        first = await store.save(KEY, ConversationState(turns=1), 0)
        await store.save(KEY, ConversationState(turns=2), first)
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(turns=99), first)
        assert await store.load(KEY) == (ConversationState(turns=2), first + 1)

    async def test_second_new_conversation_conflicts(self, store: BaseStateStore) -> None:
        """Two workers starting the same new conversation: the second save conflicts."""
        first = await store.save(KEY, ConversationState(turns=1), 0)
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(turns=42), 0)
        assert await store.load(KEY) == (ConversationState(turns=1), first)

    async def test_version_of_missing_key_conflicts(self, store: BaseStateStore) -> None:
        """Saving at a version the key never had raises ConflictError."""
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(), 3)
        assert await store.load(KEY) == (None, 0)

    async def test_keys_are_independent(self, store: BaseStateStore) -> None:
        """Saving one person's state does not touch another's."""
        mine = await store.save(KEY, ConversationState(turns=1), 0)
        theirs = await store.save("zalo:1001", ConversationState(turns=7), 0)
        assert await store.load(KEY) == (ConversationState(turns=1), mine)
        assert await store.load("zalo:1001") == (ConversationState(turns=7), theirs)

    async def test_changing_a_saved_state_does_not_change_the_store(self, store: BaseStateStore) -> None:
        """The store keeps a copy: mutating the object after save changes nothing stored."""
        state = sample_state()
        version = await store.save(KEY, state, 0)
        state.turns = 1000
        assert state.flow is not None
        state.flow.history.append("mutated")
        assert await store.load(KEY) == (sample_state(), version)

    async def test_conversation_within_ttl_is_kept(self, store: BaseStateStore, clock: ManualClock) -> None:
        """A conversation idle for exactly the time-to-live still loads."""
        version = await store.save(KEY, sample_state(), 0)
        clock.advance(TTL)
        assert await store.load(KEY) == (sample_state(), version)

    async def test_expired_conversation_starts_afresh(
        self, store: BaseStateStore, clock: ManualClock
    ) -> None:
        """Past the time-to-live a conversation loads as new, and the new one saves without conflict."""
        await store.save(KEY, sample_state(), 0)
        clock.advance(TTL + timedelta(seconds=1))
        state, version = await store.load(KEY)
        assert (state, version) == (None, 0)
        new_version = await store.save(KEY, ConversationState(turns=1), version)
        assert await store.load(KEY) == (ConversationState(turns=1), new_version)

    async def test_only_one_worker_replaces_an_expired_conversation(
        self, store: BaseStateStore, clock: ManualClock
    ) -> None:
        """Two fresh starts over one expired conversation: exactly one wins."""
        await store.save(KEY, sample_state(), 0)
        clock.advance(TTL + timedelta(minutes=1))
        won = await store.save(KEY, ConversationState(turns=1), 0)
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(turns=2), 0)
        assert await store.load(KEY) == (ConversationState(turns=1), won)

    async def test_old_version_cannot_overwrite_a_fresh_start(
        self, store: BaseStateStore, clock: ManualClock
    ) -> None:
        """A worker holding the version from before expiry loses to the conversation that replaced it."""
        old = await store.save(KEY, sample_state(), 0)
        clock.advance(TTL + timedelta(minutes=1))
        await store.save(KEY, ConversationState(turns=1), 0)
        with pytest.raises(ConflictError):
            await store.save(KEY, ConversationState(turns=2), old)
        assert (await store.load(KEY))[0] == ConversationState(turns=1)

    async def test_purge_expired_deletes_and_counts(self, store: BaseStateStore, clock: ManualClock) -> None:
        """purge_expired removes only idle conversations and says how many."""
        await store.save("telegram:1", ConversationState(), 0)
        await store.save("telegram:2", ConversationState(), 0)
        clock.advance(timedelta(hours=2))
        kept = await store.save("telegram:3", ConversationState(turns=3), 0)
        clock.advance(TTL - timedelta(hours=1))
        assert await store.purge_expired() == 2
        assert await store.purge_expired() == 0
        assert await store.load("telegram:3") == (ConversationState(turns=3), kept)
        assert await store.purge_expired(clock.now + TTL) == 1
        assert await store.load("telegram:3") == (None, 0)

    async def test_delete(self, store: BaseStateStore) -> None:
        """A deleted conversation loads as new and can be started again; deleting twice is fine."""
        await store.save(KEY, sample_state(), 0)
        await store.delete(KEY)
        await store.delete(KEY)
        assert await store.load(KEY) == (None, 0)
        version = await store.save(KEY, ConversationState(turns=1), 0)
        assert await store.load(KEY) == (ConversationState(turns=1), version)

    async def test_unicode_and_emoji_survive(self, store: BaseStateStore) -> None:
        """Vietnamese text and emoji (outside the BMP) come back byte for byte."""
        text = "Đăng ký khai sinh cho bé — xong rồi 🎉👶🏽 ơ ư ạ ẫ 𠀀"
        await store.save(KEY, ConversationState(checklists={"birth_registration": {"note": text}}), 0)
        state, _version = await store.load(KEY)
        assert state is not None
        assert state.checklists["birth_registration"]["note"] == text


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_state_survives_restart(backend: Backend, store: BaseStateStore, clock: ManualClock) -> None:
    """A new store over the same database loads the identical state and version (SQL stores
    only: an in-memory store forgets everything on restart, by design)."""
    version = await store.save(KEY, sample_state(), 0)
    await store.close()
    reopened = backend.open(clock)
    assert await reopened.load(KEY) == (sample_state(), version)
    assert await reopened.save(KEY, ConversationState(), version) == version + 1


async def test_missing_schema_is_a_storage_error(tmp_path: Path) -> None:
    """A database that was never migrated gives a StorageError that says what to check."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        store = SqlStateStore(engine, TTL)
        with pytest.raises(StorageError, match=r"could not load .*schema is up to date") as caught:
            await store.load(KEY)
        assert not isinstance(caught.value, ConflictError)
    finally:
        engine.dispose()


async def test_unreachable_server_is_a_storage_error() -> None:
    """A database server that does not answer gives a StorageError, with the password masked."""
    engine = create_db_engine("postgresql://trolyso:s3cret@127.0.0.1:1/trolyso?connect_timeout=2")
    try:
        store = SqlStateStore(engine, TTL)
        with pytest.raises(StorageError, match="could not save conversation state in postgresql") as caught:
            await store.save(KEY, ConversationState(), 0)
        assert "s3cret" not in str(caught.value)
    finally:
        engine.dispose()


async def test_unreadable_state_starts_afresh(sqlite_url: str) -> None:
    """A row whose JSON no longer fits ConversationState loads as no state, and the next save replaces it."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                conversations.insert().values(
                    key=KEY, state='{"turns": "many"}', version=4, updated_at=datetime.now(UTC)
                )
            )
        store = SqlStateStore(engine, TTL)
        state, version = await store.load(KEY)
        assert (state, version) == (None, 4)
        assert await store.save(KEY, ConversationState(turns=1), version) == 5
    finally:
        engine.dispose()
