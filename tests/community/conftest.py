"""A help desk on a real database (SQLite by default, PostgreSQL where asked), an engine over it,
and people who talk to it: citizens and volunteers keep their own conversation state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.app import build_engine, communes
from bot.core.desk import Notice, Target, Volunteer
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.helpdesk.sql import SqlHelpDesk
from bot.storage.db import create_db_engine, upgrade
from bot.storage.tables import COMMUNITY_TABLES

ANH_SON = "nghean.xa-anh-son"
VINH_HUNG = "nghean.phuong-vinh-hung"


class Clock:
    """A settable clock: reminders, escalations and code expiry without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def clear(db: sa.Engine) -> None:
    """Empty the help desk (the PostgreSQL database is shared by the session's tests)."""
    with db.begin() as conn:
        for table in COMMUNITY_TABLES:
            conn.execute(table.delete())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite"])
def db(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[sa.Engine]:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_database")
    upgrade(url)
    engine = create_db_engine(url)
    clear(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def desk(db: sa.Engine, clock: Clock) -> SqlHelpDesk:
    return SqlHelpDesk(db, clock=clock)


@pytest.fixture
def engine(desk: SqlHelpDesk) -> Engine:
    return build_engine().with_desk(desk, communes(), help_retention_days=90)


@dataclass
class Person:
    """Someone in one chat: sends text or presses buttons; remembers state and every turn."""

    engine: Engine
    channel: str
    user_id: str
    state: ConversationState | None = None
    turns: list[Turn] = field(default_factory=list)

    @property
    def target(self) -> Target:
        return Target(self.channel, self.user_id)

    async def say(self, text: str, group: str | None = None) -> Turn:
        return await self._turn(Inbound(self.channel, self.user_id, text=text, group=group))

    async def press(self, payload: str, group: str | None = None) -> Turn:
        return await self._turn(Inbound(self.channel, self.user_id, payload=payload, group=group))

    async def press_labelled(self, label: str) -> Turn:
        """Press the button whose label contains ``label`` under the last reply."""
        for message in reversed(self.turns[-1].messages):
            for button in message.buttons:
                if label in button.label and button.payload:
                    return await self.press(button.payload)
        raise AssertionError(f"no button {label!r} in {[b.label for m in self.turns[-1].messages for b in m.buttons]}")

    async def _turn(self, inbound: Inbound) -> Turn:
        turn = await self.engine.handle(inbound, self.state)
        self.state = turn.state
        self.turns.append(turn)
        return turn

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.turns[-1].messages)

    @property
    def payloads(self) -> list[str]:
        return [b.payload for m in self.turns[-1].messages for b in m.buttons if b.payload]


@pytest.fixture
def person(engine: Engine) -> Callable[..., Person]:
    def make(user_id: str, channel: str = "telegram") -> Person:
        return Person(engine, channel, user_id)

    return make


@pytest.fixture
def volunteer(desk: SqlHelpDesk, person: Callable[..., Person]) -> Callable[..., object]:
    """A linked volunteer: created as an admin would, then linked with their code in chat."""

    async def make(user_id: str, name: str = "Nguyễn Văn An", commune: str | None = ANH_SON,
                   team: str = "Tổ CNSCĐ xóm 1", phone: str = "0912000111",
                   channel: str = "telegram") -> tuple[Person, Volunteer]:  # fmt: skip
        created, code = desk.create_volunteer(name, team, commune, phone, created_by="admin")
        chat = person(user_id, channel)
        await chat.say(f"/lienket {code}")
        assert await desk.volunteer(channel, user_id) == created, chat.text
        return chat, created

    return make


def notices_to(turn: Turn, target: Target) -> list[Notice]:
    return [n for n in turn.notices if n.target == target]
