"""Requests nobody takes are reminded, then escalated — once, whatever the number of workers —
and their personal fields are blanked after the retention time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import communes
from bot.core.desk import ClaimOutcome, Target
from bot.core.messages import Outbound
from bot.helpdesk.service import HelpDeskUpkeep
from bot.helpdesk.sql import SqlHelpDesk
from bot.notify import Notifier
from bot.storage.db import create_db_engine
from bot.storage.tables import help_requests
from tests.community.conftest import Clock, Person
from tests.community.test_help_requests import ask_for_help


class Outbox:
    """A channel's push, recorded."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def push(self, chat_id: str, messages: Sequence[Outbound]) -> bool:
        self.sent += [(chat_id, m.text) for m in messages]
        return True


def upkeep(desk: SqlHelpDesk, outbox: Outbox) -> HelpDeskUpkeep:
    notifier = Notifier()
    notifier.register("telegram", outbox.push)
    return HelpDeskUpkeep(desk, notifier, communes(), lambda p: p, remind_after=timedelta(minutes=30),
                          escalate_after=timedelta(minutes=120), retention=timedelta(days=90))  # fmt: skip


async def test_reminded_then_escalated_once_each(desk: SqlHelpDesk, clock: Clock, volunteer: Any,
                                                 person: Callable[..., Person]) -> None:  # fmt: skip
    member, _ = await volunteer("701")
    province, _ = await volunteer("702", commune=None, team="Tỉnh")
    outbox = Outbox()
    worker = upkeep(desk, outbox)
    ticket_id = await ask_for_help(person("703"))
    assert await worker.sweep() == (0, 0)
    clock.advance(minutes=31)
    assert await worker.sweep() == (1, 0)
    assert outbox.sent
    assert outbox.sent[0][0] == member.user_id
    assert f"#{ticket_id}" in outbox.sent[0][1]
    assert await worker.sweep() == (0, 0)  # reminded once
    clock.advance(minutes=90)
    assert await worker.sweep() == (0, 1)
    assert outbox.sent[-1][0] == province.user_id
    assert "⚠️" in outbox.sent[-1][1]
    assert await worker.sweep() == (0, 0)


async def test_a_claimed_request_is_neither_reminded_nor_escalated(desk: SqlHelpDesk, clock: Clock, volunteer: Any,
                                                                   person: Callable[..., Person]) -> None:  # fmt: skip
    member, _ = await volunteer("711")
    ticket_id = await ask_for_help(person("712"))
    await member.press(f"hr:claim:{ticket_id}")
    clock.advance(hours=5)
    assert await upkeep(desk, Outbox()).sweep() == (0, 0)


async def test_after_the_retention_time_the_phone_and_words_are_gone(desk: SqlHelpDesk, clock: Clock, volunteer: Any,
                                                                     person: Callable[..., Person]) -> None:  # fmt: skip
    await volunteer("721")
    ticket_id = await ask_for_help(person("722"))
    clock.advance(days=89)
    assert desk.purge(timedelta(days=90)) == 0
    clock.advance(days=2)
    assert desk.purge(timedelta(days=90)) == 1
    with desk.db.connect() as conn:
        row = conn.execute(sa.select(help_requests).where(help_requests.c.id == ticket_id)).one()
    assert (row.phone, row.user_id, row.need) == (None, None, None)
    assert (row.status, row.outcome, row.commune) == ("closed", "expired", "nghean.xa-anh-son")  # counts stay


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_two_workers_on_postgresql_one_claim_wins_and_one_reminder_goes(
    db: sa.Engine, desk: SqlHelpDesk, clock: Clock, volunteer: Any, person: Callable[..., Person]
) -> None:
    """Two workers (their own connection pools) race: exactly one claim and one reminder each."""
    volunteers = [(await volunteer(f"73{i}", name=f"TNV {i}"))[1] for i in range(6)]
    ticket_id = await ask_for_help(person("740"))
    other_db = create_db_engine(str(db.url.render_as_string(hide_password=False)))
    try:
        workers = [desk, SqlHelpDesk(other_db, clock=clock)]
        results = await asyncio.gather(*(workers[i % 2].claim(ticket_id, v) for i, v in enumerate(volunteers)))
        outcomes = [r.outcome for r in results]
        assert outcomes.count(ClaimOutcome.CLAIMED) == 1, outcomes
        assert set(outcomes) == {ClaimOutcome.CLAIMED, ClaimOutcome.TAKEN}
        winner = volunteers[outcomes.index(ClaimOutcome.CLAIMED)]
        stored = await desk.ticket(ticket_id)
        assert stored is not None
        assert stored.claimed_by == winner

        second = await ask_for_help(person("741"))
        clock.advance(minutes=31)
        boxes = [Outbox(), Outbox()]
        done = await asyncio.gather(*(upkeep(w, b).sweep() for w, b in zip(workers, boxes, strict=True)))
        assert sorted(done) == [(0, 0), (1, 0)]
        assert sum(len(b.sent) for b in boxes) == len(volunteers)  # one reminder to each volunteer
        assert all(f"#{second}" in text for b in boxes for _chat, text in b.sent)
    finally:
        other_db.dispose()


async def test_many_claims_at_once_on_sqlite_one_wins(desk: SqlHelpDesk, volunteer: Any,
                                                     person: Callable[..., Person]) -> None:  # fmt: skip
    volunteers = [(await volunteer(f"75{i}", name=f"TNV {i}"))[1] for i in range(4)]
    ticket_id = await ask_for_help(person("760"))
    results = await asyncio.gather(*(desk.claim(ticket_id, v) for v in volunteers))
    assert [r.outcome for r in results].count(ClaimOutcome.CLAIMED) == 1
    assert Target("telegram", "760") == (await desk.ticket(ticket_id)).citizen  # type: ignore[union-attr]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_two_app_workers_on_postgresql_one_volunteer_gets_the_request(db: sa.Engine) -> None:
    """Two whole workers (each its own app: engine, stores, connection pool) share one PostgreSQL;
    two volunteers press "Nhận" at the same moment, one through each: one gets the number."""
    from bot.app import build_app
    from bot.core.messages import Inbound
    from bot.settings import Settings

    url = db.url.render_as_string(hide_password=False)
    workers = [build_app(Settings(database_url=url, usage_log=False, admin_bootstrap=False)) for _ in range(2)]
    try:
        first, second = workers
        assert first.desk is not None
        for user in ("801", "802"):
            _v, code = first.desk.create_volunteer(f"TNV {user}", "Tổ xóm 8", "nghean.xa-anh-son", None, created_by="t")
            await first.conversations.handle(Inbound("telegram", user, text=f"/lienket {code}"))
        steps = [("tôi muốn gặp người thật", None), ("", "hd:yes"), ("0912345678", None), ("anh son", None),
                 ("", "hc:nghean.xa-anh-son"), ("", "hn:skip"), ("", "ht:any")]  # fmt: skip
        for text, payload in steps:  # the citizen, through the second worker
            await second.conversations.handle(Inbound("telegram", "803", text=text, payload=payload))
        ticket = await first.desk.active_ticket(Target("telegram", "803"))
        assert ticket is not None
        replies = await asyncio.gather(
            first.conversations.handle(Inbound("telegram", "801", payload=f"hr:claim:{ticket.id}")),
            second.conversations.handle(Inbound("telegram", "802", payload=f"hr:claim:{ticket.id}")),
        )
        got_number = ["0912 345 678" in "\n".join(m.text for m in r) for r in replies]
        assert sorted(got_number) == [False, True], replies
        stored = await first.desk.ticket(ticket.id)
        assert stored is not None
        assert stored.status == "claimed"
    finally:
        for app in workers:
            await app.close()
