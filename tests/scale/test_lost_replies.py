"""A reply lost in a crash: the turn's replies are stored with its delivery id, and a redelivery of
an update already handled gets them again (processing exactly once, replies at least once).

The worker "dies" where a kill would hurt most: right after its turn was saved (before the usage
events and the replies), or after the turn and before anything was sent — the task is cancelled
there, as a killed process would be, and nothing reaches the platform. The platform then delivers
the update again, to a restarted worker over the same database."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.conversations import conversation_key
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.errors import ConflictError
from bot.settings import Settings
from bot.storage import deliveries
from bot.storage.db import create_db_engine
from bot.storage.deliveries import DuplicateDelivery, delivering
from bot.storage.resilient import ResilientStore
from bot.storage.sql import SqlStateStore
from bot.storage.tables import deliveries as deliveries_table
from bot.storage.tables import help_requests
from tests.channels.test_telegram import Live, settings_for
from tests.fakes.telegram_api import FakeTelegram, Updates
from tests.live import served
from tests.scale.test_exactly_once import fake, stored_turns, url  # noqa: F401  (fixtures)
from tests.usage.helpers import CollectingSink

TTL = timedelta(hours=1)
REPLIES = [
    Outbound("Làm CCCD ở Công an xã 👇", (Button("Hướng dẫn", "fl:cccd"), Button("Cổng DVC", url="https://dichvucong.gov.vn"))),
    Outbound("Số điện thoại của bạn?", expects="phone"),
]


# --- the store --------------------------------------------------------------------------------
async def test_a_redelivery_gets_the_replies_stored_with_the_turn(url: str) -> None:  # noqa: F811
    """A turn saved with its replies; after a restart the same delivery is refused with those replies."""
    engine = create_db_engine(url)
    store = SqlStateStore(engine, TTL)
    try:
        with delivering("telegram:1:42"):
            _state, version = await store.load("telegram:7")
            deliveries.keep(REPLIES)
            await store.save("telegram:7", ConversationState(turns=1), version)
    finally:
        await store.close()
        engine.dispose()
    engine = create_db_engine(url)  # the restarted worker
    store = SqlStateStore(engine, TTL)
    try:
        with delivering("telegram:1:42"), pytest.raises(DuplicateDelivery) as refused:
            await store.load("telegram:7")
        assert refused.value.replies == REPLIES
        state, _version = await store.load("telegram:7")
        assert state is not None
        assert state.turns == 1
    finally:
        await store.close()
        engine.dispose()


async def test_a_worker_that_lost_the_race_gets_the_winners_replies(url: str) -> None:  # noqa: F811
    """Two workers load the same update; the one whose save comes second is handed the first one's replies."""
    engines = [create_db_engine(url) for _ in range(2)]
    a, b = (SqlStateStore(engine, TTL) for engine in engines)
    try:
        version = await a.save("zalo:9", ConversationState(turns=1), 0)
        with delivering("zalo:app:m:9"):
            _state, seen_by_b = await b.load("zalo:9")
        with delivering("zalo:app:m:9"):
            _state, seen_by_a = await a.load("zalo:9")
            deliveries.keep(REPLIES)
            await a.save("zalo:9", ConversationState(turns=2), seen_by_a)
        with delivering("zalo:app:m:9"):
            deliveries.keep([Outbound("never sent")])
            try:
                await b.save("zalo:9", ConversationState(turns=9), seen_by_b)
            except DuplicateDelivery as exc:
                replies = exc.replies
            except ConflictError:  # the version check may speak first: the retried turn's load is refused
                with pytest.raises(DuplicateDelivery) as refused:
                    await b.load("zalo:9")
                replies = refused.value.replies
            else:
                raise AssertionError("the second save of one delivery committed")
        assert replies == REPLIES
        state, now = await a.load("zalo:9")
        assert state is not None
        assert (state.turns, now) == (2, version + 1)
    finally:
        for store, engine in zip((a, b), engines, strict=True):
            await store.close()
            engine.dispose()


async def test_stored_replies_are_emptied_after_a_day_and_the_id_kept_two(url: str) -> None:  # noqa: F811
    """The hourly purge empties replies older than 24 hours (they may hold personal data) and
    deletes ids older than 48; a redelivery in between is still refused, with nothing to send."""
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    stored = deliveries.encode(REPLIES)
    try:
        with engine.begin() as connection:
            for name, hours in (("fresh", 23), ("day", 25), ("old", 49)):
                deliveries.record(connection, name, now - timedelta(hours=hours), stored)
        assert deliveries.purge(engine, now) == 1
        with engine.connect() as connection:
            rows = dict(connection.execute(sa.select(deliveries_table.c.id, deliveries_table.c.replies)).all())
        assert rows == {"fresh": stored, "day": None}
        store = SqlStateStore(engine, TTL)
        try:
            with delivering("day"), pytest.raises(DuplicateDelivery) as refused:
                await store.load("telegram:1")
            assert refused.value.replies == []
        finally:
            await store.close()
    finally:
        engine.dispose()


async def test_an_erasure_takes_the_replies_stored_for_that_person(url: str) -> None:  # noqa: F811
    """Erasing a web chat conversation empties the replies stored with its messages (named after it),
    keeps their ids (a late resend is still not applied), and leaves another person's alone."""
    engine = create_db_engine(url)
    store = SqlStateStore(engine, TTL)
    try:
        for key in ("web:person01", "web:person012"):
            with delivering(f"{key}:m0000001"):
                _state, version = await store.load(key)
                deliveries.keep(REPLIES)
                await store.save(key, ConversationState(turns=1), version)
        await store.delete("web:person01")
        with engine.connect() as connection:
            rows = dict(connection.execute(sa.select(deliveries_table.c.id, deliveries_table.c.replies)).all())
        assert rows == {"web:person01:m0000001": None, "web:person012:m0000001": deliveries.encode(REPLIES)}
        with delivering("web:person01:m0000001"), pytest.raises(DuplicateDelivery) as refused:
            await store.load("web:person01")
        assert refused.value.replies == []
    finally:
        await store.close()
        engine.dispose()


def test_stored_replies_another_release_cannot_read_are_not_sent() -> None:
    """Replies stored in a shape this code does not know are dropped, never half-sent."""
    assert deliveries.decode(deliveries.encode(REPLIES)) == REPLIES
    for garbage in ("", "{", '{"t": 1}', "[1]", '[{"x": 1}]', '[{"t": "a", "b": [[1, 2, 3, 4]], "e": null}]'):
        assert deliveries.decode(garbage) == []


async def test_replies_of_a_turn_answered_in_an_outage_are_kept_and_written_back(sqlite_url: str) -> None:
    """With SQLite's write lock held elsewhere the turn is answered from memory; its redelivery gets
    the same replies from memory, and after the write-back from the database (a restarted worker)."""
    settings = Settings(database_url=sqlite_url, channels="web", secret_key="k" * 32)  # type: ignore[arg-type]
    inbound = Inbound("telegram", "77", "lam cccd o dau")
    app = build_app(settings)
    try:
        await app.conversations.handle(Inbound("telegram", "77", "xin chao"))  # the row exists
        database = make_url(sqlite_url).database
        assert database is not None
        locker = sqlite3.connect(database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, as a purge or a backup holds it
        try:
            with delivering("telegram:1:900"):
                first = await app.conversations.handle(inbound)
            assert isinstance(app.store, ResilientStore)
            assert app.store.unsaved == 1
            with delivering("telegram:1:900"), pytest.raises(DuplicateDelivery) as refused:
                await app.conversations.handle(inbound)
            assert refused.value.replies == first
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        for _ in range(100):
            if not app.store.unsaved:
                break
            await asyncio.sleep(0.1)
        assert app.store.unsaved == 0
    finally:
        await app.close()
    restarted = build_app(settings)
    try:
        with delivering("telegram:1:900"), pytest.raises(DuplicateDelivery) as refused:
            await restarted.conversations.handle(inbound)
        assert refused.value.replies == first
        state, _version = await restarted.store.load("telegram:77")
        assert state is not None
        assert state.turns == 2
    finally:
        await restarted.close()


# --- through the Telegram webhook, with the app as `trolyso serve` builds it ----------------------
@contextlib.asynccontextmanager
async def serving(settings: Settings, fake: FakeTelegram, usage: CollectingSink) -> AsyncIterator[Live]:  # noqa: F811
    core = build_app(settings, usage=usage)
    from bot.web.app import create_app

    web = create_app(settings, app=core)
    try:
        async with served(web) as address, httpx.AsyncClient(base_url=address, timeout=30) as http:
            yield Live(address, web, core, fake, http, Updates())
    finally:
        await core.close()


def dies_after_saving(server: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is killed the moment its turn's state is committed."""
    store = server.core.conversations.store
    save = store.save

    async def save_then_die(*args: Any) -> int:
        await save(*args)
        raise asyncio.CancelledError  # as a SIGKILL would stop it: nothing after this line runs

    monkeypatch.setattr(store, "save", save_then_die)


def dies_before_sending(server: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is killed after the turn (state, usage events) and before a reply leaves."""
    ctx = server.web.state.channels[0].ctx
    converse = ctx.converse

    async def converse_then_die(inbound: Inbound) -> list[Outbound]:
        await converse(inbound)
        raise asyncio.CancelledError

    monkeypatch.setattr(ctx, "converse", converse_then_die)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
@pytest.mark.parametrize("death", [dies_after_saving, dies_before_sending], ids=lambda f: f.__name__)
async def test_a_worker_killed_between_save_and_send_loses_no_reply(
    lib: str, death: Callable[[Live, pytest.MonkeyPatch], None], fake: FakeTelegram, url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:  # fmt: skip
    """Telegram gets no answer from the dying worker and delivers the update again to the restarted
    one: the citizen gets the reply, the turn counts once, its usage events are never counted twice."""
    settings = settings_for(lib, fake, url, secret_key="k" * 32, usage_spool_path=str(tmp_path / "spool.jsonl"))
    usage = CollectingSink()
    key = conversation_key("telegram", "4242")
    async with serving(settings, fake, usage) as dying:
        update = dying.updates.text("lam cccd o dau", 4242)
        death(dying, monkeypatch)
        assert await dying.say(update) == []  # nothing left the dying worker
        assert stored_turns(url, key) == 1
    events = [event.kind for k, _channel, event in usage.recorded if k == key]
    assert bool(events) == (death is dies_before_sending)
    monkeypatch.undo()
    async with serving(settings, fake, usage) as restarted:
        replies = await restarted.say(update)
        assert any("Công an" in r.text for r in replies), replies
        assert stored_turns(url, key) == 1
        assert [event.kind for k, _channel, event in usage.recorded if k == key] == events
        fresh = await restarted.say(restarted.updates.text("lam cccd o dau", 5151) | {"update_id": 99_999})
        assert replies == fresh  # the stored reply is the one the turn gave, word for word


async def test_a_zalo_event_whose_worker_died_before_sending_gets_its_reply(url: str) -> None:  # noqa: F811
    """The worker saved the turn and died before its reply left: it had not answered Zalo either
    (the 200 waits for the reply), so Zalo delivers the event again and the reply goes out."""
    from tests.channels.zalo_harness import USER, fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    async with fake_zalo() as zalo:
        async with zalo_serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            ctx = dying.channel.ctx
            converse = ctx.converse
            converted = asyncio.Event()

            async def converse_then_die(inbound: Inbound) -> list[Outbound]:
                await converse(inbound)
                converted.set()
                await asyncio.Event().wait()  # killed here: nothing after this line runs
                raise AssertionError("unreachable")

            ctx.converse = converse_then_die  # type: ignore[method-assign]
            event = dying.zalo.event(USER, "lam cccd o dau")
            post = asyncio.create_task(dying.zalo.post(event))
            await converted.wait()
            await asyncio.sleep(0.5)
            assert not post.done(), "Zalo was told the event was taken before its reply left"
            await kill(dying, post)
            assert zalo.sent == []
            assert stored_turns(url, f"zalo:{USER}") == 1
        async with zalo_serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(event)).status_code == 200
            assert any("Công an" in str(call.body) for call in zalo.sent)  # sent before the 200
            assert stored_turns(url, f"zalo:{USER}") == 1


async def kill(running: Any, post: asyncio.Task[Any]) -> None:
    """What a SIGKILL does to a Zalo worker here: its turns stop where they are, and Zalo's
    connection breaks without an answer."""
    post.cancel()
    tasks = list(running.channel._tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(post, *tasks, return_exceptions=True)


# --- Zalo hears its 200 only once the turn is saved ------------------------------------------------
def held_saves(running: Any) -> tuple[asyncio.Event, asyncio.Event]:
    """The store's save waits for the first event to be set; the second says a save is waiting."""
    store = running.core.conversations.store
    save = store.save
    release, saving = asyncio.Event(), asyncio.Event()

    async def held(*args: Any) -> int:
        saving.set()
        await release.wait()
        return int(await save(*args))

    store.save = held
    return release, saving


async def test_zalo_hears_its_200_once_the_turn_is_saved_and_answered(url: str) -> None:  # noqa: F811
    """A slow save: the 200 comes after it and after the reply, so when Zalo has its 200 the turn
    and its delivery id are in the database and the citizen has the answer."""
    from tests.channels.zalo_harness import USER, fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    async with fake_zalo() as zalo, zalo_serving(zalo, url, None) as running:
        release, saving = held_saves(running)
        post = asyncio.create_task(running.zalo.post(running.zalo.event(USER, "lam cccd o dau")))
        await saving.wait()
        await asyncio.sleep(0.3)
        assert not post.done()
        release.set()
        assert (await post).status_code == 200
        assert stored_turns(url, f"zalo:{USER}") == 1  # saved before Zalo heard "taken"
        assert any("Công an" in str(call.body) for call in zalo.sent)  # and answered


async def test_a_worker_killed_before_the_save_leaves_the_zalo_event_to_be_delivered_again(
    url: str,  # noqa: F811
) -> None:
    """Zalo never delivers again an event it had a 200 for. A worker killed while saving has not
    answered, so Zalo delivers the event again; the restarted worker answers it, and the turn counts once."""
    from tests.channels.zalo_harness import USER, fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    async with fake_zalo() as zalo:
        async with zalo_serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            _release, saving = held_saves(dying)
            event = dying.zalo.event(USER, "lam cccd o dau")
            post = asyncio.create_task(dying.zalo.post(event))
            await saving.wait()
            await asyncio.sleep(0.5)
            assert not post.done(), "Zalo was told the event was taken before its turn was saved"
            await kill(dying, post)
        assert zalo.sent == []
        assert stored_turns(url, f"zalo:{USER}") == 0
        async with zalo_serving(zalo, url, None) as restarted:  # Zalo's retry
            assert (await restarted.zalo.post(event)).status_code == 200
            await restarted.channel.idle()
            assert any("Công an" in str(call.body) for call in zalo.sent)
            assert stored_turns(url, f"zalo:{USER}") == 1


async def test_a_zalo_turn_not_saved_in_time_is_answered_200_and_finished_in_the_background(
    url: str,  # noqa: F811
) -> None:
    """The database is slow: Zalo still has its 200 within the bound (it switches a slow webhook off),
    the turn finishes after it, and a graceful shutdown waits for it to be saved and answered."""
    from tests.channels.zalo_harness import USER, fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    async with fake_zalo() as zalo:
        async with zalo_serving(zalo, url, None, zalo_ack_wait_seconds=0.3) as running:
            release, saving = held_saves(running)
            started = asyncio.get_running_loop().time()
            response = await running.zalo.post(running.zalo.event(USER, "lam cccd o dau"))
            assert response.status_code == 200
            assert asyncio.get_running_loop().time() - started < 1.5
            assert saving.is_set()
            assert stored_turns(url, f"zalo:{USER}") == 0
            asyncio.get_running_loop().call_later(0.3, release.set)  # the database answers during shutdown
        assert stored_turns(url, f"zalo:{USER}") == 1
        assert any("Công an" in str(call.body) for call in zalo.sent)


# --- notices to others are not sent again with a redelivery's stored replies -------------------------
def dies_after_the_turn(running: Any) -> asyncio.Event:
    """The worker is killed once the turn is done (saved, notices sent) and before its replies leave;
    the event says it got there."""
    ctx = running.channel.ctx
    converse = ctx.converse
    done = asyncio.Event()

    async def converse_then_die(inbound: Inbound) -> list[Outbound]:
        await converse(inbound)
        done.set()
        await asyncio.Event().wait()  # killed here
        raise AssertionError("unreachable")

    ctx.converse = converse_then_die
    return done


def zalo_people() -> tuple[str, str]:
    """A citizen's and a volunteer's Zalo ids of their own (the session's PostgreSQL keeps other tests' rows)."""
    return f"61424948{uuid.uuid4().int % 10**11:011d}", f"61424948{uuid.uuid4().int % 10**11:011d}"


async def request_ready_to_send(running: Any, citizen: str, volunteer: str) -> dict[str, Any]:
    """A volunteer of Anh Sơn linked on Zalo, and a citizen's help request typed up to its last
    step; returns that last step's event, not yet delivered."""
    from bot.channels.zalo_api import PRESS
    from tests.community.conftest import ANH_SON

    desk = running.core.desk
    _volunteer, code = desk.create_volunteer("Hoàng Văn Phúc", "Tổ xóm 2", ANH_SON, "0977000333", created_by="admin")
    await running.say(f"/lienket {code}", volunteer)
    for text in ("toi muon gap nguoi that", PRESS + "hd:yes", "0912 345 678", "anh son", PRESS + f"hc:{ANH_SON}",
                 PRESS + "hn:skip"):  # fmt: skip
        await running.say(text, citizen)
    return dict(running.zalo.event(citizen, PRESS + "ht:any"))


def texts_to(zalo: Any, user: str, since: int = 0) -> list[str]:
    from tests.fakes.zalo_api import to_outbound

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
    died before answering the citizen. Zalo delivers the step again: the citizen gets the stored
    answer (the request's number); the volunteer is not told a second time of the one request.
    (Told twice, a volunteer would take it for two requests; a notice lost to a worker killed
    before it left is made up for by the reminder sweep, which finds the request still open.)"""
    from tests.channels.zalo_harness import fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    citizen, volunteer = zalo_people()
    async with fake_zalo() as zalo:
        async with zalo_serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            last_step = await request_ready_to_send(dying, citizen, volunteer)
            before = len(zalo.sent)
            turned = dies_after_the_turn(dying)
            post = asyncio.create_task(dying.zalo.post(last_step))
            await turned.wait()
            await kill(dying, post)
            told = texts_to(zalo, volunteer, before)
            assert len(told) == 1
            assert "#" in told[0]
            assert texts_to(zalo, citizen, before) == []
        async with zalo_serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(last_step)).status_code == 200
            assert "#" in "\n".join(texts_to(zalo, citizen, before))  # the request's number, stored
            assert texts_to(zalo, volunteer, before) == told  # not told again
            assert requests_of(url, citizen) == 1


async def test_a_redelivered_claim_gives_the_volunteer_the_number_and_tries_no_notice_again(
    url: str,  # noqa: F811
) -> None:
    """A volunteer takes the request of a citizen Zalo no longer lets us message (-230); the worker
    dies after the turn, before the volunteer's replies left. The redelivery gives the volunteer
    the stored replies — the citizen's number and 'please call' — and sends no notice again. Nor
    does it repeat 'I could not message the citizen': that fallback is not stored, since a
    redelivery cannot know whether the first handling's notice went out, and the stored replies
    already ask the volunteer to call, with the number."""
    from bot.channels.zalo_api import PRESS
    from tests.channels.zalo_harness import fake_zalo
    from tests.channels.zalo_harness import serving as zalo_serving

    citizen, volunteer = zalo_people()
    async with fake_zalo() as zalo:
        async with zalo_serving(zalo, url, None, zalo_ack_wait_seconds=1.9) as dying:
            assert (await dying.zalo.post(await request_ready_to_send(dying, citizen, volunteer))).status_code == 200
            ticket = texts_to(zalo, volunteer)[-1].split("#", 1)[1].split()[0].strip(".:,")
            zalo.inactive = {citizen}
            claim = dying.zalo.event(volunteer, PRESS + f"hr:claim:{ticket}")
            before = len(zalo.sent)
            turned = dies_after_the_turn(dying)
            post = asyncio.create_task(dying.zalo.post(claim))
            await turned.wait()
            await kill(dying, post)
            assert texts_to(zalo, volunteer, before) == []
        async with zalo_serving(zalo, url, None) as restarted:
            assert (await restarted.zalo.post(claim)).status_code == 200
            told = "\n".join(texts_to(zalo, volunteer, before))
            assert "0912 345 678" in told  # the citizen's number, to call
            assert "gọi điện cho họ" not in told
            assert texts_to(zalo, citizen, before) == []
