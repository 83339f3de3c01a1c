"""Zalo never delivers again an event it had a 200 for, so its webhook answers only once the turn
is saved and its replies have left (within a bound): a worker killed before that has said nothing,
Zalo delivers the event again, and it is processed once and answered. Notices to other people are
not sent again with a redelivery's stored replies.

A kill is played as a SIGKILL would stop the worker: its turns stop where they are and Zalo's
connection breaks without an answer. Real HTTP to the fake Zalo, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa

from bot.channels.zalo_api import PRESS
from bot.core.messages import Inbound, Outbound
from bot.storage.db import create_db_engine
from bot.storage.tables import help_requests
from tests.channels.zalo_harness import USER, Running, fake_zalo, serving
from tests.community.test_zalo_team import request_up_to_its_last_step
from tests.fakes.zalo_api import to_outbound
from tests.scale.test_exactly_once import stored_turns, url  # noqa: F401  (fixture)

ASKED, ANSWER = "lam cccd o dau", "Công an"


# --- where the worker stops ----------------------------------------------------------------------
def held_saves(running: Running) -> tuple[asyncio.Event, asyncio.Event]:
    """The store's save waits until the first event is set; the second says a save is waiting."""
    store = running.core.conversations.store
    save = store.save
    release, saving = asyncio.Event(), asyncio.Event()

    async def held(*args: Any) -> int:
        saving.set()
        await release.wait()
        return int(await save(*args))

    store.save = held  # type: ignore[method-assign]
    return release, saving


def stops_after_the_turn(running: Running) -> asyncio.Event:
    """The worker stops once the turn is done (saved, notices sent), before its replies leave; the
    event says it got there."""
    ctx = running.channel.ctx
    converse = ctx.converse
    done = asyncio.Event()

    async def converse_then_stop(inbound: Inbound) -> list[Outbound]:
        await converse(inbound)
        done.set()
        await asyncio.Event().wait()  # killed here: nothing after this line runs
        raise AssertionError("unreachable")

    ctx.converse = converse_then_stop  # type: ignore[method-assign]
    return done


async def killed_before_answering(running: Running, event: dict[str, Any], there: asyncio.Event) -> None:
    """Zalo delivers ``event``; the worker gets ``there`` and, half a second on, has still not said
    200 (the bound is longer); then it is killed."""
    post = asyncio.create_task(running.zalo.post(event))
    await there.wait()
    await asyncio.sleep(0.5)
    assert not post.done(), "Zalo was told the event was taken before the worker got past that point"
    post.cancel()
    tasks = list(running.channel._tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(post, *tasks, return_exceptions=True)


def answered(zalo: Any) -> bool:
    return any(ANSWER in str(call.body) for call in zalo.sent)


# --- the 200 --------------------------------------------------------------------------------------
async def test_zalo_hears_its_200_once_the_turn_is_saved_and_answered(url: str) -> None:  # noqa: F811
    """A slow save: the 200 comes after it and after the reply, so when Zalo has its 200 the turn
    and its delivery id are in the database and the citizen has the answer."""
    async with fake_zalo() as zalo, serving(zalo, url, None) as running:
        release, saving = held_saves(running)
        post = asyncio.create_task(running.zalo.post(running.zalo.event(USER, ASKED)))
        await saving.wait()
        await asyncio.sleep(0.3)
        assert not post.done()
        release.set()
        assert (await post).status_code == 200
        assert stored_turns(url, f"zalo:{USER}") == 1  # saved before Zalo heard "taken"
        assert answered(zalo)


async def test_a_worker_killed_before_the_save_leaves_the_event_to_be_delivered_again(url: str) -> None:  # noqa: F811
    """Killed while saving, the worker had not answered; Zalo delivers the event again, the restarted
    worker answers it, and the turn counts once."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            _release, saving = held_saves(dying)
            event = dying.zalo.event(USER, ASKED)
            await killed_before_answering(dying, event, saving)
        assert zalo.sent == []
        assert stored_turns(url, f"zalo:{USER}") == 0
        async with serving(zalo, url, None) as restarted:  # Zalo's retry
            assert (await restarted.zalo.post(event)).status_code == 200
            assert answered(zalo)
            assert stored_turns(url, f"zalo:{USER}") == 1


async def test_a_worker_killed_before_sending_leaves_the_event_to_be_answered_again(url: str) -> None:  # noqa: F811
    """The worker saved the turn and was killed before its reply left: it had not answered Zalo
    either, so Zalo delivers the event again and the stored reply goes out; the turn counts once."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            event = dying.zalo.event(USER, ASKED)
            await killed_before_answering(dying, event, stops_after_the_turn(dying))
            assert zalo.sent == []
            assert stored_turns(url, f"zalo:{USER}") == 1
        async with serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(event)).status_code == 200
            assert answered(zalo)  # sent before the 200
            assert stored_turns(url, f"zalo:{USER}") == 1


async def test_a_turn_not_saved_in_time_is_answered_200_and_finished_in_the_background(url: str) -> None:  # noqa: F811
    """The database is slow: Zalo still has its 200 within the bound (it switches a slow webhook off),
    the turn finishes after it, and a graceful shutdown waits for it to be saved and answered."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=0.3) as running:
            release, saving = held_saves(running)
            started = asyncio.get_running_loop().time()
            response = await running.zalo.post(running.zalo.event(USER, ASKED))
            assert response.status_code == 200
            assert asyncio.get_running_loop().time() - started < 1.5
            assert saving.is_set()
            assert stored_turns(url, f"zalo:{USER}") == 0
            asyncio.get_running_loop().call_later(0.3, release.set)  # the database answers during shutdown
        assert stored_turns(url, f"zalo:{USER}") == 1
        assert answered(zalo)


# --- notices to others are not sent again with a redelivery's stored replies -------------------------
def zalo_people() -> tuple[str, str]:
    """A citizen's and a volunteer's Zalo ids of their own (the session's PostgreSQL keeps other tests' rows)."""
    return f"61424948{uuid.uuid4().int % 10**11:011d}", f"61424948{uuid.uuid4().int % 10**11:011d}"


def texts_to(zalo: Any, user: str, since: int = 0) -> list[str]:
    return [to_outbound(c.body["message"]).text for c in zalo.sent[since:] if c.user == user]


def requests_of(database: str, user: str) -> int:
    """How many help requests the Zalo ``user`` has made."""
    engine = create_db_engine(database)
    try:
        with engine.connect() as connection:
            where = (help_requests.c.channel == "zalo") & (help_requests.c.user_id == user)
            return int(connection.execute(sa.select(sa.func.count()).where(where)).scalar_one())
    finally:
        engine.dispose()


async def test_a_redelivered_help_request_tells_the_volunteer_once(url: str) -> None:  # noqa: F811
    """The worker that took the citizen's last step saved the request and told the volunteer, then
    was killed before answering the citizen. Zalo delivers the step again: the citizen gets the
    stored answer (the request's number); the volunteer is not told a second time of the one
    request. (Told twice, a volunteer would take it for two requests; a notice lost to a worker
    killed before it left is made up for by the reminder sweep, which finds the request still open.)"""
    citizen, volunteer = zalo_people()
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            last_step = await request_up_to_its_last_step(dying, citizen, volunteer)
            before = len(zalo.sent)
            await killed_before_answering(dying, last_step, stops_after_the_turn(dying))
            told = texts_to(zalo, volunteer, before)
            assert len(told) == 1
            assert "#" in told[0]
            assert texts_to(zalo, citizen, before) == []
        async with serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(last_step)).status_code == 200
            assert "#" in "\n".join(texts_to(zalo, citizen, before))  # the request's number, stored
            assert texts_to(zalo, volunteer, before) == told  # not told again
            assert requests_of(url, citizen) == 1


async def test_a_redelivered_claim_gives_the_volunteer_the_number_and_tries_no_notice_again(url: str) -> None:  # noqa: F811
    """A volunteer takes the request of a citizen Zalo no longer lets us message (-230); the worker
    is killed after the turn, before the volunteer's replies left. The redelivery gives the
    volunteer the stored replies — the citizen's number and 'please call' — and sends no notice
    again. Nor does it repeat 'I could not message the citizen': that fallback is not stored, since
    a redelivery cannot know whether the first handling's notice went out, and the stored replies
    already ask the volunteer to call, with the number."""
    citizen, volunteer = zalo_people()
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            assert (await dying.zalo.post(await request_up_to_its_last_step(dying, citizen, volunteer))).status_code == 200
            ticket = texts_to(zalo, volunteer)[-1].split("#", 1)[1].split()[0].strip(".:,")
            zalo.inactive = {citizen}
            claim = dying.zalo.event(volunteer, PRESS + f"hr:claim:{ticket}")
            before = len(zalo.sent)
            await killed_before_answering(dying, claim, stops_after_the_turn(dying))
            assert texts_to(zalo, volunteer, before) == []
        async with serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(claim)).status_code == 200
            told = "\n".join(texts_to(zalo, volunteer, before))
            assert "0912 345 678" in told  # the citizen's number, to call
            assert "gọi điện cho họ" not in told
            assert texts_to(zalo, citizen, before) == []
